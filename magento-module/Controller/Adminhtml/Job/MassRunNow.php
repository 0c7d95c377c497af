<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Magento\Framework\Phrase;

/**
 * Mass action "Run now" of the Schedules grid.
 */
class MassRunNow extends AbstractMassAction
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    protected function apply(array $codes): int
    {
        return $this->jobActions->runNow($codes);
    }

    protected function successMessage(int $count): Phrase
    {
        return __('%1 run(s) queued.', $count);
    }
}
