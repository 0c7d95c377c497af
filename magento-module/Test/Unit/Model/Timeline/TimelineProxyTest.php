<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Timeline;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Timeline\TimelineProxy;
use PHPUnit\Framework\TestCase;

/**
 * The answers the proxy builds around the client; the real service's answers are covered by
 * Test/Browser/TimelineBrowserTest (data and an outage) and Test/Integration/TimelineQueryTest.
 */
class TimelineProxyTest extends TestCase
{
    public function testBadParametersNeverReachTheService(): void
    {
        $client = $this->createMock(ServiceClientInterface::class);
        $client->expects(self::never())->method('execute');

        $answer = (new TimelineProxy($client))->answer(['from' => 'yesterday', 'to' => '2026-11-27T10:00:00Z']);
        self::assertSame(400, $answer['status']);
        self::assertSame('BAD_USER_INPUT', $answer['body']['errors'][0]['extensions']['code']);
        self::assertStringContainsString('"from"', $answer['body']['errors'][0]['message']);
    }

    public function testOnlyTheTimelineQueryIsSentWhateverTheBrowserAdds(): void
    {
        $client = $this->createMock(ServiceClientInterface::class);
        $client->expects(self::once())->method('execute')
            ->with(Queries::TIMELINE, ['from' => '2026-11-27T09:00:00.000Z', 'to' => '2026-11-27T10:00:00.000Z', 'jobCodes' => null])
            ->willReturn(['timeline' => []]);

        $answer = (new TimelineProxy($client))->answer([
            'from' => '2026-11-27T09:00:00Z', 'to' => '2026-11-27T10:00:00Z', 'isAjax' => 'true',
            'query' => 'mutation { deleteJobs(codes: ["x"]) }',
        ]);
        self::assertSame(['status' => 200, 'body' => ['data' => ['timeline' => []]]], $answer);
    }

    public function testTheFoldedViewRunsTheSpansQuery(): void
    {
        $client = $this->createMock(ServiceClientInterface::class);
        $client->expects(self::once())->method('execute')
            ->with(Queries::TIMELINE_SPANS, [
                'from' => '2026-11-26T10:00:00.000Z', 'to' => '2026-11-27T10:00:00.000Z', 'jobCodes' => null, 'resolutionSeconds' => 900,
            ])
            ->willReturn(['timeline' => []]);

        $answer = (new TimelineProxy($client))->answer([
            'from' => '2026-11-26T10:00:00Z', 'to' => '2026-11-27T10:00:00Z', 'view' => 'spans', 'resolutionSeconds' => '900',
        ]);
        self::assertSame(200, $answer['status']);
    }

    public function testThePageOfJobsRunsTheJobsQuery(): void
    {
        $page = ['jobs' => ['totalCount' => 1, 'pageInfo' => ['hasNextPage' => false, 'endCursor' => 'bzow'], 'nodes' => [['code' => 'a']]]];
        $client = $this->createMock(ServiceClientInterface::class);
        $client->expects(self::once())->method('execute')
            ->with(Queries::TIMELINE_JOBS, ['filter' => ['search' => 'a'], 'first' => 50, 'after' => null])
            ->willReturn($page);

        $answer = (new TimelineProxy($client))->answer(['view' => 'jobs', 'first' => '50', 'search' => 'a', 'isAjax' => 'true']);
        self::assertSame(['status' => 200, 'body' => ['data' => $page]], $answer);
    }

    public function testARefusalKeepsTheServicesCode(): void
    {
        $client = $this->createMock(ServiceClientInterface::class);
        $client->method('execute')->willThrowException(new ForbiddenException('not allowed', 'FORBIDDEN'));

        $answer = (new TimelineProxy($client))->answer(['from' => '2026-11-27T09:00:00Z', 'to' => '2026-11-27T10:00:00Z']);
        self::assertSame(200, $answer['status']);
        self::assertSame(['message' => 'not allowed', 'extensions' => ['code' => 'FORBIDDEN']], $answer['body']['errors'][0]);
    }
}
