<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\Job\JobEditor;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\Test\Support\Runs;

/**
 * The job edit form's data and save against the real service: what is saved, what the service
 * refuses (its message shown as is), and who may save.
 */
class JobEditorTest extends ServiceTestCase
{
    private function editor(string $role = 'admin'): JobEditor
    {
        return new JobEditor(self::as($role));
    }

    private function job(string $code): void
    {
        (new Runs(self::as('admin')))->job($code, 'true', ['timeoutSeconds' => 60, 'maxRetries' => 0]);
    }

    public function testTheFormLoadsTheJobAndEveryLane(): void
    {
        $this->job('edit_load');
        $loaded = $this->editor('viewer')->load('edit_load');

        self::assertSame('edit_load', $loaded['job']['code']);
        self::assertSame([
            'schedule' => '0 0 1 1 *',
            'lane' => 'default',
            'timeout_seconds' => '60',
            'max_retries' => '0',
            'concurrency_policy' => 'FORBID',
        ], JobEditor::toForm($loaded['job']));
        self::assertContains('critical', $loaded['lanes']);
        self::assertContains('bulk', $loaded['lanes']);
    }

    public function testAnUnknownJobLoadsAsNull(): void
    {
        self::assertNull($this->editor()->load('no_such_job')['job']);
    }

    public function testSavingChangesAllFiveFields(): void
    {
        $this->job('edit_save');
        $saved = $this->editor()->save('edit_save', [
            'schedule' => '*/10 * * * *',
            'lane' => 'bulk',
            'timeout_seconds' => '900',
            'max_retries' => '3',
            'concurrency_policy' => 'allow',
        ]);
        self::assertSame('*/10 * * * *', $saved['schedule']);

        $job = $this->editor('viewer')->load('edit_save')['job'];
        self::assertSame('bulk', $job['lane']);
        self::assertSame(900, $job['timeoutSeconds']);
        self::assertSame(3, $job['maxRetries']);
        self::assertSame('ALLOW', $job['concurrencyPolicy']);
    }

    public function testAnEmptyTimeoutFallsBackToTheDefault(): void
    {
        $this->job('edit_timeout');
        $this->editor()->save('edit_timeout', ['timeout_seconds' => '']);
        $job = $this->editor()->load('edit_timeout')['job'];
        self::assertNull($job['timeoutSeconds']);
        self::assertGreaterThan(0, $job['effectiveTimeoutSeconds']);
    }

    /**
     * @return array<string, array{0: array<string, string>, 1: string}>
     */
    public static function refusedValues(): array
    {
        return [
            'bad schedule' => [['schedule' => 'every now and then'], 'schedule'],
            'unknown lane' => [['lane' => 'no-such-lane'], 'lane'],
            'zero timeout' => [['timeout_seconds' => '0'], 'timeoutSeconds'],
            'negative retries' => [['max_retries' => '-1'], 'maxRetries'],
        ];
    }

    /**
     * @dataProvider refusedValues
     * @param array<string, string> $form
     */
    public function testTheServiceRefusalNamesTheFieldAndNothingChanges(array $form, string $field): void
    {
        $this->job('edit_refused');
        try {
            $this->editor()->save('edit_refused', $form + ['concurrency_policy' => 'REPLACE']);
            self::fail('the service accepted ' . json_encode($form));
        } catch (BadUserInputException $e) {
            self::assertStringContainsString($field, $e->getMessage());
        }
        $job = $this->editor()->load('edit_refused')['job'];
        self::assertSame('FORBID', $job['concurrencyPolicy'], 'a refused save changes nothing');
    }

    public function testTextInANumberFieldIsRefusedWithTheServiceMessage(): void
    {
        $this->job('edit_text');
        try {
            $this->editor()->save('edit_text', ['timeout_seconds' => 'ten minutes']);
            self::fail('a text timeout was accepted');
        } catch (GraphQlException $e) {
            self::assertStringContainsString('timeoutSeconds', $e->getMessage());
        }
    }

    public function testAnOperatorMayNotEdit(): void
    {
        $this->job('edit_forbidden');
        $this->expectException(ForbiddenException::class);
        $this->editor('operator')->save('edit_forbidden', ['schedule' => '* * * * *']);
    }
}
