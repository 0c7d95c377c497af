<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Alert;

use Magento\Framework\Phrase;

/**
 * Queues a test message to a declared channel; its delivery shows in the service's notifications.
 */
class TestChannel extends AbstractAlertAction
{
    protected function parameter(): string
    {
        return 'channel';
    }

    protected function apply(string $value): Phrase
    {
        $this->board->testChannel($value);
        return __('A test message to %1 is queued.', $value);
    }
}
