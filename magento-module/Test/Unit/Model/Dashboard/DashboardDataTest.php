<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Dashboard;

use Cronkeeper\Scheduler\Model\Dashboard\DashboardData;
use PHPUnit\Framework\TestCase;

class DashboardDataTest extends TestCase
{
    public function testWaitsAreWrittenTheWayAnOperatorSaysThem(): void
    {
        self::assertSame('0 s', DashboardData::duration(0.2));
        self::assertSame('45 s', DashboardData::duration(45.4));
        self::assertSame('3 min 20 s', DashboardData::duration(200));
        self::assertSame('2 h 5 min', DashboardData::duration(7500));
        self::assertSame('3 d 4 h', DashboardData::duration(3 * 86400 + 4 * 3600 + 59));
        self::assertSame('0 s', DashboardData::duration(-5), 'a clock skew never shows a negative wait');
    }
}
