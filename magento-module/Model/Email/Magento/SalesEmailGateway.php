<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email\Magento;

use Cronkeeper\Scheduler\Model\Email\EmailGatewayInterface;
use Cronkeeper\Scheduler\Model\Email\EmailState;
use Cronkeeper\Scheduler\Model\Email\EntityType;
use Magento\Sales\Model\AbstractModel;

/**
 * EmailGatewayInterface over Magento_Sales, doing what EmailSenderHandler::sendEmails() does for one document:
 * the document comes from its collection (always read from the database, unlike the repositories' in-process
 * cache), Magento's sender for its type sends it with $forceSyncMode = true, and a failure is counted with
 * the resource model's saveAttribute(…, 'email_sent').
 *
 * The three maps are keyed by EntityType value and filled in etc/di.xml:
 * collection factories (Magento\Sales\Model\ResourceModel\Order\CollectionFactory, …\Order\Invoice\…,
 * …\Order\Shipment\…, …\Order\Creditmemo\…), senders (Magento\Sales\Model\Order\Email\Sender\OrderSender,
 * InvoiceSender, ShipmentSender, CreditmemoSender) and resources (Magento\Sales\Model\ResourceModel\Order,
 * …\Order\Invoice, …\Order\Shipment, …\Order\Creditmemo).
 */
class SalesEmailGateway implements EmailGatewayInterface
{
    /** @var array<string, array<int, AbstractModel>> documents loaded by load(), for send() */
    private array $loaded = [];

    /**
     * @param array<string, object> $collectionFactories
     * @param array<string, object> $senders
     * @param array<string, object> $resources
     */
    public function __construct(
        private readonly array $collectionFactories,
        private readonly array $senders,
        private readonly array $resources
    ) {
    }

    public function load(EntityType $type, int $id): ?EmailState
    {
        $collection = $this->part($this->collectionFactories, $type)->create();
        $collection->addFieldToFilter('entity_id', $id);
        $collection->setPageSize(1);
        $document = null;
        foreach ($collection->getItems() as $item) {
            $document = $item;
        }
        if (!$document instanceof AbstractModel || !$document->getId()) {
            unset($this->loaded[$type->value][$id]);
            return null;
        }
        $this->loaded[$type->value] = [$id => $document];
        $emailSent = $document->getData('email_sent');
        return new EmailState((bool)$document->getData('send_email'), $emailSent === null ? null : (int)$emailSent);
    }

    public function send(EntityType $type, int $id): bool
    {
        return (bool)$this->part($this->senders, $type)->send($this->document($type, $id), true);
    }

    public function saveEmailSent(EntityType $type, int $id, int $emailSent): void
    {
        $document = $this->document($type, $id);
        $document->setData('email_sent', $emailSent);
        $this->part($this->resources, $type)->saveAttribute($document, 'email_sent');
    }

    private function document(EntityType $type, int $id): AbstractModel
    {
        if (!isset($this->loaded[$type->value][$id]) && $this->load($type, $id) === null) {
            throw new \RuntimeException(sprintf('%s %d does not exist', $type->value, $id));
        }
        return $this->loaded[$type->value][$id];
    }

    /**
     * @param array<string, object> $map
     */
    private function part(array $map, EntityType $type): object
    {
        if (!isset($map[$type->value])) {
            throw new \LogicException(sprintf('etc/di.xml gives SalesEmailGateway nothing for "%s"', $type->value));
        }
        return $map[$type->value];
    }
}
