<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Consumer;

use Magento\Framework\Phrase;

/**
 * Starts a consumer (`startConsumer`).
 */
class Start extends AbstractConsumerAction
{
    protected function apply(string $name): Phrase
    {
        $consumer = $this->board->start($name);
        return __('Consumer %1 started (%2).', $name, strtolower((string)($consumer['state'] ?? '')));
    }
}
