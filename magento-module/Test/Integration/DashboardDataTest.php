<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\Dashboard\DashboardData;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Test\Support\CronkeeperService;
use Cronkeeper\Scheduler\Test\Support\MintingServiceClient;
use Cronkeeper\Scheduler\Test\Support\TemplateRenderer;
use Cronkeeper\Scheduler\Test\Support\UsesCronkeeperService;
use PHPUnit\Framework\TestCase;

/**
 * The dashboard's data assembly (Model/Dashboard/DashboardData) against the real cronkeeper binary with
 * real runs: a saturated lane with a queue, failures that open an alert, a timeout and a kill.
 * Skipped outside CI when CRONKEEPER_BIN is unset; failing in CI.
 */
class DashboardDataTest extends TestCase
{
    private const CONFIG = <<<'TOML'
kill_grace = "1s"
drain_timeout = "2s"

[lanes.default]
slots = 4
[lanes.narrow]
slots = 1

[[jobs]]
code = "export_orders"
schedule = "@every 2s"
command = ["sh", "-c", "echo 'export failed: disk full' >&2; exit 3"]

[[jobs]]
code = "sitemap_generate"
schedule = "0 0 1 1 *"
timeout = "1s"
command = ["sleep", "30"]

[[jobs]]
code = "cleanup_logs"
schedule = "0 0 1 1 *"
command = ["sleep", "60"]

[[jobs]]
code = "import_products"
schedule = "0 0 1 1 *"
lane = "narrow"
command = ["sleep", "300"]

[[jobs]]
code = "feed_refresh"
schedule = "0 0 1 1 *"
lane = "narrow"
command = ["true"]

[[alerts.rules]]
name = "exports failing"
when = "run_failed"
jobs = ["export_*"]
channels = []
TOML;

    private const RUN_NOW = 'mutation ($c: String!) { runJobNow(code: $c) { id } }';
    private const RUN = 'query ($id: ID!) { run(id: $id) { status } }';

    use UsesCronkeeperService;

    private static ?string $killedRunId = null;

    public static function setUpBeforeClass(): void
    {
        self::startService(self::CONFIG, static function (CronkeeperService $ck): void {
            $now = static fn (string $code): string => $ck->query(self::RUN_NOW, ['c' => $code])['runJobNow']['id'];
            $status = static fn (string $id): string => $ck->query(self::RUN, ['id' => $id])['run']['status'];

            $hog = $now('import_products');
            $ck->waitFor('import_products to run', 10, static fn () => $status($hog) === 'RUNNING' ? true : null);
            $now('feed_refresh');                    // waits behind it: the narrow lane is saturated
            $timeout = $now('sitemap_generate');
            $killed = $now('cleanup_logs');
            $ck->waitFor('cleanup_logs to run', 10, static fn () => $status($killed) === 'RUNNING' ? true : null);
            $ck->query('mutation ($id: ID!) { killRun(id: $id) { id } }', ['id' => $killed]);
            $ck->waitFor('the timeout and the kill', 15, static fn () =>
                $status($timeout) === 'TIMED_OUT' && $status($killed) === 'KILLED' ? true : null);
            $ck->waitFor('the failure alert to open', 20, static fn () =>
                $ck->query('{ alerts(filter: {state: OPEN}) { totalCount } }')['alerts']['totalCount'] > 0 ? true : null);
            $ck->waitFor('export_orders to fail three times', 20, static fn () => $ck->query(
                '{ runs(filter: {jobCode: "export_orders", statuses: [FAILED]}) { totalCount } }'
            )['runs']['totalCount'] >= 3 ? true : null);
            self::$killedRunId = $killed;
        });
    }

    protected function setUp(): void
    {
        $this->requireService();
    }

    private function dashboard(): DashboardData
    {
        return new DashboardData(new MintingServiceClient(self::$service->client(), CronkeeperService::SECRET, 'viewer'));
    }

    public function testLanesShowSlotsBusyQueuedAndTheOldestWait(): void
    {
        $data = $this->dashboard()->assemble(new \DateTimeImmutable());
        $lanes = array_column($data['lanes'], null, 'name');

        self::assertArrayHasKey('default', $lanes);
        self::assertSame(4, $lanes['default']['slots']);
        $narrow = $lanes['narrow'];
        self::assertSame(['slots' => 1, 'busy' => 1, 'free' => 0, 'queued' => 1, 'saturated' => true], [
            'slots' => $narrow['slots'], 'busy' => $narrow['busy'], 'free' => $narrow['free'],
            'queued' => $narrow['queued'], 'saturated' => $narrow['saturated'],
        ]);
        self::assertMatchesRegularExpression('/^\d+ (s|min \d+ s)$/', (string)$narrow['oldestWaiting']);
        self::assertNotNull($narrow['oldestQueuedAt']);
        self::assertFalse($lanes['default']['saturated']);
        self::assertSame(array_sum(array_column($data['lanes'], 'slots')), $data['totals']['slots']);
        self::assertGreaterThanOrEqual(1, $data['totals']['queued']);
    }

    public function testErrorsOfTheLastDayAreFailuresAndTimeoutsButNotKills(): void
    {
        $data = $this->dashboard()->assemble(new \DateTimeImmutable());
        $errors = $data['errors'];
        $expected = self::$service->query(
            '{ runs(filter: {statuses: [FAILED, TIMED_OUT, INTERRUPTED]}) { totalCount } }'
        )['runs']['totalCount'];

        // The failing job keeps failing while we look: the count moves only forward.
        self::assertGreaterThanOrEqual(2, $errors['total']);
        self::assertLessThanOrEqual($expected, $errors['total']);
        $statuses = array_unique(array_column($errors['items'], 'status'));
        self::assertEmpty(array_diff($statuses, DashboardData::ERROR_STATUSES), 'only error statuses');
        self::assertContains('TIMED_OUT', $statuses);
        self::assertContains('FAILED', $statuses);
        self::assertNotContains(self::$killedRunId, array_column($errors['items'], 'id'), 'a kill is not an error');
        self::assertArrayHasKey('export_orders', $errors['byJob']);
        self::assertSame('export_orders', array_key_first($errors['byJob']), 'the job with most errors first');
        self::assertLessThanOrEqual(DashboardData::LIST_LIMIT, count($errors['items']));
        $failed = array_values(array_filter($errors['items'], static fn (array $r) => $r['status'] === 'FAILED'))[0];
        self::assertSame('export_orders', $failed['jobCode']);
        self::assertSame(3, $failed['exitCode']);
    }

    public function testErrorsOlderThanADayAreLeftOut(): void
    {
        // Seen from two days ahead, today's errors are older than 24 hours.
        $data = $this->dashboard()->assemble(new \DateTimeImmutable('+2 days'));
        self::assertSame(0, $data['errors']['total']);
        self::assertSame([], $data['errors']['items']);
    }

    public function testOpenAlertsAreListed(): void
    {
        $alerts = $this->dashboard()->assemble(new \DateTimeImmutable())['alerts'];
        self::assertGreaterThanOrEqual(1, $alerts['total']);
        $alert = $alerts['items'][0];
        self::assertSame('exports failing', $alert['rule']);
        self::assertSame('job:export_orders', $alert['subject']);
        self::assertFalse($alert['acknowledged']);
        self::assertNotSame('', $alert['summary']);
    }

    public function testQueuesAndConsumersAreListsAndTimesAreInTheShopsZone(): void
    {
        $now = new \DateTimeImmutable('2026-07-01T12:00:00Z');
        $data = $this->dashboard()->assemble($now, 'Europe/Amsterdam');
        self::assertIsArray($data['queues']);
        self::assertIsArray($data['consumers']);
        // 24 h before 12:00 UTC is 14:00 the day before in Amsterdam (UTC+2 in July).
        self::assertSame('2026-06-30 14:00:00', $data['errors']['since']);
    }

    public function testTheTemplateRendersWhatWasAssembled(): void
    {
        $data = $this->dashboard()->assemble(new \DateTimeImmutable());
        $html = TemplateRenderer::render('dashboard.phtml', self::viewModel($data, null));

        self::assertStringNotContainsString('message-error', $html);
        self::assertMatchesRegularExpression('#<td>narrow</td>\s*<td>1 / 1</td>\s*<td>0</td>\s*<td>1</td>#', $html);
        self::assertStringContainsString('class="cronkeeper-saturated"', $html);
        self::assertStringContainsString('<td>exports failing</td>', $html);
        self::assertStringContainsString('<td>job:export_orders</td>', $html);
        $firstError = $data['errors']['items'][0];
        self::assertStringContainsString('<a href="/run/view/id/' . $firstError['id'] . '">#' . $firstError['id'] . '</a>', $html);
        self::assertMatchesRegularExpression('#Most errors among the latest \d+: export_orders \(\d+\)#', $html);
        // Embedded dispatch: each lane is a queue named after it (the service's `queues`).
        self::assertMatchesRegularExpression('#<td>narrow</td>\s*<td>narrow</td>\s*<td>\d+</td>#', $html);
        self::assertStringContainsString('No consumer processes reported.', $html);
    }

    public function testTheTemplateShowsAnUnreachableServiceAsAnAdminError(): void
    {
        $html = TemplateRenderer::render('dashboard.phtml', self::viewModel(null, 'The cronkeeper service at http://x <b> is unreachable'));
        self::assertStringContainsString('message message-error', $html);
        self::assertStringContainsString('is unreachable', $html);
        self::assertStringContainsString('&lt;b&gt;', $html, 'the message is escaped');
        self::assertStringNotContainsString('<table', $html);
    }

    /**
     * What ViewModel/Dashboard gives the template (the real one needs Magento's URL builder and time zone).
     *
     * @param array<string, mixed>|null $data
     */
    private static function viewModel(?array $data, ?string $error): object
    {
        return new class ($data, $error) {
            public function __construct(private readonly ?array $data, private readonly ?string $error)
            {
            }

            public function getData(): ?array
            {
                return $this->data;
            }

            public function getError(): ?string
            {
                return $this->error;
            }

            public function getRunUrl(string $id): string
            {
                return '/run/view/id/' . $id;
            }

            public function getTimelineUrl(): string
            {
                return '/timeline';
            }
        };
    }

    /**
     * Runs last (PHPUnit keeps declaration order): it stops the service.
     */
    public function testAStoppedServiceFailsWithServiceUnavailable(): void
    {
        $dashboard = $this->dashboard();
        self::$service->stop();
        $this->expectException(ServiceUnavailableException::class);
        $dashboard->assemble(new \DateTimeImmutable());
    }
}
