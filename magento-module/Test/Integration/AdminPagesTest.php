<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\Job\JobEditor;
use Cronkeeper\Scheduler\Model\Run\RunDetails;
use Cronkeeper\Scheduler\Test\Support\Magento\ArrayDataPersistor;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeAuthorization;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeRequest;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeUrl;
use Cronkeeper\Scheduler\Test\Support\TemplateRenderer;
use Cronkeeper\Scheduler\Test\Support\Runs;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\ViewModel\Alerts;
use Cronkeeper\Scheduler\ViewModel\JobEdit;
use Cronkeeper\Scheduler\ViewModel\RuleEdit;
use Cronkeeper\Scheduler\ViewModel\RunView;

/**
 * The admin pages as the admin sees them: the module's view models and templates rendered with data
 * from the real service, for admins with different ACL grants.
 */
class AdminPagesTest extends ServiceTestCase
{
    private const HOOK_KEY = 'page-webhook-key-0123456789';

    protected static function config(): string
    {
        return sprintf(<<<'TOML'
[alerts]
evaluate_every = "1s"

[[alerts.channels]]
name = "page-hook"
kind = "webhook"
url = "http://127.0.0.1:9/page/secret-path"
secret = "%s"

[[alerts.rules]]
name = "file-rule"
when = "run_timed_out"
channels = ["page-hook"]
TOML, self::HOOK_KEY);
    }

    private static function grants(string ...$resources): FakeAuthorization
    {
        return new FakeAuthorization($resources);
    }

    public function testTheJobFormShowsTheJobAndARefusedSaveComesBackOnce(): void
    {
        (new Runs(self::as('admin')))->job('pages_job', 'true', ['lane' => 'bulk', 'timeoutSeconds' => 120]);
        $persistor = new ArrayDataPersistor();
        $page = static fn (): string => TemplateRenderer::render('job/edit.phtml', new JobEdit(
            new JobEditor(self::as('admin')),
            new FakeRequest(['code' => 'pages_job']),
            new FakeUrl(),
            $persistor
        ));

        $html = $page();
        self::assertStringContainsString('action="/admin/cronkeeper/job/save/code/pages_job/"', $html);
        self::assertStringContainsString('name="form_key" type="hidden" value="' . TemplateRenderer::FORM_KEY . '"', $html);
        self::assertStringContainsString('<option value="bulk" selected="selected">bulk</option>', $html);
        self::assertStringContainsString('<option value="critical">critical</option>', $html);
        self::assertMatchesRegularExpression('/name="timeout_seconds"[^>]*value="120"/', $html);
        self::assertMatchesRegularExpression('/name="schedule"[^>]*value="0 0 1 1 \*"/', $html);

        $persistor->set(JobEdit::PERSISTED_FORM, ['code' => 'pages_job', 'schedule' => 'every <tuesday>', 'timeout_seconds' => '']);
        $html = $page();
        self::assertMatchesRegularExpression('/name="schedule"[^>]*value="every &lt;tuesday&gt;"/', $html);
        self::assertMatchesRegularExpression('/name="timeout_seconds"[^>]*value=""/', $html);
        self::assertMatchesRegularExpression('/name="schedule"[^>]*value="0 0 1 1 \*"/', $page(), 'shown once');
    }

    public function testAnUnknownJobShowsAMessageAndNoForm(): void
    {
        $html = TemplateRenderer::render('job/edit.phtml', new JobEdit(
            new JobEditor(self::as('admin')),
            new FakeRequest(['code' => 'no_such_job']),
            new FakeUrl(),
            new ArrayDataPersistor()
        ));
        self::assertStringContainsString('There is no job &quot;no_such_job&quot; in cronkeeper.', $html);
        self::assertStringNotContainsString('<form', $html);
    }

    public function testTheRunPageLinksTheAttemptsEscapesTheOutputAndOffersRetryToOperators(): void
    {
        $runs = new Runs(self::as('admin'));
        $runs->job('pages_chain', 'echo "<b>not bold</b>"; exit 4', [
            'maxRetries' => 1,
            'backoff' => ['initialSeconds' => 0.1, 'maxSeconds' => 0.1],
        ]);
        $runs->runNow('pages_chain');
        $all = $runs->waitFor('pages_chain', static fn (array $r): bool => Runs::countIn($r, 'FAILED') === 2);
        $ids = [];
        foreach ($all as $run) {
            $ids[$run['attempt']] = (string)$run['id'];
        }
        $page = static fn (FakeAuthorization $acl): string => TemplateRenderer::render('run/view.phtml', new RunView(
            new RunDetails(self::as('viewer')),
            new FakeRequest(['id' => $ids[2]]),
            new FakeUrl(),
            $acl
        ));

        $html = $page(self::grants(RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE));
        self::assertStringContainsString('&lt;b&gt;not bold&lt;/b&gt;', $html);
        self::assertStringNotContainsString('<b>not bold</b>', $html);
        self::assertStringContainsString('href="/admin/cronkeeper/run/view/id/' . $ids[1] . '/"', $html, 'attempt 1 is linked');
        self::assertStringContainsString('<strong>' . $ids[2] . '</strong>', $html, 'the shown attempt is not a link');
        self::assertStringContainsString('action="/admin/cronkeeper/run/retry/id/' . $ids[2] . '/"', $html);
        self::assertStringNotContainsString('/run/kill/', $html, 'a finished run cannot be killed');

        $viewerHtml = $page(self::grants(RoleResolver::RESOURCE_VIEW));
        self::assertStringNotContainsString('/run/retry/', $viewerHtml);
        self::assertStringContainsString('&lt;b&gt;not bold&lt;/b&gt;', $viewerHtml);
    }

    public function testTheAlertsPageShowsChannelsAsSetAndRulesByWhoMayChangeThem(): void
    {
        (new AlertRuleForm(self::as('admin')))->save(['name' => 'api-rule', 'when' => 'run_failed', 'channels' => ['page-hook'], 'enabled' => '1']);
        $page = static fn (FakeAuthorization $acl): string => TemplateRenderer::render('alert/index.phtml', new Alerts(
            new AlertBoard(self::as('viewer')),
            new FakeUrl(),
            $acl
        ));

        $html = $page(self::grants(RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE, RoleResolver::RESOURCE_MANAGE));
        self::assertStringContainsString('page-hook', $html);
        self::assertStringNotContainsString('secret-path', $html);
        self::assertStringNotContainsString(self::HOOK_KEY, $html);
        self::assertStringContainsString('(set)', $html);
        self::assertStringContainsString('href="/admin/cronkeeper/rule/edit/name/api-rule/"', $html);
        self::assertStringNotContainsString('/rule/edit/name/file-rule/', $html, 'file rules are not editable here');
        self::assertStringContainsString('change it in the service&#039;s configuration file', $html);
        self::assertStringContainsString('action="/admin/cronkeeper/alert/testchannel/"', $html);

        $viewerHtml = $page(self::grants(RoleResolver::RESOURCE_VIEW));
        self::assertStringNotContainsString('/rule/edit/', $viewerHtml);
        self::assertStringNotContainsString('/alert/testchannel/', $viewerHtml);
        self::assertStringNotContainsString('type="submit"', $viewerHtml);
    }

    public function testAnOpenAlertIsListedWithItsRunAndAcknowledgeForOperators(): void
    {
        (new AlertRuleForm(self::as('admin')))->save(['name' => 'pages-failures', 'when' => 'run_failed', 'jobs' => 'pages_alerting', 'enabled' => '1']);
        $runs = new Runs(self::as('admin'));
        $runs->job('pages_alerting', 'exit 9');
        $runId = $runs->runNow('pages_alerting');
        $board = new AlertBoard(self::as('viewer'));
        $alert = self::service()->waitFor('an open alert of pages-failures', 30.0, static function () use ($board): ?array {
            foreach ($board->load()['open'] as $open) {
                if ($open['rule'] === 'pages-failures') {
                    return $open;
                }
            }
            return null;
        });
        $page = static fn (FakeAuthorization $acl): string => TemplateRenderer::render('alert/index.phtml', new Alerts($board, new FakeUrl(), $acl));

        $html = $page(self::grants(RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE));
        self::assertStringContainsString('job:pages_alerting', $html);
        self::assertStringContainsString('href="/admin/cronkeeper/run/view/id/' . $runId . '/"', $html);
        self::assertStringContainsString('action="/admin/cronkeeper/alert/acknowledge/"', $html);
        self::assertStringContainsString('name="id" type="hidden" value="' . $alert['id'] . '"', $html);

        self::assertStringNotContainsString('/alert/acknowledge/', $page(self::grants(RoleResolver::RESOURCE_VIEW)));

        (new AlertBoard(self::as('operator', 'ops-olga')))->acknowledge((string)$alert['id']);
        $acknowledged = $page(self::grants(RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE));
        self::assertStringContainsString('acknowledged by ops-olga', $acknowledged);
        self::assertStringNotContainsString('name="id" type="hidden" value="' . $alert['id'] . '"', $acknowledged, 'no second acknowledge');
    }

    public function testTheRuleFormIsReadOnlyForAFileRuleAndFilledForAnApiRule(): void
    {
        (new AlertRuleForm(self::as('admin')))->save([
            'name' => 'form-api-rule', 'when' => 'consecutive_failures', 'count' => '4', 'channels' => ['page-hook'], 'enabled' => '1',
        ]);
        $page = static fn (string $name): string => TemplateRenderer::render('alert/rule_edit.phtml', new RuleEdit(
            new AlertBoard(self::as('admin')),
            new FakeRequest(['name' => $name]),
            new FakeUrl(),
            new ArrayDataPersistor()
        ));

        $file = $page('file-rule');
        self::assertStringContainsString('change it there', $file);
        self::assertStringContainsString('disabled="disabled"', $file);
        self::assertStringNotContainsString('Save Rule', $file);

        $api = $page('form-api-rule');
        self::assertStringNotContainsString('disabled="disabled"', $api);
        self::assertStringContainsString('<option value="consecutive_failures" selected="selected">', $api);
        self::assertStringContainsString('<option value="page-hook" selected="selected">', $api);
        self::assertMatchesRegularExpression('/name="count"[^>]*value="4"/', $api);
        self::assertStringContainsString('name="original_name" type="hidden" value="form-api-rule"', $api);
    }
}
