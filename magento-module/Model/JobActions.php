<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model;

use Cronkeeper\Scheduler\Api\JobActionsInterface;
use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

class JobActions implements JobActionsInterface
{
    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    public function pause(array $codes): int
    {
        return count($this->client->execute(Queries::PAUSE_JOBS, ['codes' => array_values($codes)])['pauseJobs'] ?? []);
    }

    public function resume(array $codes): int
    {
        return count($this->client->execute(Queries::RESUME_JOBS, ['codes' => array_values($codes)])['resumeJobs'] ?? []);
    }

    public function runNow(array $codes): int
    {
        return count($this->client->execute(Queries::RUN_JOBS_NOW, ['codes' => array_values($codes)])['runJobsNow'] ?? []);
    }

    public function delete(array $codes): int
    {
        return (int)($this->client->execute(Queries::DELETE_JOBS, ['codes' => array_values($codes)])['deleteJobs'] ?? 0);
    }
}
