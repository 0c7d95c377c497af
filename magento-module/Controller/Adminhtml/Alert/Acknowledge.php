<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Alert;

use Magento\Framework\Phrase;

/**
 * Acknowledges an alert: no more reminders; it still resolves by itself.
 */
class Acknowledge extends AbstractAlertAction
{
    protected function parameter(): string
    {
        return 'id';
    }

    protected function apply(string $value): Phrase
    {
        $alert = $this->board->acknowledge($value);
        return __('Alert %1 acknowledged by %2.', $value, (string)($alert['acknowledgedBy'] ?? ''));
    }
}
