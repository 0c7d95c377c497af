<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Plugin\Sales;

use Cronkeeper\Scheduler\Model\Email\EmailMessage;
use Cronkeeper\Scheduler\Model\Email\EntityType;
use Cronkeeper\Scheduler\Model\Email\PublishDecision;
use Cronkeeper\Scheduler\Model\StagesConfig;
use Magento\Framework\MessageQueue\PublisherInterface;
use Magento\Sales\Api\Data\CreditmemoInterface;
use Magento\Sales\Api\Data\InvoiceInterface;
use Magento\Sales\Api\Data\OrderInterface;
use Magento\Sales\Api\Data\ShipmentInterface;
use Psr\Log\LoggerInterface;

/**
 * Stage 2: after OrderSender / InvoiceSender / ShipmentSender / CreditmemoSender ::send() flagged a document
 * for the asynchronous sweep, publish it to cronkeeper.sales.email.send so it goes out now.
 *
 * Why the senders and not a save observer: in async mode the sender writes send_email and email_sent with
 * the resource model's saveAttribute(), which fires no *_save_after event, and it is called after the
 * document was saved (checkout's order placement, the admin invoice/shipment/credit-memo controllers).
 * The sender's return value and the two attributes it just set tell exactly what it decided.
 */
class PublishAsyncEmail
{
    public const TOPIC = 'cronkeeper.sales.email.send';

    public function __construct(
        private readonly StagesConfig $config,
        private readonly PublishDecision $decision,
        private readonly PublisherInterface $publisher,
        private readonly LoggerInterface $logger
    ) {
    }

    /**
     * @param object $subject one of the four senders
     * @param mixed $result what send() returned: true when it sent right away
     * @param mixed $document the order, invoice, shipment or credit memo
     * @param mixed $forceSyncMode true when the sweep (or our consumer) is sending
     * @return mixed $result, unchanged
     */
    public function afterSend(object $subject, mixed $result, mixed $document = null, mixed $forceSyncMode = false): mixed
    {
        $type = $this->typeOf($document);
        if ($type === null || !$this->decision->shouldPublish(
            $this->config->isEmailQueueEnabled(),
            $this->config->isAsyncSendingEnabled(),
            (bool)$forceSyncMode,
            $result,
            $document->getData('send_email'),
            $document->getData('email_sent'),
            $document->getId()
        )) {
            return $result;
        }
        $message = new EmailMessage($type, (int)$document->getId());
        try {
            $this->publisher->publish(self::TOPIC, $message->toJson());
        } catch (\Throwable $e) {
            // Never fail a checkout or an admin action over this: the document stays flagged and the
            // sales_send_*_emails sweep sends it on its next pass.
            $this->logger->error(sprintf(
                'cronkeeper: could not publish %s to %s (%s); the cron sweep will send it',
                $message->describe(),
                self::TOPIC,
                $e->getMessage()
            ));
        }
        return $result;
    }

    private function typeOf(mixed $document): ?EntityType
    {
        return match (true) {
            $document instanceof OrderInterface => EntityType::Order,
            $document instanceof InvoiceInterface => EntityType::Invoice,
            $document instanceof ShipmentInterface => EntityType::Shipment,
            $document instanceof CreditmemoInterface => EntityType::Creditmemo,
            default => null,
        };
    }
}
