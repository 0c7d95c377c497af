<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Consumer;

use Magento\Framework\Phrase;

/**
 * Restarts a consumer (`restartConsumer`).
 */
class Restart extends AbstractConsumerAction
{
    protected function apply(string $name): Phrase
    {
        $consumer = $this->board->restart($name);
        return __('Consumer %1 restarted (%2).', $name, strtolower((string)($consumer['state'] ?? '')));
    }
}
