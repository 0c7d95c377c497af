<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\Test\Support\Runs;

/**
 * The Alerts page against the real service: open alerts from a real failing run, acknowledge, rules
 * created, refused and deleted through the form mapping, channels shown masked, test messages.
 */
class AlertPagesTest extends ServiceTestCase
{
    /** Secret parts of the declared webhook: they must never reach the admin. */
    private const HOOK_PATH = '/hooks/s3cr3t-path-4f9a';
    private const HOOK_KEY = 'webhook-signing-key-7b1c2d3e4f';

    protected static function config(): string
    {
        // The webhook points at a closed local port: deliveries fail, which these tests do not look at.
        return sprintf(<<<'TOML'
[alerts]
evaluate_every = "1s"

[[alerts.channels]]
name = "ops-hook"
kind = "webhook"
url = "http://127.0.0.1:9%s"
secret = "%s"

[[alerts.rules]]
name = "from-config"
when = "run_timed_out"
channels = ["ops-hook"]
TOML, self::HOOK_PATH, self::HOOK_KEY);
    }

    private function board(string $role = 'viewer'): AlertBoard
    {
        return new AlertBoard(self::as($role, "it-$role"));
    }

    private function form(string $role = 'admin'): AlertRuleForm
    {
        return new AlertRuleForm(self::as($role));
    }

    public function testChannelsAreListedMaskedAndTheSecretsNeverAppear(): void
    {
        $page = $this->board()->load();
        self::assertCount(1, $page['channels']);
        $channel = $page['channels'][0];
        self::assertSame(['ops-hook', 'webhook', true], [$channel['name'], $channel['kind'], $channel['signed']]);
        self::assertStringStartsWith('http://127.0.0.1', $channel['maskedUrl']);
        $everything = json_encode($page, JSON_THROW_ON_ERROR);
        self::assertStringNotContainsString('s3cr3t-path', $everything);
        self::assertStringNotContainsString(self::HOOK_KEY, $everything);
    }

    public function testARuleIsCreatedFromTheFormAndReadBackIntoIt(): void
    {
        $posted = [
            'name' => 'form-rule',
            'when' => 'consecutive_failures',
            'jobs' => "alerts_*\nsales_*",
            'lanes' => '',
            'channels' => ['ops-hook'],
            'severity' => 'critical',
            'count' => '3',
            'open_after' => '',
            'remind_every' => '1h',
            'enabled' => '1',
        ];
        $saved = $this->form()->save($posted);
        self::assertSame(['name' => 'form-rule', 'when' => 'consecutive_failures', 'enabled' => true, 'source' => 'API'], $saved);

        $rule = AlertRuleForm::find($this->board()->load()['rules'], 'form-rule');
        self::assertNotNull($rule);
        $form = AlertRuleForm::toForm($rule);
        self::assertSame("alerts_*\nsales_*", $form['jobs']);
        self::assertSame(['ops-hook'], $form['channels']);
        self::assertSame('CRITICAL', $form['severity']);
        self::assertSame('3', $form['count']);
        self::assertSame('1h', $form['remind_every']);
        self::assertTrue($form['enabled']);
    }

    public function testAnUndeclaredChannelIsRefusedNamingTheField(): void
    {
        try {
            $this->form()->save(['name' => 'bad-channel', 'when' => 'run_failed', 'channels' => "ops-hook\npagr", 'enabled' => '1']);
            self::fail('an undeclared channel was accepted');
        } catch (BadUserInputException $e) {
            self::assertStringContainsString('channels[1]', $e->getMessage());
        }
        self::assertNull(AlertRuleForm::find($this->board()->load()['rules'], 'bad-channel'));
    }

    public function testARuleFromTheConfigFileIsRefused(): void
    {
        $this->expectException(BadUserInputException::class);
        $this->form()->save(['name' => 'from-config', 'when' => 'run_failed', 'enabled' => '1']);
    }

    public function testAnOperatorMayNotChangeRules(): void
    {
        $this->expectException(ForbiddenException::class);
        $this->form('operator')->save(['name' => 'operator-rule', 'when' => 'run_failed', 'enabled' => '1']);
    }

    public function testDeleteRemovesAnApiRuleOnce(): void
    {
        $this->form()->save(['name' => 'to-delete', 'when' => 'run_failed', 'enabled' => '0']);
        self::assertTrue($this->form()->delete('to-delete'));
        self::assertFalse($this->form()->delete('to-delete'));
        self::assertNull(AlertRuleForm::find($this->board()->load()['rules'], 'to-delete'));
    }

    public function testAFailingRunOpensAnAlertThatAnOperatorAcknowledges(): void
    {
        $this->form()->save(['name' => 'page-failures', 'when' => 'run_failed', 'jobs' => 'alerts_page_job', 'enabled' => '1']);
        $runs = new Runs(self::as('admin'));
        $runs->job('alerts_page_job', 'echo nope; exit 2');
        $runs->runNow('alerts_page_job');

        $alert = null;
        $deadline = microtime(true) + 30;
        while ($alert === null && microtime(true) < $deadline) {
            foreach ($this->board()->load()['open'] as $open) {
                if ($open['rule'] === 'page-failures') {
                    $alert = $open;
                }
            }
            usleep(300_000);
        }
        self::assertNotNull($alert, 'no alert opened for the failed run');
        self::assertSame('alerts_page_job', $alert['jobCode']);
        self::assertFalse($alert['acknowledged']);

        try {
            $this->board('viewer')->acknowledge((string)$alert['id']);
            self::fail('a viewer acknowledged an alert');
        } catch (ForbiddenException) {
        }
        $acked = $this->board('operator')->acknowledge((string)$alert['id']);
        self::assertTrue($acked['acknowledged']);
        self::assertSame('it-operator', $acked['acknowledgedBy']);

        $page = $this->board()->load();
        $recentIds = array_column($page['recent'], 'id');
        self::assertContains($alert['id'], $recentIds);
    }

    public function testATestMessageIsQueuedForADeclaredChannelOnly(): void
    {
        self::assertTrue($this->board('operator')->testChannel('ops-hook'));
        $this->expectException(GraphQlException::class);
        $this->board('operator')->testChannel('no-such-channel');
    }
}
