<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Stages;

use Cronkeeper\Scheduler\Model\Stages\StagePlan;
use PHPUnit\Framework\TestCase;

class StagePlanTest extends TestCase
{
    private const INPUTS = [
        ['code' => 'sales_send_order_emails', 'group' => 'default', 'schedule' => '* * * * *', 'configPath' => null],
        ['code' => 'indexer_update_all_views', 'group' => 'index', 'schedule' => '* * * * *', 'configPath' => null],
    ];

    public function testWithBothStagesOffTheJobsPassThroughAndTheIndexersAreNotRead(): void
    {
        $plan = StagePlan::create()->apply(self::INPUTS, null, null);
        self::assertSame(['inputs' => self::INPUTS, 'replaced' => [], 'warnings' => []], $plan);
    }

    public function testEachStageChangesOnlyItsOwnJobs(): void
    {
        $stage2 = StagePlan::create()->apply(self::INPUTS, '*/20 * * * *', null);
        self::assertSame(['*/20 * * * *', '* * * * *'], array_column($stage2['inputs'], 'schedule'));

        $read = 0;
        $indexers = static function () use (&$read): array {
            $read++;
            return ['catalog_product_price' => ['view_id' => 'catalog_product_price']];
        };
        $stage3 = StagePlan::create()->apply(self::INPUTS, null, $indexers);
        self::assertSame(['sales_send_order_emails', 'indexer_update_all_views.catalog_product_price'], array_column($stage3['inputs'], 'code'));
        self::assertSame('* * * * *', $stage3['inputs'][0]['schedule']);
        self::assertSame(['indexer_update_all_views'], $stage3['replaced']);
        self::assertSame(1, $read);
    }
}
