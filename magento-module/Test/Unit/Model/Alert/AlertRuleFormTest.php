<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Alert;

use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use PHPUnit\Framework\TestCase;

class AlertRuleFormTest extends TestCase
{
    public function testThePostedFormMapsToAlertRuleInput(): void
    {
        self::assertSame([
            'name' => 'sales failures',
            'when' => 'run_failed',
            'jobs' => ['sales_*', 'checkout_*'],
            'lanes' => ['critical'],
            'queues' => [],
            'channels' => ['ops-slack', 'pager'],
            'enabled' => true,
            'severity' => 'CRITICAL',
            'statuses' => ['FAILED', 'TIMED_OUT'],
            'openAfter' => 2,
            'remindEvery' => '1h',
        ], AlertRuleForm::toInput([
            'name' => ' sales failures ',
            'when' => 'run_failed',
            'jobs' => "sales_*\r\ncheckout_*\n",
            'lanes' => 'critical',
            'queues' => '',
            'channels' => ['ops-slack', 'pager', ''],
            'severity' => 'critical',
            'statuses' => ['failed', 'timed_out'],
            'count' => '',
            'duration' => '',
            'factor' => '',
            'open_after' => '2',
            'resolve_after' => '',
            'remind_every' => '1h',
            'enabled' => '1',
        ]));
    }

    public function testAnUncheckedEnabledBoxDisablesAndNumbersStayTypedForTheService(): void
    {
        $input = AlertRuleForm::toInput(['name' => 'r', 'when' => 'run_too_long', 'factor' => '2.5', 'count' => 'three']);
        self::assertFalse($input['enabled']);
        self::assertSame(2.5, $input['factor']);
        self::assertSame('three', $input['count']);
    }

    public function testARuleReadsBackIntoTheSameInput(): void
    {
        $rule = [
            'name' => 'slow', 'when' => 'run_too_long', 'channels' => ['ops'], 'severity' => 'WARNING',
            'statuses' => null, 'count' => null, 'duration' => '15m', 'factor' => null, 'openAfter' => 1,
            'resolveAfter' => 1, 'remindEvery' => null, 'enabled' => true,
            'scope' => ['jobs' => ['a', 'b'], 'lanes' => [], 'queues' => []],
        ];
        self::assertSame([
            'name' => 'slow', 'when' => 'run_too_long', 'jobs' => ['a', 'b'], 'lanes' => [], 'queues' => [],
            'channels' => ['ops'], 'enabled' => true, 'severity' => 'WARNING', 'openAfter' => 1, 'resolveAfter' => 1,
            'duration' => '15m',
        ], AlertRuleForm::toInput(AlertRuleForm::toForm($rule)));
    }

    public function testFindPicksTheRuleByName(): void
    {
        $rules = [['name' => 'a'], ['name' => 'b']];
        self::assertSame(['name' => 'b'], AlertRuleForm::find($rules, 'b'));
        self::assertNull(AlertRuleForm::find($rules, 'c'));
    }
}
