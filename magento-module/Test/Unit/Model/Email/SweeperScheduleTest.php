<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Email;

use Cronkeeper\Scheduler\Model\Email\SweeperSchedule;
use PHPUnit\Framework\TestCase;

class SweeperScheduleTest extends TestCase
{
    public function testOnlyTheFourSalesEmailJobsGetTheSweepSchedule(): void
    {
        $inputs = [
            ['code' => 'sales_send_order_emails', 'schedule' => '* * * * *', 'configPath' => null],
            ['code' => 'sales_send_order_creditmemo_emails', 'schedule' => null, 'configPath' => 'a/b/c'],
            ['code' => 'sales_grid_order_async_insert', 'schedule' => '* * * * *', 'configPath' => null],
        ];
        $out = (new SweeperSchedule())->apply($inputs, ' */15 * * * * ');
        self::assertSame(['*/15 * * * *', '*/15 * * * *', '* * * * *'], array_column($out, 'schedule'));
        self::assertSame([null, null, null], array_column($out, 'configPath'));
        self::assertSame($inputs, (new SweeperSchedule())->apply($inputs, '  '), 'a blank schedule changes nothing');
    }
}
