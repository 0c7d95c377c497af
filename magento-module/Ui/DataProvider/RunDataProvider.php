<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\DataProvider;

use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;

/**
 * Rows of the Runs grid (cronkeeper_run_listing): run history, newest first unless sorted.
 */
class RunDataProvider extends AbstractServiceDataProvider
{
    protected function mapper(): GridRequestMapper
    {
        return GridRequestMapper::forRuns();
    }

    protected function query(): string
    {
        return Queries::RUNS;
    }

    protected function connectionField(): string
    {
        return 'runs';
    }

    protected function toRow(array $node): array
    {
        return [
            'id' => (string)($node['id'] ?? ''),
            'job_code' => $node['jobCode'] ?? null,
            'lane' => $node['lane'] ?? null,
            'status' => strtolower((string)($node['status'] ?? '')),
            'attempt' => $node['attempt'] ?? null,
            'retry_of' => $node['retryOf'] ?? null,
            'scheduled_at' => $node['scheduledAt'] ?? null,
            'started_at' => $node['startedAt'] ?? null,
            'finished_at' => $node['finishedAt'] ?? null,
            'duration_ms' => $node['durationMs'] ?? null,
            'exit_code' => $node['exitCode'] ?? null,
            'worker' => $node['worker'] ?? null,
            'error' => $node['error'] ?? null,
        ];
    }
}
