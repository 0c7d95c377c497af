<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Magento\Framework\Phrase;

/**
 * Mass action "Resume" of the Schedules grid.
 */
class MassResume extends AbstractMassAction
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    protected function apply(array $codes): int
    {
        return $this->jobActions->resume($codes);
    }

    protected function successMessage(int $count): Phrase
    {
        return __('%1 job(s) resumed.', $count);
    }
}
