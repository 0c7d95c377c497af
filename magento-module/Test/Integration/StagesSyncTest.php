<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use Cronkeeper\Scheduler\Model\Stages\StagePlan;
use Cronkeeper\Scheduler\Model\Sync\MagentoJobCollector;
use Cronkeeper\Scheduler\Test\Support\CronkeeperService;
use Cronkeeper\Scheduler\Test\Support\ReferenceCrontab;
use Cronkeeper\Scheduler\Test\Unit\Model\Indexer\JobExpanderTest;
use PHPUnit\Framework\TestCase;

/**
 * Stages 2 and 3 as cronkeeper:sync sends them, against the real binary: Magento 2.4.7's own crontab files
 * collected, the sweep schedule applied and the indexer jobs split by StagePlan as cronkeeper:sync does, pushed with
 * syncMagentoJobs, read back, and one per-indexer job run. magento.root is a directory whose bin/magento
 * only records how it was called (there is no Magento here): that checks the argv and working directory the
 * service runs, not the command itself. Skipped outside CI when CRONKEEPER_BIN is unset; failing in CI.
 */
class StagesSyncTest extends TestCase
{
    private const RUN = 'query ($id: ID!) { run(id: $id) { status exitCode output error } }';
    private const JOB = 'query ($code: String!) { job(code: $code) { code group lane schedule concurrencyPolicy source
        executor { __typename ... on CommandExecutor { argv workingDir } } } }';

    private static ?CronkeeperService $service = null;
    private static ?string $startError = null;
    private static string $magentoRoot = '';

    public static function setUpBeforeClass(): void
    {
        $bin = getenv('CRONKEEPER_BIN') ?: '';
        if ($bin === '') {
            return;
        }
        self::$magentoRoot = sys_get_temp_dir() . '/ck-magento-' . bin2hex(random_bytes(4));
        mkdir(self::$magentoRoot . '/bin', 0700, true);
        file_put_contents(
            self::$magentoRoot . '/bin/magento',
            "<?php\nfile_put_contents(__DIR__ . '/../calls.log', getcwd() . ' ' . implode(' ', array_slice(\$argv, 1)) . \"\\n\", FILE_APPEND);\n"
        );
        try {
            self::$service = CronkeeperService::start($bin, '', [
                'CRONKEEPER_MAGENTO_ROOT' => self::$magentoRoot,
                'CRONKEEPER_MAGENTO_PHP' => PHP_BINARY,
            ]);
        } catch (\RuntimeException $e) {
            self::$startError = $e->getMessage();
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::$service?->stop();
        self::$service = null;
        if (self::$magentoRoot !== '' && is_dir(self::$magentoRoot)) {
            exec('rm -rf ' . escapeshellarg(self::$magentoRoot));
        }
    }

    protected function setUp(): void
    {
        if ((getenv('CRONKEEPER_BIN') ?: '') === '') {
            if (getenv('CI')) {
                self::fail('CRONKEEPER_BIN must point to the cronkeeper binary in CI.');
            }
            self::markTestSkipped('CRONKEEPER_BIN is not set: the integration tests need the cronkeeper binary.');
        }
        if (self::$startError !== null) {
            self::fail(self::$startError);
        }
        if (ReferenceCrontab::jobs() === null) {
            if (getenv('CI')) {
                self::fail('CI must have ' . ReferenceCrontab::directory());
            }
            self::markTestSkipped(ReferenceCrontab::directory() . ' not found');
        }
    }

    /**
     * @return array<string, mixed>
     */
    private function call(string $query, array $variables): array
    {
        $client = new Client(self::$service->graphqlUrl(), 1000, 10000);
        return $client->execute($query, $variables, (new TokenMinter(CronkeeperService::SECRET, 120))->mint('stages-it', 'admin'));
    }

    /**
     * @return array<string, mixed>
     */
    private function job(string $code): array
    {
        $job = $this->call(self::JOB, ['code' => $code])['job'];
        self::assertIsArray($job, "job $code exists");
        return $job;
    }

    public function testTheSyncedMagentoCrontabHasPerIndexerCommandJobsAndCriticalLanes(): void
    {
        $inputs = (new MagentoJobCollector())->collect(ReferenceCrontab::jobs(), static fn (string $path): ?string => null);
        $plan = StagePlan::create()->apply($inputs, '*/15 * * * *', static fn (): array => JobExpanderTest::INDEXERS);
        $inputs = $plan['inputs'];

        $result = $this->call(Queries::SYNC_MAGENTO_JOBS, ['input' => $inputs])['syncMagentoJobs'];
        self::assertSame(count($inputs), $result['created'], json_encode($result));

        $update = $this->job('indexer_update_all_views.catalog_product_price');
        self::assertSame(['index', 'critical', '* * * * *', 'FORBID', 'MAGENTO'], [$update['group'], $update['lane'], $update['schedule'], $update['concurrencyPolicy'], $update['source']]);
        self::assertSame('CommandExecutor', $update['executor']['__typename']);
        self::assertSame([self::$magentoRoot . '/bin/magento', 'cronkeeper:indexer:update', 'catalog_product_price'], array_slice($update['executor']['argv'], 1));
        self::assertSame(self::$magentoRoot, $update['executor']['workingDir']);

        $reindex = $this->job('indexer_reindex_all_invalid.acme_report');
        self::assertSame(['critical', 'FORBID'], [$reindex['lane'], $reindex['concurrencyPolicy']]);
        self::assertSame(['cronkeeper:indexer:reindex-invalid', 'acme_report'], array_slice($reindex['executor']['argv'], 2));
        $clean = $this->job('indexer_clean_all_changelogs.catalogsearch_fulltext');
        self::assertSame(['critical', '0 * * * *'], [$clean['lane'], $clean['schedule']]);
        self::assertSame(['cronkeeper:indexer:clean-changelog', 'catalogsearch_fulltext'], array_slice($clean['executor']['argv'], 2));

        self::assertSame(['indexer_reindex_all_invalid', 'indexer_update_all_views', 'indexer_clean_all_changelogs'], $plan['replaced']);
        foreach ($plan['replaced'] as $code) {
            self::assertNull($this->call(self::JOB, ['code' => $code])['job'], "$code is replaced, not synced");
        }
        foreach (['sales_send_order_emails', 'sales_send_order_invoice_emails', 'sales_send_order_shipment_emails', 'sales_send_order_creditmemo_emails'] as $code) {
            $sweeper = $this->job($code);
            self::assertSame(['critical', '*/15 * * * *', 'MagentoExecutor'], [$sweeper['lane'], $sweeper['schedule'], $sweeper['executor']['__typename']]);
        }
        foreach (['sales_grid_order_async_insert', 'sales_grid_order_creditmemo_async_insert', 'catalog_index_refresh_price'] as $code) {
            self::assertSame('critical', $this->job($code)['lane'], $code);
        }
        self::assertSame('default', $this->job('sales_clean_quotes')['lane']);

        $again = $this->call(Queries::SYNC_MAGENTO_JOBS, ['input' => $inputs])['syncMagentoJobs'];
        self::assertSame([0, 0, count($inputs), 0], [$again['created'], $again['updated'], $again['unchanged'], $again['removed']]);

        $run = $this->call('mutation ($code: String!) { runJobNow(code: $code) { id } }', ['code' => 'indexer_update_all_views.catalog_product_price'])['runJobNow'];
        $deadline = microtime(true) + 20;
        do {
            usleep(200_000);
            $state = $this->call(self::RUN, ['id' => $run['id']])['run'];
        } while (!in_array($state['status'], ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'KILLED', 'INTERRUPTED'], true) && microtime(true) < $deadline);
        self::assertSame(['SUCCEEDED', 0], [$state['status'], $state['exitCode']], json_encode($state));
        self::assertSame(
            realpath(self::$magentoRoot) . " cronkeeper:indexer:update catalog_product_price\n",
            (string)@file_get_contents(self::$magentoRoot . '/calls.log'),
            'the service ran <php> <root>/bin/magento cronkeeper:indexer:update <id> in magento.root'
        );
    }

    public function testABlankCommandArgumentIsRefusedNamingTheJobAndNothingChanges(): void
    {
        $good = ['code' => 'acme_nightly', 'group' => 'default', 'schedule' => '0 3 * * *', 'instance' => 'Acme\\Cron', 'method' => 'execute'];
        $bad = ['code' => 'indexer_update_all_views.acme', 'group' => 'index', 'schedule' => '* * * * *', 'instance' => 'Magento\\Indexer\\Cron\\UpdateMview', 'method' => 'execute', 'command' => ['cronkeeper:indexer:update', ' ']];
        try {
            $this->call(Queries::SYNC_MAGENTO_JOBS, ['input' => [$good, $bad]]);
            self::fail('a blank argument was accepted');
        } catch (BadUserInputException $e) {
            self::assertSame('input[1].command', $e->getField(), $e->getMessage());
            self::assertStringContainsString('blank', $e->getMessage());
        }
        self::assertNull($this->call(self::JOB, ['code' => 'acme_nightly'])['job'], 'the whole sync is refused');
    }
}
