<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Browser;

use Cronkeeper\Scheduler\Test\Support\CronkeeperService;
use Cronkeeper\Scheduler\Test\Support\PhpServer;
use Cronkeeper\Scheduler\Test\Support\UsesCronkeeperService;
use Cronkeeper\Scheduler\Test\Support\WebDriver;
use PHPUnit\Framework\TestCase;

/**
 * view/adminhtml/web/js/timeline.js in headless Chromium (Debian's chromium + chromedriver), on a standalone
 * page, against the real cronkeeper binary with real runs: jobs that succeed, fail, time out, get killed,
 * keep running, wait for a retry and miss their start. The page fetches through a same-origin pass-through
 * to the service with a token minted by `cronkeeper token`; a second page mounts it as the Magento admin
 * does, through Model/Timeline/TimelineProxy, and a third walks the jobs a page of three at a time.
 *
 * The tests share one browser and one service and run in declaration order: the click leaves the first
 * page, and the last test stops the service.
 * Skipped outside CI when CRONKEEPER_BIN or chromium is missing; failing in CI.
 */
class TimelineBrowserTest extends TestCase
{
    /**
     * The jobs the scenario needs, each ending one way. Schedules far off are started by runJobNow.
     * feed_refresh fires every second, so the restart in makeRuns() leaves fire times behind: MISSED.
     */
    private const CONFIG = <<<'TOML'
kill_grace = "1s"
drain_timeout = "2s"   # a restart or stop() ends the long runs within seconds

[lanes.default]
slots = 8

[[jobs]]
code = "catalog_reindex"
schedule = "@every 2s"
command = ["true"]

[[jobs]]
code = "export_orders"
schedule = "@every 3s"
command = ["sh", "-c", "echo 'export failed: disk full' >&2; exit 3"]

[[jobs]]
code = "sitemap_generate"
schedule = "@every 4s"
timeout = "1s"
command = ["sleep", "30"]

[[jobs]]
code = "feed_refresh"
schedule = "@every 1s"
command = ["true"]

[[jobs]]
code = "cleanup_logs"
schedule = "0 0 1 1 *"
command = ["sleep", "60"]

[[jobs]]
code = "import_products"
schedule = "0 0 1 1 *"
command = ["sleep", "300"]

[[jobs]]
code = "newsletter_send"
schedule = "0 0 1 1 *"
max_retries = 1
backoff = { initial = "3m", factor = 1.0, max = "3m", jitter = 0.0 }
command = ["false"]
TOML;

    private const SCHEDULED = ['catalog_reindex', 'export_orders', 'sitemap_generate', 'feed_refresh'];
    private const MUST_SHOW = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'KILLED', 'MISSED'];

    private const TIMELINE = 'query ($from: DateTime!, $to: DateTime!) {
  timeline(from: $from, to: $to) { jobCode runs { id status error count } }
}';
    private const RUN = 'query ($id: ID!) { run(id: $id) { id status } }';

    use UsesCronkeeperService {
        UsesCronkeeperService::tearDownAfterClass as stopService;
    }

    private static ?PhpServer $page = null;
    private static ?WebDriver $browser = null;
    private static ?string $requestLog = null;
    private static ?string $noBrowser = null;
    private static ?string $killedRunId = null;

    public static function setUpBeforeClass(): void
    {
        $tools = WebDriver::locate();
        if (is_string($tools)) {
            self::$noBrowser = 'timeline browser test: ' . $tools;
            return;
        }
        self::startService(self::CONFIG, static fn (CronkeeperService $ck) => self::makeRuns($ck));
        if (self::$service === null || self::$setupError !== null) {
            return;
        }
        try {
            self::$requestLog = tempnam(sys_get_temp_dir(), 'ck-tl-requests-');
            self::$page = new PhpServer(__DIR__ . '/_files/standalone.php', [
                'CK_TOKEN' => self::$service->cliToken('viewer', 'timeline-browser-test'),
                'CK_SERVICE_GRAPHQL' => self::$service->graphqlUrl(),
                'CK_TIMELINE_JS' => dirname(__DIR__, 2) . '/view/adminhtml/web/js/timeline.js',
                'CK_REQUEST_LOG' => self::$requestLog,
                'CK_REFRESH_SECONDS' => '2',
                'CK_JWT_SECRET' => CronkeeperService::SECRET,
            ]);
            self::$page->start();
            self::$browser = WebDriver::start($tools[0], $tools[1], 1400, 600);
            self::$browser->open(self::$page->url('/'));
        } catch (\Throwable $e) {
            self::$setupError = get_class($e) . ': ' . $e->getMessage();
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::$browser?->quit();
        self::$page?->stop();
        self::stopService();
        if (self::$requestLog !== null) {
            @unlink(self::$requestLog);
        }
    }

    protected function setUp(): void
    {
        if (self::$noBrowser !== null) {
            if (getenv('CI')) {
                self::fail(self::$noBrowser . ' Nothing may be skipped in CI.');
            }
            self::markTestSkipped(self::$noBrowser);
        }
        $this->requireService();
    }

    /**
     * Real runs of every kind, then the schedules paused so the picture holds still while it is compared.
     */
    private static function makeRuns(CronkeeperService $ck): void
    {
        $now = static fn (string $code): string => $ck->query('mutation ($c: String!) { runJobNow(code: $c) { id } }', ['c' => $code])['runJobNow']['id'];
        $status = static fn (string $id): string => $ck->query(self::RUN, ['id' => $id])['run']['status'];
        $seen = static function () use ($ck): array {
            $rows = $ck->query(self::TIMELINE, [
                'from' => gmdate('Y-m-d\TH:i:s\Z', time() - 3600), 'to' => gmdate('Y-m-d\TH:i:s\Z', time() + 3600),
            ])['timeline'];
            $statuses = [];
            foreach ($rows as $row) {
                foreach ($row['runs'] as $run) {
                    $statuses[$run['status']] = true;
                }
            }
            return $statuses;
        };

        $doomed = $now('cleanup_logs');
        $ck->waitFor('cleanup_logs to run', 10, static fn () => $status($doomed) === 'RUNNING' ? true : null);
        $ck->query('mutation ($id: ID!) { killRun(id: $id) { id } }', ['id' => $doomed]);
        $now('newsletter_send');                         // fails; its retry waits 3 min: PENDING
        $ck->waitFor('a success, a failure and a timeout', 20, static function () use ($seen) {
            return array_diff(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'KILLED', 'PENDING'], array_keys($seen())) === [] ? true : null;
        });
        // Down for a few seconds, as in a deployment: feed_refresh's fire times in between become MISSED.
        $ck->restart(4.0);
        $running = $now('import_products');
        $ck->waitFor('import_products to run', 10, static fn () => $status($running) === 'RUNNING' ? true : null);
        $ck->waitFor('runs of every status: ' . implode(', ', self::MUST_SHOW), 20, static function () use ($seen) {
            return array_diff(self::MUST_SHOW, array_keys($seen())) === [] ? true : null;
        });

        $ck->query('mutation ($codes: [String!]!) { pauseJobs(codes: $codes) { code } }', ['codes' => self::SCHEDULED]);
        // Settled: nothing QUEUED any more, and the only RUNNING run is import_products.
        $ck->waitFor('the runs to settle after pausing', 20, static function () use ($ck, $running) {
            $busy = $ck->query('{ runs(filter: {statuses: [QUEUED, RUNNING]}) { nodes { id } } }')['runs']['nodes'];
            return array_column($busy, 'id') === [$running] ? true : null;
        });
        if ($status($doomed) !== 'KILLED') {
            throw new \RuntimeException("cleanup_logs run $doomed ended " . $status($doomed) . ', not KILLED');
        }
        self::$killedRunId = $doomed;
    }

    private function browser(): WebDriver
    {
        return self::$browser ?? throw new \LogicException('no browser');
    }

    private function waitUntilReady(): void
    {
        $this->browser()->waitFor('the timeline to load', "var t = document.getElementById('timeline');
            return t.getAttribute('data-state') === 'ready' && t.querySelector('.ck-tl-row') !== null;");
    }

    /**
     * What the page shows, read in one go: its window and, per job row, each block's run id, status and colour.
     *
     * @return array{from: string, to: string, loads: int, rows: array<string, array<string, array{status: string, color: string}>>}
     */
    private function snapshot(): array
    {
        return $this->browser()->execute("var t = document.getElementById('timeline'), rows = {};
            t.querySelectorAll('.ck-tl-row').forEach(function (row) {
                var runs = {};
                row.querySelectorAll('.ck-tl-run').forEach(function (b) {
                    var css = getComputedStyle(b);
                    runs[b.getAttribute('data-run-id')] = {status: b.getAttribute('data-status'),
                        color: b.classList.contains('ck-tl-waiting') ? css.borderTopColor : css.backgroundColor};
                });
                rows[row.getAttribute('data-job-code')] = runs;
            });
            return {from: t.getAttribute('data-from'), to: t.getAttribute('data-to'), loads: +t.getAttribute('data-loads'), rows: rows};");
    }

    /**
     * @param array<string, array<string, mixed>> $byJob
     * @return array<string, array<string, mixed>> jobs and, in each, their keys in order
     */
    private static function sortedByJob(array $byJob): array
    {
        ksort($byJob);
        return array_map(static function (array $inner): array {
            ksort($inner);
            return $inner;
        }, $byJob);
    }

    private static function rgb(string $hex): string
    {
        [$r, $g, $b] = sscanf($hex, '#%02x%02x%02x');
        return "rgb($r, $g, $b)";
    }

    /**
     * Compares the page with the API's timeline for the page's own window: the same rows in code order,
     * a block per run with its status, painted in its status's colour.
     *
     * @return array<string, string> status => colour as drawn
     */
    private function assertShowsWhatTheApiHas(): array
    {
        $shown = $this->snapshot();
        $colors = $this->browser()->execute('return Object.fromEntries(Object.entries(CronkeeperTimeline.STATUSES).map(function (e) { return [e[0], e[1].color]; }));');
        $rows = self::$service->query(self::TIMELINE, ['from' => $shown['from'], 'to' => $shown['to']], 'viewer')['timeline'];

        $expected = [];
        foreach ($rows as $row) {
            foreach ($row['runs'] as $run) {
                $expected[$row['jobCode']][$run['id']] = $run['status'];
            }
        }
        $actual = [];
        $colorOf = [];
        foreach ($shown['rows'] as $job => $runs) {
            foreach ($runs as $id => $block) {
                $actual[$job][$id] = $block['status'];
                self::assertSame(self::rgb($colors[$block['status']]), $block['color'], "colour of $job run $id ({$block['status']})");
                $colorOf[$block['status']] = $block['color'];
            }
        }
        self::assertSame(array_keys(self::sortedByJob($expected)), array_keys($shown['rows']), 'one row per job, in code order');
        self::assertSame(self::sortedByJob($expected), self::sortedByJob($actual), 'every run of the API is a block with its status');
        return $colorOf;
    }

    public function testEveryRunOfTheApiIsABlockInItsJobsRowColouredByItsStatus(): void
    {
        $this->waitUntilReady();
        $colorOf = $this->assertShowsWhatTheApiHas();
        foreach (self::MUST_SHOW as $status) {
            self::assertArrayHasKey($status, $colorOf, "a $status block is shown");
        }
        self::assertCount(count($colorOf), array_unique($colorOf), 'each status has a colour of its own');
    }

    public function testZoomChangesTheWindowAndTheQuery(): void
    {
        $this->waitUntilReady();
        $spans = ['1h' => 3600, '24h' => 86400, '7d' => 604800, '6h' => 21600];
        $spread = [];
        foreach ($spans as $zoom => $seconds) {
            $this->browser()->click($this->browser()->find('.ck-tl-zoom button[data-zoom="' . $zoom . '"]'));
            $this->browser()->waitFor("zoom $zoom", "var t = document.getElementById('timeline');
                return t.getAttribute('data-zoom') === arguments[0] && t.getAttribute('data-state') === 'ready'
                    && (Date.parse(t.getAttribute('data-to')) - Date.parse(t.getAttribute('data-from'))) === arguments[1] * 1000;", [$zoom, $seconds]);
            $shown = $this->snapshot();
            self::assertSame($seconds, (strtotime($shown['to']) - strtotime($shown['from'])), "window of $zoom");
            self::assertSame('true', $this->browser()->execute(
                'return document.querySelector(".ck-tl-zoom button[data-zoom=\"" + arguments[0] + "\"]").getAttribute("aria-pressed");',
                [$zoom]
            ));

            // The service was asked for exactly this window, for the jobs of the page only.
            $asked = self::timelineRequests();
            $windows = array_map(static fn (array $v) => strtotime($v['to']) - strtotime($v['from']), $asked);
            self::assertContains($seconds, $windows, "a $zoom query reached the service");
            // 24 h and 7 d ask for spans with a resolution; 1 h and 6 h for every run.
            $folded = $seconds >= 86400;
            $last = end($asked);
            self::assertSame($folded, isset($last['resolutionSeconds']), "$zoom: resolutionSeconds sent only when folded");
            self::assertSame(self::allCodes(), $last['jobCodes'], "$zoom: the page's jobs (all seven fit in one), named");
            self::assertSame($folded ? 'spans' : 'runs', $this->browser()->execute('return document.getElementById("timeline").getAttribute("data-view");'));
            self::assertSame($folded, (bool)$this->browser()->execute('return document.querySelector(".ck-tl-run.ck-tl-span") !== null;'), "$zoom: span blocks");

            // How far apart the first and the last run are drawn: the wider the window, the closer.
            $spread[$zoom] = $this->browser()->execute('var lefts = [];
                document.querySelectorAll(".ck-tl-run").forEach(function (b) { lefts.push(b.getBoundingClientRect().left); });
                return Math.max.apply(null, lefts) - Math.min.apply(null, lefts);');
        }
        self::assertGreaterThan($spread['6h'] * 4, $spread['1h'], 'zooming in from 6 h to 1 h spreads the runs out');
        self::assertGreaterThan($spread['7d'] * 4, $spread['24h'], 'zooming out from 24 h to 7 d squeezes them together');
        self::assertGreaterThan(0, $this->browser()->execute('return document.querySelectorAll(".ck-tl-axis .ck-tl-tick").length;'));
    }

    /**
     * At 24 h the page draws the service's spans: per job and status they hold exactly the runs the per-run
     * timeline has for the same window (a failure is never folded into a success), in fewer blocks.
     */
    public function testTheWideZoomDrawsSpansThatKeepEveryFailure(): void
    {
        $this->waitUntilReady();
        $this->browser()->click($this->browser()->find('.ck-tl-zoom button[data-zoom="24h"]'));
        $this->browser()->waitFor('zoom 24h', "var t = document.getElementById('timeline');
            return t.getAttribute('data-zoom') === '24h' && t.getAttribute('data-view') === 'spans' && t.getAttribute('data-state') === 'ready';");
        $shown = $this->browser()->execute("var t = document.getElementById('timeline'), rows = {}, blocks = 0;
            t.querySelectorAll('.ck-tl-row').forEach(function (row) {
                var counts = {};
                row.querySelectorAll('.ck-tl-run').forEach(function (b) {
                    blocks++;
                    var s = b.getAttribute('data-status');
                    counts[s] = (counts[s] || 0) + Number(b.getAttribute('data-count'));
                });
                rows[row.getAttribute('data-job-code')] = counts;
            });
            return {from: t.getAttribute('data-from'), to: t.getAttribute('data-to'), rows: rows, blocks: blocks};");
        $rows = self::$service->query(self::TIMELINE, ['from' => $shown['from'], 'to' => $shown['to']], 'viewer')['timeline'];
        $expected = [];
        $runs = 0;
        foreach ($rows as $row) {
            foreach ($row['runs'] as $run) {
                $expected[$row['jobCode']][$run['status']] = ($expected[$row['jobCode']][$run['status']] ?? 0) + $run['count'];
                $runs++;
            }
        }
        self::assertSame(self::sortedByJob($expected), self::sortedByJob($shown['rows']), 'the spans hold every run, each under its own status');
        self::assertGreaterThan(0, $expected['export_orders']['FAILED'] ?? 0, 'failures are in the window');
        self::assertLessThan($runs, $shown['blocks'], 'runs of one status were folded into fewer blocks');

        // A span's details say how many runs it holds and link to its latest run (a span nothing
        // covers, of any status: with a few minutes of history every block sits in the last pixels
        // of a 24 h track, and the failures drawn above cover the successes there).
        $found = $this->browser()->execute('var found = null;
            document.querySelectorAll(".ck-tl-run.ck-tl-span").forEach(function (b) {
                var r = b.getBoundingClientRect();
                if (!found && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b) {
                    found = {id: b.getAttribute("data-run-id"), job: b.closest(".ck-tl-row").getAttribute("data-job-code")};
                }
            });
            return found;');
        self::assertIsArray($found, 'a folded block can be pointed at');
        $id = (string)$found['id'];
        $this->browser()->hover($this->browser()->find('.ck-tl-row[data-job-code="' . $found['job'] . '"] .ck-tl-run[data-run-id="' . $id . '"]'));
        $text = (string)$this->browser()->waitFor('the span details', "var tip = document.querySelector('.ck-tl-tooltip');
            return !tip.hidden && tip.getAttribute('data-run-id') === arguments[0] ? tip.innerText : null;", [$id]);
        self::assertStringContainsString((string)$found['job'], $text);
        self::assertStringContainsString('#' . $id, $text);
        self::assertMatchesRegularExpression('/Runs\s+\d+/', $text);

        $this->browser()->click($this->browser()->find('.ck-tl-zoom button[data-zoom="6h"]'));
        $this->browser()->waitFor('back to 6h', "var t = document.getElementById('timeline');
            return t.getAttribute('data-view') === 'runs' && t.getAttribute('data-state') === 'ready';");
    }

    public function testHoveringABlockShowsTheRunsDetails(): void
    {
        $this->browser()->click($this->browser()->find('.ck-tl-zoom button[data-zoom="1h"]'));
        $this->browser()->waitFor('zoom 1h', "return document.getElementById('timeline').getAttribute('data-zoom') === '1h';");
        $this->waitUntilReady();
        $artifacts = getenv('CRONKEEPER_ARTIFACTS') ?: dirname(__DIR__, 2) . '/ci/artifacts';
        $this->browser()->screenshot($artifacts . '/timeline.png');
        // A failed block that nothing else covers at its centre (short runs get a minimum width and overlap).
        $id = (string)$this->browser()->execute('var found = null;
            document.querySelectorAll(\'.ck-tl-row[data-job-code="export_orders"] .ck-tl-run[data-status="FAILED"]\').forEach(function (b) {
                var r = b.getBoundingClientRect();
                if (document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b) { found = b.getAttribute("data-run-id"); }
            });
            return found;');
        self::assertNotSame('', $id, 'a failed block can be pointed at');
        $run = self::$service->query('query ($id: ID!) { run(id: $id) { error exitCode } }', ['id' => $id], 'viewer')['run'];

        $this->browser()->hover($this->browser()->find('.ck-tl-run[data-run-id="' . $id . '"]'));
        $text = (string)$this->browser()->waitFor('the tooltip', "var tip = document.querySelector('.ck-tl-tooltip');
            return !tip.hidden && tip.getAttribute('data-run-id') === arguments[0] ? tip.innerText : null;", [$id]);

        self::assertStringContainsString('export_orders', $text);
        self::assertStringContainsString('Failed', $text);
        self::assertStringContainsString('#' . $id, $text);
        self::assertStringContainsString('3', (string)$run['exitCode']);
        self::assertNotEmpty($run['error'], 'the API reports an error for the failed run');
        self::assertStringContainsString(mb_substr((string)$run['error'], 0, 60), $text);

        $box = $this->browser()->execute('var t = document.querySelector(".ck-tl-tooltip").getBoundingClientRect(),
            b = document.querySelector(\'.ck-tl-run[data-run-id="\' + arguments[0] + \'"]\').getBoundingClientRect();
            return {tipRight: t.right, tipLeft: t.left, blockLeft: b.left, blockRight: b.right, page: document.documentElement.clientWidth};', [$id]);
        self::assertTrue($box['tipRight'] <= $box['blockLeft'] || $box['tipLeft'] >= $box['blockRight'], 'the details do not cover the block');
        self::assertLessThanOrEqual($box['page'], $box['tipRight'], 'the details stay on the page');

        $this->browser()->screenshot($artifacts . '/timeline-hover.png');
        self::assertFileExists($artifacts . '/timeline.png');
        self::assertFileExists($artifacts . '/timeline-hover.png');
    }

    public function testANewRunAppearsWithoutReloadingThePage(): void
    {
        $this->waitUntilReady();
        $this->browser()->execute('window.__sameDocument = true;');
        $run = self::$service->query('mutation { runJobNow(code: "catalog_reindex") { id } }')['runJobNow'];
        self::$service->waitFor('the manual run to finish', 15, fn () =>
            self::$service->query(self::RUN, ['id' => $run['id']])['run']['status'] === 'SUCCEEDED' ? true : null);

        $status = $this->browser()->waitFor('the new run on the page', 'var b = document.querySelector(\'.ck-tl-run[data-run-id="\' + arguments[0] + \'"]\');
            return b && b.getAttribute("data-status") === "SUCCEEDED" ? b.getAttribute("data-status") : null;', [$run['id']], 15.0);
        self::assertSame('SUCCEEDED', $status);
        self::assertTrue($this->browser()->execute('return window.__sameDocument === true;'), 'no reload happened');
    }

    public function testTypingInTheFilterNarrowsTheRows(): void
    {
        $this->waitUntilReady();
        $filter = $this->browser()->find('.ck-tl-filter');
        $rows = "return Array.from(document.querySelectorAll('.ck-tl-row')).map(function (r) { return r.getAttribute('data-job-code'); });";

        // The service searches (the page holds only some of a shop's jobs): the rows follow once it answered.
        $this->browser()->type($filter, 'EXPORT');
        $this->browser()->waitFor('the export row alone', 'var codes = Array.from(document.querySelectorAll(".ck-tl-row")).map(function (r) { return r.getAttribute("data-job-code"); });
            return codes.length === 1 && codes[0] === "export_orders";');
        self::assertSame(['export_orders'], $this->browser()->execute($rows), 'case-insensitive substring of the code');
        $search = array_values(array_filter(self::requests(), static fn (array $v) => isset($v['filter']['search'])));
        self::assertSame('EXPORT', end($search)['filter']['search'], 'the text reached the service as the jobs filter');
        $this->browser()->type($filter, '_nothing_like_this');
        $this->browser()->waitFor('no row', 'return document.querySelectorAll(".ck-tl-row").length === 0 && !document.querySelector(".ck-tl-empty").hidden;');
        self::assertSame([], $this->browser()->execute($rows));
        self::assertStringContainsString('No job matches', (string)$this->browser()->execute('return document.querySelector(".ck-tl-empty").textContent;'));
        $this->browser()->clear($filter);
        $jobs = substr_count(self::CONFIG, '[[jobs]]');
        $this->browser()->waitFor('every row back', 'return document.querySelectorAll(".ck-tl-row").length === arguments[0];', [$jobs]);
        self::assertCount($jobs, $this->browser()->execute($rows), 'every job again');
    }

    public function testClickingABlockOpensItsRunPage(): void
    {
        $this->waitUntilReady();
        $id = (string)self::$killedRunId;
        self::assertSame('KILLED', $this->browser()->execute(
            'return document.querySelector(\'.ck-tl-run[data-run-id="\' + arguments[0] + \'"]\').getAttribute("data-status");',
            [$id]
        ));
        $this->browser()->click($this->browser()->find('.ck-tl-run[data-run-id="' . $id . '"]'));
        $heading = $this->browser()->waitFor('the run page', "var h = document.getElementById('run'); return h ? h.textContent : null;");

        self::assertSame('Run ' . $id, $heading);
        self::assertStringEndsWith('/run/view/id/' . $id, $this->browser()->currentUrl());
    }

    public function testTheAdminsWayDrawsTheSameWithoutATokenInThePage(): void
    {
        // As in Magento: the page has only dataUrl; the token is minted server-side by TimelineProxy.
        $this->browser()->open(self::$page->url('/proxy'));
        $this->waitUntilReady();
        $this->assertShowsWhatTheApiHas();
        self::assertStringNotContainsString('eyJ', (string)$this->browser()->execute('return document.documentElement.outerHTML;'), 'no JWT in the page');

        $asked = self::timelineRequests();
        $last = end($asked);
        self::assertSame(21600, strtotime($last['to']) - strtotime($last['from']), 'the proxy was asked for the 6 h window');
        self::assertSame(self::allCodes(), $last['jobCodes'], 'for the jobs of the page');
        $pages = array_values(array_filter(self::requests(), static fn (array $v) => ($v['view'] ?? null) === 'jobs'));
        self::assertSame('50', end($pages)['first'] ?? null, 'a page of 50 jobs by default');
    }

    /**
     * Three jobs a page, through the proxy as in Magento: each page draws its own jobs and asks the service
     * for their runs only; Next and Previous walk the pages, and the wide zoom's spans come for the page too.
     */
    public function testThePagerWalksThePagesOfJobs(): void
    {
        $this->browser()->open(self::$page->url('/proxy?pageSize=3'));
        $this->waitUntilReady();
        $codes = self::allCodes();
        $pages = [array_slice($codes, 0, 3), array_slice($codes, 3, 3), array_slice($codes, 6)];
        $state = "var t = document.getElementById('timeline');
            return {page: t.getAttribute('data-page'), total: t.getAttribute('data-total-jobs'), label: t.querySelector('.ck-tl-page').textContent,
                rows: Array.from(t.querySelectorAll('.ck-tl-row')).map(function (r) { return r.getAttribute('data-job-code'); }),
                previous: t.querySelector('.ck-tl-previous').disabled, next: t.querySelector('.ck-tl-next').disabled};";
        $onPage = function (int $n) use ($state): array {
            $this->browser()->waitFor("page $n", "var t = document.getElementById('timeline');
                return t.getAttribute('data-page') === arguments[0] && t.getAttribute('data-state') === 'ready';", [(string)$n]);
            return $this->browser()->execute($state);
        };

        $shown = $onPage(1);
        self::assertSame($pages[0], $shown['rows']);
        self::assertSame(['1', '7', 'Jobs 1–3 of 7', true, false], [$shown['page'], $shown['total'], $shown['label'], $shown['previous'], $shown['next']]);
        $asked = self::timelineRequests();
        self::assertSame($pages[0], end($asked)['jobCodes'], 'only the first page\'s runs were asked for');

        $this->browser()->click($this->browser()->find('.ck-tl-next'));
        $shown = $onPage(2);
        self::assertSame($pages[1], $shown['rows']);
        self::assertSame(['Jobs 4–6 of 7', false, false], [$shown['label'], $shown['previous'], $shown['next']]);
        $asked = self::timelineRequests();
        self::assertSame($pages[1], end($asked)['jobCodes']);

        $this->browser()->click($this->browser()->find('.ck-tl-next'));
        $shown = $onPage(3);
        self::assertSame([$pages[2], 'Jobs 7–7 of 7', false, true], [$shown['rows'], $shown['label'], $shown['previous'], $shown['next']]);

        // The folded view of this page: spans (from the service's spanColumns) for its job only.
        $this->browser()->click($this->browser()->find('.ck-tl-zoom button[data-zoom="24h"]'));
        $this->browser()->waitFor('spans of page 3', "var t = document.getElementById('timeline');
            return t.getAttribute('data-view') === 'spans' && t.getAttribute('data-state') === 'ready' && t.querySelector('.ck-tl-run.ck-tl-span') !== null;");
        $asked = self::timelineRequests();
        self::assertSame(['spans', $pages[2]], [end($asked)['view'] ?? null, end($asked)['jobCodes']]);
        self::assertSame($pages[2], $this->browser()->execute($state)['rows']);

        $this->browser()->click($this->browser()->find('.ck-tl-previous'));
        self::assertSame($pages[1], $onPage(2)['rows'], 'back to the second page, still at 24 h');
        self::assertSame('24h', $this->browser()->execute('return document.getElementById("timeline").getAttribute("data-zoom");'));
        $this->browser()->click($this->browser()->find('.ck-tl-previous'));
        self::assertSame($pages[0], $onPage(1)['rows']);
    }

    /**
     * Every data request the page made, oldest first: GraphQL variables (the / page) or proxy parameters.
     *
     * @return list<array<string, mixed>>
     */
    private static function requests(): array
    {
        $lines = file((string)self::$requestLog, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [];
        return array_values(array_filter(array_map(static fn (string $l) => json_decode($l, true), $lines), 'is_array'));
    }

    /**
     * The requests for runs or spans (they have a window), not for a page of jobs.
     *
     * @return list<array<string, mixed>>
     */
    private static function timelineRequests(): array
    {
        return array_values(array_filter(self::requests(), static fn (array $v) => isset($v['from'], $v['to'])));
    }

    /**
     * @return list<string> the scenario's job codes, in code order
     */
    private static function allCodes(): array
    {
        preg_match_all('/^code = "([a-z_]+)"$/m', self::CONFIG, $m);
        $codes = $m[1];
        sort($codes);
        return $codes;
    }

    /**
     * Last: it stops the service.
     */
    public function testAServiceOutageShowsAnErrorAndKeepsThePicture(): void
    {
        $this->waitUntilReady();
        $rowsBefore = count($this->snapshot()['rows']);
        self::$service->stop();

        $message = $this->browser()->waitFor('the error message', "var t = document.getElementById('timeline'), e = t.querySelector('.ck-tl-error');
            return t.getAttribute('data-state') === 'error' && !e.hidden ? e.textContent : null;");
        self::assertStringContainsString('Could not load the timeline', (string)$message);
        self::assertStringContainsString('unreachable', (string)$message);
        self::assertSame($rowsBefore, count($this->snapshot()['rows']), 'the last picture stays');
    }
}
