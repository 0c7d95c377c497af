<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Grid;

use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use Cronkeeper\Scheduler\Model\Grid\UrlFilters;
use PHPUnit\Framework\TestCase;

class UrlFiltersTest extends TestCase
{
    public function testAStarParamIsTakenFromTheRequestAndKeptInTheUpdateUrl(): void
    {
        $params = ['job_code' => 'sales/clean up'];
        self::assertSame(
            [
                'updateUrl' => 'https://shop/admin/mui/index/render/key/abc/job_code/sales%2Fclean%20up/',
                'filters' => ['job_code' => 'sales/clean up'],
            ],
            UrlFilters::apply(['job_code' => '*'], static fn (string $p) => $params[$p] ?? null, 'https://shop/admin/mui/index/render/key/abc/')
        );
    }

    public function testAnAbsentOrEmptyParamChangesNothing(): void
    {
        $none = static fn (string $p) => $p === 'lane' ? '  ' : null;
        self::assertSame(
            ['updateUrl' => '/render/', 'filters' => []],
            UrlFilters::apply(['job_code' => '*', 'lane' => '*'], $none, '/render/')
        );
    }

    public function testAFixedValueIsUsedAsGiven(): void
    {
        self::assertSame(['lane' => 'bulk'], UrlFilters::apply(['lane' => 'bulk'], static fn () => null, '/r')['filters']);
    }

    public function testThePresetFilterMapsToTheRunFilter(): void
    {
        $state = [];
        foreach (UrlFilters::apply(['job_code' => '*'], static fn () => 'indexer_reindex_all_invalid', '/r')['filters'] as $column => $value) {
            $state['filters'][$column] = $value;
        }
        self::assertSame(['jobCode' => 'indexer_reindex_all_invalid'], GridRequestMapper::forRuns()->map($state)['filter']);
    }
}
