<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\ViewModel;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Consumer\ConsumerBoard;
use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\Job\JobEditor;
use Cronkeeper\Scheduler\Model\Run\RunDetails;
use Cronkeeper\Scheduler\Test\Support\Magento\ArrayDataPersistor;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeAuthorization;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeRequest;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeUrl;
use Cronkeeper\Scheduler\Test\Support\TemplateRenderer;
use Cronkeeper\Scheduler\Test\Support\MintingServiceClient;
use Cronkeeper\Scheduler\Test\Support\PhpServer;
use Cronkeeper\Scheduler\ViewModel\Alerts;
use Cronkeeper\Scheduler\ViewModel\ChannelEdit;
use Cronkeeper\Scheduler\ViewModel\Consumers;
use Cronkeeper\Scheduler\ViewModel\JobEdit;
use Cronkeeper\Scheduler\ViewModel\RuleEdit;
use Cronkeeper\Scheduler\ViewModel\RunView;
use PHPUnit\Framework\TestCase;

/**
 * With nothing listening on the service URL every page still renders, with the reason as an admin
 * error message and no action buttons, and quickly (the connect timeout bounds it).
 */
class ServiceDownPagesTest extends TestCase
{
    /**
     * @return array<string, array{0: string, 1: callable(MintingServiceClient): object}>
     */
    public static function pages(): array
    {
        $url = new FakeUrl();
        $all = new FakeAuthorization([RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE, RoleResolver::RESOURCE_MANAGE]);
        return [
            'job edit' => ['job/edit.phtml', static fn ($c) => new JobEdit(new JobEditor($c), new FakeRequest(['code' => 'x']), $url, new ArrayDataPersistor())],
            'run page' => ['run/view.phtml', static fn ($c) => new RunView(new RunDetails($c), new FakeRequest(['id' => '1']), $url, $all)],
            'consumers' => ['consumer/index.phtml', static fn ($c) => new Consumers(new ConsumerBoard($c), $url, $all)],
            'alerts' => ['alert/index.phtml', static fn ($c) => new Alerts(new AlertBoard($c), $url, $all)],
            'rule form' => ['alert/rule_edit.phtml', static fn ($c) => new RuleEdit(new AlertBoard($c), new FakeRequest(['name' => 'r']), $url, new ArrayDataPersistor())],
            'channel form' => ['alert/channel_edit.phtml', static fn ($c) => new ChannelEdit(new AlertBoard($c), new FakeRequest(['name' => 'c']), $url, new ArrayDataPersistor())],
        ];
    }

    /**
     * @dataProvider pages
     * @param callable(MintingServiceClient): object $viewModel
     */
    public function testThePageRendersTheReasonInsteadOfFailing(string $template, callable $viewModel): void
    {
        $port = PhpServer::freePort();
        $client = new MintingServiceClient(new Client("http://127.0.0.1:$port/graphql", 500, 1000), str_repeat('k', 32), 'admin');
        $started = microtime(true);
        $html = TemplateRenderer::render($template, $viewModel($client));

        self::assertLessThan(2.0, microtime(true) - $started);
        self::assertStringContainsString('message-error', $html);
        self::assertStringContainsString("Cronkeeper: The cronkeeper service at http://127.0.0.1:$port/graphql is unreachable", $html);
        self::assertStringNotContainsString('type="submit"', $html, 'no actions without data');
    }
}
