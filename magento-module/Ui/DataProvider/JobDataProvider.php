<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\DataProvider;

use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;

/**
 * Rows of the Schedules grid (cronkeeper_job_listing): one per job.
 */
class JobDataProvider extends AbstractServiceDataProvider
{
    protected function mapper(): GridRequestMapper
    {
        return GridRequestMapper::forJobs();
    }

    protected function query(): string
    {
        return Queries::JOBS;
    }

    protected function connectionField(): string
    {
        return 'jobs';
    }

    protected function toRow(array $node): array
    {
        $lastRun = is_array($node['lastRun'] ?? null) ? $node['lastRun'] : [];
        return [
            'code' => (string)($node['code'] ?? ''),
            'source' => strtolower((string)($node['source'] ?? '')),
            'group' => $node['group'] ?? null,
            'lane' => $node['lane'] ?? null,
            'schedule' => $node['schedule'] ?? ($node['configPath'] ?? null),
            'timeout_seconds' => $node['timeoutSeconds'] ?? null,
            'max_retries' => $node['maxRetries'] ?? null,
            'priority' => $node['priority'] ?? null,
            'paused' => !empty($node['paused']) ? '1' : '0',
            'next_run_at' => $node['nextRunAt'] ?? null,
            'last_status' => isset($lastRun['status']) ? strtolower((string)$lastRun['status']) : null,
            'last_run_at' => $lastRun['finishedAt'] ?? ($lastRun['scheduledAt'] ?? null),
            'description' => $node['description'] ?? null,
            'warnings' => implode('; ', is_array($node['warnings'] ?? null) ? $node['warnings'] : []),
            'updated_at' => $node['updatedAt'] ?? null,
        ];
    }
}
