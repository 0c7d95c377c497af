<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Job;

use Cronkeeper\Scheduler\Model\Job\JobEditor;
use PHPUnit\Framework\TestCase;

class JobEditorTest extends TestCase
{
    public function testTheFormMapsToJobInput(): void
    {
        self::assertSame([
            'code' => 'sales_clean',
            'schedule' => '*/5 * * * *',
            'lane' => 'critical',
            'timeoutSeconds' => 600,
            'maxRetries' => 2,
            'concurrencyPolicy' => 'REPLACE',
        ], JobEditor::toInput('sales_clean', [
            'schedule' => ' */5 * * * * ',
            'lane' => 'critical',
            'timeout_seconds' => '600',
            'max_retries' => '2',
            'concurrency_policy' => 'replace',
            'form_key' => 'ignored',
        ]));
    }

    public function testEmptyFieldsKeepTheirValueExceptTheTimeoutWhichFallsBackToTheDefault(): void
    {
        self::assertSame(
            ['code' => 'x', 'timeoutSeconds' => null],
            JobEditor::toInput('x', ['schedule' => '', 'lane' => '', 'timeout_seconds' => '', 'max_retries' => '', 'concurrency_policy' => ''])
        );
        self::assertSame(['code' => 'x'], JobEditor::toInput('x', []), 'no timeout field posted: timeout untouched');
    }

    public function testTextInNumberFieldsIsPassedOnForTheServiceToRefuse(): void
    {
        $input = JobEditor::toInput('x', ['timeout_seconds' => '10m', 'max_retries' => 'two']);
        self::assertSame('10m', $input['timeoutSeconds']);
        self::assertSame('two', $input['maxRetries']);
    }

    public function testToFormIsTheInverseOfToInput(): void
    {
        $job = ['code' => 'x', 'schedule' => '0 * * * *', 'lane' => 'bulk', 'timeoutSeconds' => null, 'maxRetries' => 1, 'concurrencyPolicy' => 'ALLOW'];
        $form = JobEditor::toForm($job);
        self::assertSame('', $form['timeout_seconds']);
        self::assertSame(
            ['code' => 'x', 'schedule' => '0 * * * *', 'lane' => 'bulk', 'timeoutSeconds' => null, 'maxRetries' => 1, 'concurrencyPolicy' => 'ALLOW'],
            JobEditor::toInput('x', $form)
        );
    }
}
