<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Alert\AlertChannelForm;
use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Test\Support\Magento\ArrayDataPersistor;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeAuthorization;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeRequest;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeUrl;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\Test\Support\TemplateRenderer;
use Cronkeeper\Scheduler\ViewModel\Alerts;
use Cronkeeper\Scheduler\ViewModel\ChannelEdit;

/**
 * The alert channel form against the real service: channels created, changed with the URL and key left
 * empty (kept), refused naming the field, protected while a rule uses them, deleted; the config file's
 * channel read-only; the URL and the key never in anything the admin gets back.
 */
class ChannelPagesTest extends ServiceTestCase
{
    private const FILE_HOOK_KEY = 'file-webhook-key-0123456789';
    private const URL = 'https://receiver.example.test/hooks/form-url-secret-9f3c';
    private const KEY = 'form-signing-key-secret-4d2e1f';

    protected static function config(): string
    {
        return sprintf(<<<'TOML'
[[alerts.channels]]
name = "file-hook"
kind = "webhook"
url = "http://127.0.0.1:9/file/secret-path"
secret = "%s"
TOML, self::FILE_HOOK_KEY);
    }

    private function form(string $role = 'admin'): AlertChannelForm
    {
        return new AlertChannelForm(self::as($role));
    }

    /**
     * @return array<string, mixed>|null
     */
    private function channel(string $name): ?array
    {
        return AlertChannelForm::find((new AlertBoard(self::as('viewer')))->load()['channels'], $name);
    }

    private static function assertNoSecret(string $text): void
    {
        foreach ([self::URL, 'form-url-secret', self::KEY, self::FILE_HOOK_KEY, 'secret-path'] as $secret) {
            self::assertStringNotContainsString($secret, $text);
        }
    }

    public function testAWebhookIsCreatedAndAnEditWithEmptyUrlAndKeyKeepsThem(): void
    {
        $saved = $this->form()->save(['original_name' => '', 'name' => 'form-hook', 'kind' => 'webhook', 'url' => self::URL, 'secret' => self::KEY]);
        self::assertSame(['form-hook', 'webhook', 'https://receiver.example.test/…', true, 'API'], [$saved['name'], $saved['kind'], $saved['maskedUrl'], $saved['signed'], $saved['source']]);

        // The form posts its empty URL and key fields: both are kept.
        $edited = $this->form()->save(['original_name' => 'form-hook', 'kind' => 'webhook', 'url' => '', 'secret' => '']);
        self::assertSame(['https://receiver.example.test/…', true], [$edited['maskedUrl'], $edited['signed']]);
        $moved = $this->form()->save(['original_name' => 'form-hook', 'kind' => 'webhook', 'url' => 'https://moved.example.test/x', 'secret' => '']);
        self::assertSame(['https://moved.example.test/…', true], [$moved['maskedUrl'], $moved['signed']]);
        self::assertTrue((new AlertBoard(self::as('operator')))->testChannel('form-hook'), 'a form channel takes test messages');
        self::assertNoSecret(json_encode([$saved, $edited, (new AlertBoard(self::as('viewer')))->load()], JSON_THROW_ON_ERROR));
    }

    public function testRefusedInputsNameTheFieldAndOnlyAdminsManageChannels(): void
    {
        foreach ([
            [['name' => 'bad name', 'kind' => 'slack', 'url' => self::URL], 'input.name'],
            [['name' => 'file-hook', 'kind' => 'slack', 'url' => self::URL], 'input.name'],
            [['name' => 'no-url', 'kind' => 'slack', 'url' => ''], 'input.url'],
            [['name' => 'ftp', 'kind' => 'slack', 'url' => 'ftp://receiver.example.test/form-url-secret'], 'input.url'],
            [['name' => 'keyless', 'kind' => 'webhook', 'url' => self::URL], 'input.secret'],
            [['name' => 'keyed-slack', 'kind' => 'slack', 'url' => self::URL, 'secret' => self::KEY], 'input.secret'],
        ] as [$posted, $field]) {
            try {
                $this->form()->save($posted);
                self::fail('accepted: ' . json_encode($posted));
            } catch (BadUserInputException $e) {
                self::assertStringStartsWith($field . ':', $e->getMessage());
                self::assertNoSecret($e->getMessage());
            }
        }
        try {
            $this->form()->save(['original_name' => 'file-hook', 'url' => self::URL]);
            self::fail('a channel of the config file was changed');
        } catch (BadUserInputException $e) {
            self::assertStringContainsString('configuration file', $e->getMessage());
        }
        $this->expectException(ForbiddenException::class);
        $this->form('operator')->save(['name' => 'operator-channel', 'kind' => 'slack', 'url' => self::URL]);
    }

    public function testAChannelInUseIsNotDeletedAndIsDeletedOnceFree(): void
    {
        $this->form()->save(['name' => 'busy', 'kind' => 'slack', 'url' => self::URL]);
        (new AlertRuleForm(self::as('admin')))->save(['name' => 'busy-rule', 'when' => 'run_failed', 'channels' => ['busy'], 'enabled' => '1']);
        self::assertSame(['busy-rule'], $this->channel('busy')['usedBy']);
        try {
            $this->form()->delete('busy');
            self::fail('a channel in use was deleted');
        } catch (BadUserInputException $e) {
            self::assertStringContainsString('busy-rule', $e->getMessage());
        }
        (new AlertRuleForm(self::as('admin')))->delete('busy-rule');
        self::assertTrue($this->form()->delete('busy'));
        self::assertFalse($this->form()->delete('busy'));
        self::assertNull($this->channel('busy'));
    }

    public function testTheFormStartsWithEmptySecretsAndTheAlertsPageOffersItToManagersOnly(): void
    {
        $this->form()->save(['name' => 'page-hook', 'kind' => 'webhook', 'url' => self::URL, 'secret' => self::KEY]);
        $edit = static fn (string $name): string => TemplateRenderer::render('alert/channel_edit.phtml', new ChannelEdit(
            new AlertBoard(self::as('admin')),
            new FakeRequest($name === '' ? [] : ['name' => $name]),
            new FakeUrl(),
            new ArrayDataPersistor()
        ));
        $html = $edit('page-hook');
        self::assertMatchesRegularExpression('/name="url" type="password"[^>]*value=""/', $html);
        self::assertMatchesRegularExpression('/name="secret" type="password"[^>]*value=""/', $html);
        self::assertStringContainsString('Leave empty to keep it', $html);
        self::assertStringContainsString('A key is set.', $html);
        self::assertStringContainsString('name="original_name" type="hidden" value="page-hook"', $html);
        self::assertStringContainsString('<option value="webhook" selected="selected">', $html);
        self::assertStringContainsString('action="/admin/cronkeeper/channel/save/"', $html);
        self::assertNoSecret($html);

        $file = $edit('file-hook');
        self::assertStringContainsString('change it there', $file);
        self::assertStringNotContainsString('Save Channel', $file);
        self::assertNoSecret($file);
        self::assertStringContainsString('There is no alert channel &quot;gone&quot;.', $edit('gone'));
        self::assertStringContainsString('Save Channel', $edit(''));

        $alerts = static fn (string ...$grants): string => TemplateRenderer::render('alert/index.phtml', new Alerts(
            new AlertBoard(self::as('viewer')),
            new FakeUrl(),
            new FakeAuthorization($grants)
        ));
        $manager = $alerts(RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE, RoleResolver::RESOURCE_MANAGE);
        self::assertStringContainsString('href="/admin/cronkeeper/channel/edit/"', $manager, 'Add Channel');
        self::assertStringContainsString('href="/admin/cronkeeper/channel/edit/name/page-hook/"', $manager);
        self::assertStringNotContainsString('/channel/edit/name/file-hook/', $manager, 'config channels are not editable here');
        self::assertStringContainsString('action="/admin/cronkeeper/channel/delete/"', $manager);
        self::assertNoSecret($manager);
        $viewer = $alerts(RoleResolver::RESOURCE_VIEW);
        self::assertStringNotContainsString('/channel/', $viewer);
    }
}
