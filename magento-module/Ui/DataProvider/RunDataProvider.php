<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\DataProvider;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use Cronkeeper\Scheduler\Model\Grid\UrlFilters;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\Message\ManagerInterface;

/**
 * Rows of the Runs grid (cronkeeper_run_listing): run history, newest first unless sorted.
 *
 * "View runs" of a job opens `cronkeeper/run/index/job_code/<code>`: the listing's `<filterUrlParams>`
 * carry that parameter into every later grid request and pre-filter the rows.
 */
class RunDataProvider extends AbstractServiceDataProvider
{
    /**
     * @param array<string, mixed> $meta
     * @param array<string, mixed> $data
     */
    public function __construct(
        string $name,
        string $primaryFieldName,
        string $requestFieldName,
        ServiceClientInterface $client,
        ManagerInterface $messageManager,
        RequestInterface $request,
        array $meta = [],
        array $data = []
    ) {
        parent::__construct($name, $primaryFieldName, $requestFieldName, $client, $messageManager, $meta, $data);
        $urlFilters = UrlFilters::apply(
            (array)($this->data['config']['filter_url_params'] ?? []),
            static fn (string $param) => $request->getParam($param),
            (string)($this->data['config']['update_url'] ?? '')
        );
        if ($urlFilters['filters'] !== []) {
            $this->data['config']['update_url'] = $urlFilters['updateUrl'];
            foreach ($urlFilters['filters'] as $column => $value) {
                $this->presetFilter($column, $value);
            }
        }
    }

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
