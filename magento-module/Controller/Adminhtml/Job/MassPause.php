<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Magento\Framework\Phrase;

/**
 * Mass action "Pause" of the Schedules grid.
 */
class MassPause extends AbstractMassAction
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    protected function apply(array $codes): int
    {
        return $this->jobActions->pause($codes);
    }

    protected function successMessage(int $count): Phrase
    {
        return __('%1 job(s) paused.', $count);
    }
}
