<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Plugin\Cron;

use Cronkeeper\Scheduler\Model\Config;
use Cronkeeper\Scheduler\Model\Takeover\Bypass;
use Cronkeeper\Scheduler\Model\Takeover\OwnedJobs;
use Cronkeeper\Scheduler\Model\Takeover\OwnedJobsFilter;
use Magento\Cron\Model\ConfigInterface;

/**
 * Takeover: while enabled, Magento's cron config hides the jobs cronkeeper owns, so `cron:run` neither
 * schedules nor runs them (nothing runs twice). Disabled: getJobs() is returned untouched.
 * cronkeeper's own commands read through Bypass and still see every job.
 */
class SkipOwnedJobs
{
    public function __construct(
        private readonly Config $config,
        private readonly OwnedJobs $ownedJobs,
        private readonly OwnedJobsFilter $filter,
        private readonly Bypass $bypass
    ) {
    }

    /**
     * @param ConfigInterface $subject
     * @param mixed $result
     * @return mixed
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterGetJobs(ConfigInterface $subject, $result)
    {
        if (!is_array($result) || $this->bypass->isActive() || !$this->config->isTakeoverEnabled()) {
            return $result;
        }
        return $this->filter->filter($result, $this->ownedJobs->get());
    }
}
