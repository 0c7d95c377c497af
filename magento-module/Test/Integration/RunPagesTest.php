<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use Cronkeeper\Scheduler\Model\Run\RunActions;
use Cronkeeper\Scheduler\Model\Run\RunDetails;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\Test\Support\Runs;

/**
 * The Runs listing's filters, the run page (output, error, attempt chain) and kill/retry against real
 * runs of real processes.
 */
class RunPagesTest extends ServiceTestCase
{
    private function runs(): Runs
    {
        return new Runs(self::as('admin'));
    }

    public function testTheRunPageShowsOutputErrorAndTheLinkedAttempts(): void
    {
        $runs = $this->runs();
        $runs->job('runs_chain', 'echo "chain-output-$$"; echo boom >&2; exit 3', [
            'maxRetries' => 1,
            'backoff' => ['initialSeconds' => 0.1, 'maxSeconds' => 0.1],
        ]);
        $runs->runNow('runs_chain');
        $all = $runs->waitFor('runs_chain', static fn (array $r): bool => Runs::countIn($r, 'FAILED') === 2);
        $retry = array_values(array_filter($all, static fn (array $r): bool => $r['attempt'] === 2))[0];
        $first = array_values(array_filter($all, static fn (array $r): bool => $r['attempt'] === 1))[0];

        $page = (new RunDetails(self::as('viewer')))->load((string)$retry['id']);

        self::assertSame('FAILED', $page['run']['status']);
        self::assertSame(3, $page['run']['exitCode']);
        self::assertStringContainsString('chain-output-', (string)$page['run']['output']);
        self::assertStringContainsString('boom', (string)$page['run']['output']);
        self::assertNotEmpty($page['run']['error']);
        self::assertSame([$first['id'], $retry['id']], array_column($page['attempts'], 'id'));
        self::assertSame([1, 2], array_column($page['attempts'], 'attempt'));

        $fromFirst = (new RunDetails(self::as('viewer')))->load((string)$first['id']);
        self::assertSame(array_column($page['attempts'], 'id'), array_column($fromFirst['attempts'], 'id'));
    }

    public function testAnUnknownRunLoadsAsNull(): void
    {
        self::assertSame(['run' => null, 'attempts' => []], (new RunDetails(self::as('viewer')))->load('999999'));
    }

    public function testRetryQueuesTheNextAttemptOfTheChain(): void
    {
        $runs = $this->runs();
        $runs->job('runs_retry', 'exit 1');
        $first = $runs->runNow('runs_retry');
        $runs->waitFor('runs_retry', static fn (array $r): bool => Runs::countIn($r, 'FAILED') === 1);

        $retry = (new RunActions(self::as('operator')))->retry($first);
        self::assertSame(2, $retry['attempt']);
        self::assertSame($first, (string)$retry['retryOf']);

        $runs->waitFor('runs_retry', static fn (array $r): bool => Runs::countIn($r, 'FAILED') === 2);
        $page = (new RunDetails(self::as('viewer')))->load($first);
        self::assertSame([$first, (string)$retry['id']], array_map('strval', array_column($page['attempts'], 'id')));
    }

    public function testKillEndsARunningProcess(): void
    {
        $runs = $this->runs();
        $runs->job('runs_kill', 'sleep 60');
        $id = $runs->runNow('runs_kill');
        $runs->waitFor('runs_kill', static fn (array $r): bool => Runs::countIn($r, 'RUNNING') === 1);

        $killed = (new RunActions(self::as('operator')))->kill($id);
        self::assertTrue($killed['status'] === 'KILLED' || $killed['killRequested']);
        $runs->waitFor('runs_kill', static fn (array $r): bool => Runs::countIn($r, 'KILLED') === 1, 20.0);
    }

    public function testAViewerMayNeitherKillNorRetry(): void
    {
        $runs = $this->runs();
        $runs->job('runs_viewer', 'exit 0');
        $id = $runs->runNow('runs_viewer');
        $actions = new RunActions(self::as('viewer'));
        foreach (['kill', 'retry'] as $action) {
            try {
                $actions->$action($id);
                self::fail("a viewer could $action");
            } catch (ForbiddenException) {
                self::addToAssertionCount(1);
            }
        }
    }

    public function testRetryingARunningRunIsRefusedWithTheServiceMessage(): void
    {
        $runs = $this->runs();
        $runs->job('runs_busy', 'sleep 30');
        $id = $runs->runNow('runs_busy');
        $runs->waitFor('runs_busy', static fn (array $r): bool => Runs::countIn($r, 'RUNNING') === 1);
        try {
            (new RunActions(self::as('operator')))->retry($id);
            self::fail('a running run was retried');
        } catch (GraphQlException $e) {
            self::assertNotSame('', $e->getMessage());
        } finally {
            (new RunActions(self::as('operator')))->kill($id);
        }
    }

    public function testTheListingFiltersByStatusJobLaneAndDate(): void
    {
        $runs = $this->runs();
        $runs->job('runs_filter_ok', 'exit 0', ['lane' => 'bulk']);
        $runs->job('runs_filter_bad', 'exit 1', ['lane' => 'bulk']);
        $runs->runNow('runs_filter_ok');
        $runs->runNow('runs_filter_bad');
        $runs->waitFor('runs_filter_ok', static fn (array $r): bool => Runs::countIn($r, 'SUCCEEDED') === 1);
        $runs->waitFor('runs_filter_bad', static fn (array $r): bool => Runs::countIn($r, 'FAILED') === 1);

        $query = function (array $filters): array {
            $variables = GridRequestMapper::forRuns()->map(['filters' => $filters, 'paging' => ['current' => 1, 'pageSize' => 50]]);
            return self::as('viewer')->execute(Queries::RUNS, $variables)['runs']['nodes'];
        };
        $failedInBulk = $query(['status' => 'failed', 'lane' => 'bulk']);
        self::assertSame(['runs_filter_bad'], array_values(array_unique(array_column($failedInBulk, 'jobCode'))));

        self::assertCount(1, $query(['job_code' => 'runs_filter_ok']));
        $today = gmdate('Y-m-d H:i:s', time() - 3600);
        self::assertCount(1, $query(['job_code' => 'runs_filter_ok', 'scheduled_at' => ['from' => $today]]));
        self::assertCount(0, $query(['job_code' => 'runs_filter_ok', 'scheduled_at' => ['to' => $today]]));
    }
}
