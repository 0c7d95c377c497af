<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Timeline;

use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Timeline\TimelineRequest;
use PHPUnit\Framework\TestCase;

class TimelineRequestTest extends TestCase
{
    public function testTheComponentsIsoStringsBecomeUtcVariables(): void
    {
        self::assertSame(
            ['from' => '2026-11-27T10:00:00.000Z', 'to' => '2026-11-27T16:00:00.000Z', 'jobCodes' => null],
            TimelineRequest::variables(['from' => '2026-11-27T10:00:00.000Z', 'to' => '2026-11-27T17:00:00+01:00'])
        );
    }

    public function testTheFoldedViewAsksForSpansAtTheGivenResolution(): void
    {
        $params = ['from' => '2026-11-26T10:00:00Z', 'to' => '2026-11-27T10:00:00Z', 'view' => 'spans', 'resolutionSeconds' => '1172'];
        self::assertSame(Queries::TIMELINE_SPANS, TimelineRequest::query($params));
        self::assertSame(
            ['from' => '2026-11-26T10:00:00.000Z', 'to' => '2026-11-27T10:00:00.000Z', 'jobCodes' => null, 'resolutionSeconds' => 1172],
            TimelineRequest::variables($params)
        );
        self::assertSame(Queries::TIMELINE, TimelineRequest::query(['view' => 'runs']));
        self::assertSame(Queries::TIMELINE, TimelineRequest::query([]), 'per run unless asked');
    }

    public function testThePageOfJobsIsFiftyCodesFromTheStartByDefault(): void
    {
        $params = ['view' => 'jobs'];
        self::assertSame(Queries::TIMELINE_JOBS, TimelineRequest::query($params));
        self::assertSame(['filter' => null, 'first' => 50, 'after' => null], TimelineRequest::variables($params),
            'no filter: null, never [] (a JSON list where the service expects an input object)');
    }

    public function testThePageOfJobsCarriesTheCursorTheSearchAndTheCodes(): void
    {
        self::assertSame(
            ['filter' => ['search' => 'Export', 'codes' => ['a', 'b']], 'first' => 20, 'after' => 'bzo0OQ'],
            TimelineRequest::variables([
                'view' => 'jobs', 'first' => '20', 'after' => 'bzo0OQ', 'search' => '  Export ', 'jobCodes' => ['a', 'b', 'a'],
                'from' => 'ignored: a page of jobs has no window',
            ])
        );
    }

    public function testJobCodesAreKeptOnceEach(): void
    {
        $vars = TimelineRequest::variables([
            'from' => '2026-11-27T10:00:00Z', 'to' => '2026-11-27T11:00:00Z',
            'jobCodes' => ['indexer_reindex_all_invalid', 'sales:grid', 'indexer_reindex_all_invalid'],
        ]);
        self::assertSame(['indexer_reindex_all_invalid', 'sales:grid'], $vars['jobCodes']);
    }

    /**
     * @return array<string, array{0: array<string, mixed>, 1: string}>
     */
    public static function badRequests(): array
    {
        $ok = ['from' => '2026-11-27T10:00:00Z', 'to' => '2026-11-27T11:00:00Z'];
        return [
            'no from' => [['to' => $ok['to']], '"from" is required'],
            'no zone' => [['from' => '2026-11-27T10:00:00', 'to' => $ok['to']], '"from" is not an ISO 8601 date-time with a time zone'],
            'not a date' => [['from' => $ok['from'], 'to' => 'tomorrow'], '"to" is not an ISO 8601'],
            'impossible date' => [['from' => '2026-02-31T25:00:00Z', 'to' => $ok['to']], '"from" is not'],
            'backwards' => [['from' => $ok['to'], 'to' => $ok['from']], '"to" must be later than "from"'],
            'too long' => [['from' => '2026-01-01T00:00:00Z', 'to' => '2026-02-02T00:00:00Z'], 'at most 31 days'],
            'codes not a list' => [$ok + ['jobCodes' => 'a,b'], '"jobCodes" must be a list'],
            'bad code' => [$ok + ['jobCodes' => ['ok', 'no spaces please']], 'not a job code'],
            'unknown view' => [$ok + ['view' => 'query'], '"view" must be "runs", "spans" or "jobs"'],
            'page size zero' => [['view' => 'jobs', 'first' => '0'], '"first" must be a whole number from 1 to 200'],
            'page size over the cap' => [['view' => 'jobs', 'first' => '201'], '"first" must be a whole number from 1 to 200'],
            'page size not a number' => [['view' => 'jobs', 'first' => '5e1'], '"first" must be a whole number'],
            'cursor not a cursor' => [['view' => 'jobs', 'after' => 'o:50; DROP'], '"after" is not a cursor'],
            'search not text' => [['view' => 'jobs', 'search' => ['x']], '"search" must be text'],
            'search too long' => [['view' => 'jobs', 'search' => str_repeat('x', 201)], '"search" may be at most 200'],
            'page codes not a list' => [['view' => 'jobs', 'jobCodes' => 'a'], '"jobCodes" must be a list'],
            'spans without resolution' => [$ok + ['view' => 'spans'], '"resolutionSeconds" is required'],
            'resolution not a number' => [$ok + ['view' => 'spans', 'resolutionSeconds' => '1e3'], '"resolutionSeconds" is required'],
            'resolution zero' => [$ok + ['view' => 'spans', 'resolutionSeconds' => '0'], 'between 1 and the window'],
            'resolution over the window' => [$ok + ['view' => 'spans', 'resolutionSeconds' => '3601'], 'between 1 and the window'],
        ];
    }

    /**
     * @dataProvider badRequests
     * @param array<string, mixed> $params
     */
    public function testBadParametersAreRefusedByName(array $params, string $message): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        TimelineRequest::variables($params);
    }

    /**
     * @return array<string, array{0: string, 1: string}>
     */
    public static function sharedQueries(): array
    {
        return [
            'per run' => ['QUERY', Queries::TIMELINE],
            'folded' => ['SPANS_QUERY', Queries::TIMELINE_SPANS],
            'page of jobs' => ['JOBS_QUERY', Queries::TIMELINE_JOBS],
        ];
    }

    /**
     * @dataProvider sharedQueries
     */
    public function testTheComponentSendsTheQueryTheProxyRuns(string $jsName, string $phpQuery): void
    {
        // timeline.js keeps its own copies (it must work without Magento); the proxy runs Queries' copies.
        $js = (string)file_get_contents(CRONKEEPER_MODULE_DIR . '/view/adminhtml/web/js/timeline.js');
        self::assertSame(1, preg_match('/var ' . $jsName . ' = ((?:\'[^\']*\'\s*\+?\s*)+);/', $js, $m), "$jsName found in timeline.js");
        preg_match_all("/'([^']*)'/", $m[1], $parts);
        $jsQuery = stripcslashes(implode('', $parts[1]));
        $normalise = static fn (string $q): string => trim((string)preg_replace('/\s+/', ' ', $q));

        self::assertSame($normalise($phpQuery), $normalise($jsQuery));
    }
}
