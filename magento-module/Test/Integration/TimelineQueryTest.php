<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Timeline\TimelineRequest;
use Cronkeeper\Scheduler\Test\Support\CronkeeperService;
use Cronkeeper\Scheduler\Test\Support\UsesCronkeeperService;
use PHPUnit\Framework\TestCase;

/**
 * What the timeline proxy (Controller/Adminhtml/Timeline/Data) sends: the browser's parameters through
 * TimelineRequest into Queries::TIMELINE_JOBS (a page of job codes), Queries::TIMELINE and
 * Queries::TIMELINE_SPANS (that page's runs or spans), as a viewer, against the real cronkeeper binary.
 * Skipped outside CI when CRONKEEPER_BIN is unset; failing in CI.
 */
class TimelineQueryTest extends TestCase
{
    private const CONFIG = <<<'TOML'
[[jobs]]
code = "ping_a"
schedule = "@every 1s"
command = ["true"]

[[jobs]]
code = "ping_b"
schedule = "@every 1s"
command = ["false"]

[[jobs]]
code = "yearly_report"
schedule = "0 0 1 1 *"
command = ["true"]
TOML;

    use UsesCronkeeperService;

    public static function setUpBeforeClass(): void
    {
        self::startService(self::CONFIG, static function (CronkeeperService $ck): void {
            $ck->waitFor('runs of both jobs', 15, static fn () => count(self::timeline(null)) === 2 ? true : null);
        });
    }

    protected function setUp(): void
    {
        $this->requireService();
    }

    /**
     * @param list<string>|null $jobCodes
     * @return list<array<string, mixed>>
     */
    private static function timeline(?array $jobCodes, int $fromAgo = 600, int $toAhead = 60): array
    {
        $params = [
            'from' => gmdate('Y-m-d\TH:i:s', time() - $fromAgo) . '.000Z',
            'to' => gmdate('Y-m-d\TH:i:s', time() + $toAhead) . '.000Z',
        ];
        if ($jobCodes !== null) {
            $params['jobCodes'] = $jobCodes;
        }
        return self::$service->query(Queries::TIMELINE, TimelineRequest::variables($params), 'viewer')['timeline'];
    }

    /**
     * @param array<string, mixed> $params the browser's, without view=jobs
     * @return array{totalCount: int, pageInfo: array{hasNextPage: bool, endCursor: ?string}, nodes: list<array{code: string}>}
     */
    private static function page(array $params): array
    {
        $params['view'] = 'jobs';
        return self::$service->query(TimelineRequest::query($params), TimelineRequest::variables($params), 'viewer')['jobs'];
    }

    public function testPagesOfJobsWalkEveryJobInCodeOrder(): void
    {
        $first = self::page(['first' => '2']);
        self::assertSame(3, $first['totalCount']);
        self::assertSame(['ping_a', 'ping_b'], array_column($first['nodes'], 'code'));
        self::assertTrue($first['pageInfo']['hasNextPage']);

        $second = self::page(['first' => '2', 'after' => (string)$first['pageInfo']['endCursor']]);
        self::assertSame(['yearly_report'], array_column($second['nodes'], 'code'), 'a job without runs is on its page too');
        self::assertFalse($second['pageInfo']['hasNextPage']);

        self::assertSame(['ping_a', 'ping_b', 'yearly_report'], array_column(self::page([])['nodes'], 'code'), '50 by default: all three');
    }

    public function testTheSearchAndTheJobCodesOptionNarrowThePage(): void
    {
        self::assertSame(['ping_b'], array_column(self::page(['search' => 'PING_B'])['nodes'], 'code'), 'any case');
        self::assertSame(['ping_a', 'yearly_report'], array_column(self::page(['jobCodes' => ['yearly_report', 'ping_a']])['nodes'], 'code'));
        $none = self::page(['search' => 'nothing_like_this']);
        self::assertSame([0, []], [$none['totalCount'], $none['nodes']]);
    }

    public function testThePagesCodesBoundTheTimeline(): void
    {
        // What timeline.js does: the codes of one page, then the runs of those jobs only.
        $codes = array_column(self::page(['first' => '1'])['nodes'], 'code');
        self::assertSame(['ping_a'], $codes);
        $rows = self::timeline($codes);
        self::assertSame(['ping_a'], array_column($rows, 'jobCode'));
        self::assertSame([], self::timeline(['yearly_report']), 'no runs, no row: the component draws it empty');
    }

    public function testTheProxysQueryReturnsEveryFieldTheComponentReads(): void
    {
        $rows = self::timeline(null);
        self::assertSame(['ping_a', 'ping_b'], array_column($rows, 'jobCode'));
        $run = $rows[1]['runs'][0];
        foreach (['id', 'jobCode', 'lane', 'status', 'trigger', 'attempt', 'scheduledAt', 'startedAt', 'finishedAt',
            'durationMs', 'exitCode', 'error', 'count', 'killRequested'] as $field) {
            self::assertArrayHasKey($field, $run);
        }
        self::assertSame('ping_b', $run['jobCode']);
    }

    public function testJobCodesNarrowTheRows(): void
    {
        $rows = self::timeline(['ping_b']);
        self::assertSame(['ping_b'], array_column($rows, 'jobCode'));
        self::assertNotEmpty($rows[0]['runs']);
        self::assertSame(['FAILED'], array_values(array_unique(array_column(
            array_filter($rows[0]['runs'], static fn (array $r) => $r['finishedAt'] !== null),
            'status'
        ))));
    }

    public function testAWindowInThePastHasNoRows(): void
    {
        self::assertSame([], self::timeline(null, 7200, -3600));
    }

    public function testTheFoldedViewFoldsEachJobsRunsIntoFewerSpansOfTheirStatus(): void
    {
        // Folding needs something to fold: a few finished runs of each job (this
        // test may run seconds after the service started).
        self::$service->waitFor('four runs of each job', 20, static function (): ?bool {
            $rows = self::timeline(null);
            foreach ($rows as $row) {
                if (count($row['runs']) < 4) {
                    return null;
                }
            }
            return count($rows) === 2 ? true : null;
        });
        $params = [
            'from' => gmdate('Y-m-d\TH:i:s', time() - 600) . '.000Z', 'to' => gmdate('Y-m-d\TH:i:s', time() + 60) . '.000Z',
            'view' => 'spans', 'resolutionSeconds' => '60',
        ];
        $spans = self::$service->query(TimelineRequest::query($params), TimelineRequest::variables($params), 'viewer')['timeline'];
        $runs = self::timeline(null);
        self::assertSame(array_column($runs, 'jobCode'), array_column($spans, 'jobCode'));
        foreach ($spans as $i => $row) {
            $perStatus = [];
            foreach ($runs[$i]['runs'] as $run) {
                $perStatus[$run['status']] = ($perStatus[$run['status']] ?? 0) + $run['count'];
            }
            $folded = [];
            $columns = $row['spanColumns'];
            foreach ($columns['status'] as $k => $status) {
                $folded[$status] = ($folded[$status] ?? 0) + $columns['count'][$k];
            }
            // Runs can end between the two reads: compare the finished statuses only.
            unset($perStatus['RUNNING'], $perStatus['QUEUED'], $folded['RUNNING'], $folded['QUEUED']);
            foreach ($folded as $status => $count) {
                self::assertEqualsWithDelta($perStatus[$status] ?? 0, $count, 2, "{$row['jobCode']} $status");
            }
            self::assertLessThan(count($runs[$i]['runs']), count($columns['status']), "{$row['jobCode']}: every-second runs of one status fold");
        }
    }

    public function testSpanColumnsAreTheSpansListColumnByColumn(): void
    {
        // Both in one request, so both describe the same runs.
        $both = self::$service->query('query ($from: DateTime!, $to: DateTime!) {
  timeline(from: $from, to: $to, resolutionSeconds: 30) {
    jobCode
    spans { status start end count firstRunId lastRunId }
    spanColumns { status start end count firstRunId lastRunId }
  }
}', ['from' => gmdate('Y-m-d\TH:i:s\Z', time() - 600), 'to' => gmdate('Y-m-d\TH:i:s\Z', time() + 60)], 'viewer')['timeline'];
        self::assertNotEmpty($both);
        foreach ($both as $row) {
            self::assertNotEmpty($row['spans']);
            $asColumns = [];
            foreach (['status', 'start', 'end', 'count', 'firstRunId', 'lastRunId'] as $field) {
                $asColumns[$field] = array_column($row['spans'], $field);
            }
            self::assertSame($asColumns, $row['spanColumns'], $row['jobCode']);
        }
    }

    public function testTheServiceAgreesWithTheProxysLimitOf31Days(): void
    {
        // TimelineRequest refuses a longer window before it is sent; the service refuses it too.
        $this->expectException(BadUserInputException::class);
        self::$service->query(Queries::TIMELINE, [
            'from' => '2026-01-01T00:00:00Z', 'to' => '2026-02-02T00:00:00Z', 'jobCodes' => null,
        ], 'viewer');
    }
}
