<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Takeover;

use Cronkeeper\Scheduler\Model\Takeover\Bypass;
use Cronkeeper\Scheduler\Model\Takeover\OwnedJobsFilter;
use PHPUnit\Framework\TestCase;

class OwnedJobsFilterTest extends TestCase
{
    private const JOBS = [
        'default' => [
            'catalog_product_alert' => ['instance' => 'A', 'method' => 'run', 'schedule' => '0 * * * *'],
            'sitemap_generate' => ['instance' => 'B', 'method' => 'run', 'config_path' => 'sitemap/generate/cron_expr'],
        ],
        'index' => [
            'indexer_reindex_all_invalid' => ['instance' => 'C', 'method' => 'run', 'schedule' => '* * * * *'],
        ],
    ];

    public function testOwnedJobsAreRemovedAndOthersKept(): void
    {
        $result = (new OwnedJobsFilter())->filter(self::JOBS, ['sitemap_generate']);
        self::assertSame(['catalog_product_alert'], array_keys($result['default']));
        self::assertSame(self::JOBS['index'], $result['index']);
    }

    public function testAGroupLeftEmptyIsDropped(): void
    {
        $result = (new OwnedJobsFilter())->filter(self::JOBS, ['indexer_reindex_all_invalid']);
        self::assertSame(['default'], array_keys($result));
    }

    public function testNothingOwnedChangesNothing(): void
    {
        self::assertSame(self::JOBS, (new OwnedJobsFilter())->filter(self::JOBS, []));
    }

    public function testBypassIsActiveOnlyDuringTheCallbackEvenWhenItThrows(): void
    {
        $bypass = new Bypass();
        self::assertFalse($bypass->isActive());
        self::assertSame(42, $bypass->during(static fn () => $bypass->isActive() ? 42 : 0));
        try {
            $bypass->during(static function (): void {
                throw new \RuntimeException('job failed');
            });
        } catch (\RuntimeException) {
        }
        self::assertFalse($bypass->isActive());
    }
}
