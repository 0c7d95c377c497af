<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Grid;

use Cronkeeper\Scheduler\Model\GraphQl\OffsetCursor;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use PHPUnit\Framework\TestCase;

class GridRequestMapperTest extends TestCase
{
    public function testTheFirstPageHasNoCursor(): void
    {
        self::assertSame(
            ['first' => 20],
            GridRequestMapper::forJobs()->map(['paging' => ['current' => '1', 'pageSize' => '20']])
        );
    }

    public function testPageThreeOfTwentyStartsAfterRowThirtyNine(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['paging' => ['current' => 3, 'pageSize' => 20]]);
        self::assertSame(20, $vars['first']);
        self::assertSame(OffsetCursor::encode(39), $vars['after']);
        self::assertSame(40, OffsetCursor::decode($vars['after']) + 1);
    }

    public function testMissingOrInvalidPagingFallsBackToDefaults(): void
    {
        self::assertSame(['first' => 20], GridRequestMapper::forJobs()->map([]));
        self::assertSame(['first' => 20], GridRequestMapper::forJobs()->map(['paging' => ['current' => '-2', 'pageSize' => 'x']]));
    }

    public function testPageSizeIsCappedAtTheServiceMaximum(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['paging' => ['current' => 2, 'pageSize' => 1000]]);
        self::assertSame(200, $vars['first']);
        self::assertSame(OffsetCursor::encode(199), $vars['after']);
    }

    public function testSortingMapsColumnsToTheServiceEnum(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['sorting' => ['field' => 'next_run_at', 'direction' => 'desc']]);
        self::assertSame(['field' => 'NEXT_RUN_AT', 'direction' => 'DESC'], $vars['sort']);

        $vars = GridRequestMapper::forRuns()->map(['sorting' => ['field' => 'job_code', 'direction' => 'ASC']]);
        self::assertSame(['field' => 'JOB_CODE', 'direction' => 'ASC'], $vars['sort']);
    }

    public function testSortingOnAnUnsortableColumnIsDropped(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['sorting' => ['field' => 'actions', 'direction' => 'asc']]);
        self::assertArrayNotHasKey('sort', $vars);
    }

    public function testAStrangeDirectionBecomesAscending(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['sorting' => ['field' => 'code', 'direction' => 'sideways']]);
        self::assertSame('ASC', $vars['sort']['direction']);
    }

    public function testFullTextSearchGoesToJobFilterSearch(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['search' => '  indexer ']);
        self::assertSame(['search' => 'indexer'], $vars['filter']);
    }

    public function testJobFilters(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['filters' => [
            'placeholder' => 'true',
            'lane' => 'bulk',
            'group' => 'index',
            'paused' => '0',
            'source' => 'magento',
            'code' => 'a_job, b_job',
            'schedule' => '* * * * *',
        ]]);
        self::assertSame([
            'lane' => 'bulk',
            'group' => 'index',
            'paused' => false,
            'source' => 'MAGENTO',
            'codes' => ['a_job', 'b_job'],
        ], $vars['filter']);
    }

    public function testEmptyFilterValuesAreLeftOut(): void
    {
        $vars = GridRequestMapper::forJobs()->map(['filters' => ['lane' => '', 'paused' => '', 'code' => ' , ']]);
        self::assertArrayNotHasKey('filter', $vars);
    }

    public function testRunFiltersWithStatusAndDateRange(): void
    {
        $vars = GridRequestMapper::forRuns()->map([
            'paging' => ['current' => 2, 'pageSize' => 50],
            'sorting' => ['field' => 'scheduled_at', 'direction' => 'desc'],
            'filters' => [
                'job_code' => 'indexer_reindex_all_invalid',
                'status' => ['failed', 'timed_out'],
                'lane' => 'default',
                'scheduled_at' => ['from' => '2026-11-01 00:00:00', 'to' => '2026-11-02 23:59:59'],
            ],
            'search' => 'ignored: runs have no full-text search',
        ]);
        self::assertSame([
            'first' => 50,
            'after' => OffsetCursor::encode(49),
            'sort' => ['field' => 'SCHEDULED_AT', 'direction' => 'DESC'],
            'filter' => [
                'jobCode' => 'indexer_reindex_all_invalid',
                'statuses' => ['FAILED', 'TIMED_OUT'],
                'lane' => 'default',
                'from' => '2026-11-01T00:00:00Z',
                'to' => '2026-11-02T23:59:59Z',
            ],
        ], $vars);
    }

    public function testAnOpenEndedDateRangeAndAnUnparseableDate(): void
    {
        $vars = GridRequestMapper::forRuns()->map(['filters' => ['scheduled_at' => ['to' => 'not a date', 'from' => '2026-11-01T10:00:00+02:00']]]);
        self::assertSame(['from' => '2026-11-01T08:00:00Z'], $vars['filter']);
    }

    public function testMagentoFilterConditionsAreRecordedInTheRequestShape(): void
    {
        $params = [];
        $params = GridRequestMapper::withFilterCondition($params, 'fulltext', 'fulltext', 'sitemap');
        $params = GridRequestMapper::withFilterCondition($params, 'job_code', 'like', '%sitemap_generate%');
        $params = GridRequestMapper::withFilterCondition($params, 'status', 'eq', 'failed');
        $params = GridRequestMapper::withFilterCondition($params, 'scheduled_at', 'gteq', '2026-11-01 00:00:00');
        $params = GridRequestMapper::withFilterCondition($params, 'scheduled_at', 'lteq', '2026-11-01 23:59:59');

        self::assertSame([
            'search' => 'sitemap',
            'filters' => [
                'job_code' => 'sitemap_generate',
                'status' => 'failed',
                'scheduled_at' => ['from' => '2026-11-01 00:00:00', 'to' => '2026-11-01 23:59:59'],
            ],
        ], $params);

        self::assertSame(
            ['jobCode' => 'sitemap_generate', 'statuses' => ['FAILED'], 'from' => '2026-11-01T00:00:00Z', 'to' => '2026-11-01T23:59:59Z'],
            GridRequestMapper::forRuns()->map($params)['filter']
        );
    }
}
