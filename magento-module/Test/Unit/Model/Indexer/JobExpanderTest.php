<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Indexer;

use Cronkeeper\Scheduler\Model\Email\SweeperSchedule;
use Cronkeeper\Scheduler\Model\Indexer\JobExpander;
use Cronkeeper\Scheduler\Model\Sync\MagentoJobCollector;
use Cronkeeper\Scheduler\Test\Support\ReferenceCrontab;
use PHPUnit\Framework\TestCase;

class JobExpanderTest extends TestCase
{
    /** Shaped like Magento\Framework\Indexer\ConfigInterface::getIndexers(); acme_report has no view. */
    public const INDEXERS = [
        'catalog_product_price' => ['indexer_id' => 'catalog_product_price', 'view_id' => 'catalog_product_price', 'shared_index' => null],
        'catalogsearch_fulltext' => ['indexer_id' => 'catalogsearch_fulltext', 'view_id' => 'catalogsearch_fulltext', 'shared_index' => null],
        'customer_grid' => ['indexer_id' => 'customer_grid', 'view_id' => 'customer_dummy', 'shared_index' => null],
        'acme_report' => ['indexer_id' => 'acme_report', 'view_id' => null, 'shared_index' => null],
    ];

    private const UPDATE = ['code' => 'indexer_update_all_views', 'group' => 'index', 'schedule' => '* * * * *', 'configPath' => null, 'instance' => 'Magento\Indexer\Cron\UpdateMview', 'method' => 'execute'];

    public function testEachIndexerGetsItsOwnUpdateJobWithTheOriginalsScheduleAndGroup(): void
    {
        $expander = new JobExpander();
        $out = $expander->expand([self::UPDATE, ['code' => 'other', 'group' => 'default']], self::INDEXERS);
        self::assertSame(
            ['indexer_update_all_views.catalog_product_price', 'indexer_update_all_views.catalogsearch_fulltext', 'indexer_update_all_views.customer_grid', 'other'],
            array_column($out, 'code'),
            'only indexers with a view get an update job; other jobs pass through'
        );
        self::assertSame(
            ['code' => 'indexer_update_all_views.catalog_product_price', 'command' => ['cronkeeper:indexer:update', 'catalog_product_price']] + self::UPDATE,
            $out[0]
        );
        self::assertSame(['indexer_update_all_views'], $expander->getReplacedCodes());
        self::assertSame([], $expander->getWarnings());
    }

    public function testReindexInvalidCoversEveryIndexerAndAnUnresolvedScheduleStaysAConfigPath(): void
    {
        $input = ['code' => 'indexer_reindex_all_invalid', 'group' => 'index', 'schedule' => null, 'configPath' => 'crontab/index/jobs/indexer_reindex_all_invalid/schedule/cron_expr', 'instance' => 'X', 'method' => 'execute'];
        $out = (new JobExpander())->expand([$input], self::INDEXERS);
        self::assertCount(4, $out);
        self::assertSame(['cronkeeper:indexer:reindex-invalid', 'acme_report'], $out[0]['command']);
        self::assertSame([$input['configPath']], array_unique(array_column($out, 'configPath')));
    }

    public function testAnIndexerIdThatCannotBeAJobCodeIsLeftOutWithAWarning(): void
    {
        $expander = new JobExpander();
        $out = $expander->expand([self::UPDATE], ['good' => ['view_id' => 'good'], 'bad id!' => ['view_id' => 'x']]);
        self::assertSame(['indexer_update_all_views.good'], array_column($out, 'code'));
        self::assertStringContainsString('indexer "bad id!"', $expander->getWarnings()[0]);
    }

    public function testWithoutIndexersNothingIsSplit(): void
    {
        $expander = new JobExpander();
        self::assertSame([self::UPDATE], $expander->expand([self::UPDATE], []));
        self::assertSame([], $expander->getReplacedCodes());
        self::assertStringContainsString('unsplit', $expander->getWarnings()[0]);
    }

    public function testMagentosOwnCrontabBecomesPerIndexerJobsWithTheSameSchedules(): void
    {
        $jobs = ReferenceCrontab::jobs();
        if ($jobs === null) {
            if (getenv('CI')) {
                self::fail('CI must have ' . ReferenceCrontab::directory());
            }
            self::markTestSkipped(ReferenceCrontab::directory() . ' not found');
        }
        $inputs = (new MagentoJobCollector())->collect($jobs, static fn (string $path): ?string => null);
        $inputs = (new SweeperSchedule())->apply($inputs, '*/15 * * * *');
        $expander = new JobExpander();
        $out = $expander->expand($inputs, self::INDEXERS);
        $byCode = array_column($out, null, 'code');

        self::assertSame(['indexer_reindex_all_invalid', 'indexer_update_all_views', 'indexer_clean_all_changelogs'], $expander->getReplacedCodes());
        foreach ($expander->getReplacedCodes() as $code) {
            self::assertArrayNotHasKey($code, $byCode);
        }
        self::assertSame('* * * * *', $byCode['indexer_update_all_views.catalog_product_price']['schedule']);
        self::assertSame('* * * * *', $byCode['indexer_reindex_all_invalid.acme_report']['schedule']);
        self::assertSame('0 * * * *', $byCode['indexer_clean_all_changelogs.catalogsearch_fulltext']['schedule']);
        self::assertSame('index', $byCode['indexer_clean_all_changelogs.catalogsearch_fulltext']['group']);
        self::assertArrayNotHasKey('indexer_clean_all_changelogs.acme_report', $byCode, 'no view, no changelog');
        self::assertSame(3 + 4 + 3, count(array_filter(array_keys($byCode), static fn (string $c): bool => str_contains($c, '.'))));
        self::assertSame('*/15 * * * *', $byCode['sales_send_order_emails']['schedule']);
        self::assertSame('* * * * *', $byCode['sales_grid_order_async_insert']['schedule']);
        self::assertSame(count($inputs) - 3 + 10, count($out));
    }
}
