<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Consumer;

use Magento\Framework\Phrase;

/**
 * Stops a consumer (`stopConsumer`).
 */
class Stop extends AbstractConsumerAction
{
    protected function apply(string $name): Phrase
    {
        $consumer = $this->board->stop($name);
        return __('Consumer %1 stopped (%2).', $name, strtolower((string)($consumer['state'] ?? '')));
    }
}
