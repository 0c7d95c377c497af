<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Magento\Framework\Phrase;

/**
 * Mass action "Delete" of the Schedules grid.
 */
class MassDelete extends AbstractMassAction
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    protected function apply(array $codes): int
    {
        return $this->jobActions->delete($codes);
    }

    protected function successMessage(int $count): Phrase
    {
        return __('%1 job(s) deleted.', $count);
    }
}
