<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Takeover;

/**
 * Removes the jobs cronkeeper owns from Magento's merged cron config, so `cron:run` neither schedules
 * nor runs them. Plain PHP.
 *
 * Groups left empty are dropped: ProcessCronQueueObserver only visits the groups getJobs() returns,
 * and an empty group would otherwise reach its `job_code IN (...)` queries with an empty list.
 */
class OwnedJobsFilter
{
    /**
     * @param array<string, array<string, mixed>> $jobsByGroup group => code => job config
     * @param list<string> $ownedCodes
     * @return array<string, array<string, mixed>>
     */
    public function filter(array $jobsByGroup, array $ownedCodes): array
    {
        if ($ownedCodes === []) {
            return $jobsByGroup;
        }
        $owned = array_fill_keys($ownedCodes, true);
        $result = [];
        foreach ($jobsByGroup as $group => $jobs) {
            if (!is_array($jobs)) {
                $result[$group] = $jobs;
                continue;
            }
            $kept = array_diff_key($jobs, $owned);
            if ($kept !== []) {
                $result[$group] = $kept;
            }
        }
        return $result;
    }
}
