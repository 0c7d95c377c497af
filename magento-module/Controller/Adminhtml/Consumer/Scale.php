<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Consumer;

use Cronkeeper\Scheduler\Model\Form\FormValues;
use Magento\Framework\Phrase;

/**
 * Sets how many processes of a consumer run (`setConsumerInstances`); the service checks the number.
 */
class Scale extends AbstractConsumerAction
{
    protected function apply(string $name): Phrase
    {
        $consumer = $this->board->setInstances($name, FormValues::intOrRaw($this->getRequest()->getParam('instances')));
        return __('Consumer %1 now wants %2 instance(s).', $name, (int)($consumer['desiredInstances'] ?? 0));
    }
}
