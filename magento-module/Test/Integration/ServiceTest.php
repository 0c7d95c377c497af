<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use Cronkeeper\Scheduler\Test\Support\PhpServer;
use PHPUnit\Framework\TestCase;

/**
 * The module's client and token code against the real cronkeeper binary ($CRONKEEPER_BIN serve),
 * written against the API contract of issue #3. Skipped outside CI when CRONKEEPER_BIN is unset;
 * failing in CI.
 */
class ServiceTest extends TestCase
{
    private const SECRET = 'integration-secret-0123456789-abcdefghijklmnopqr'; // 48 bytes

    /** @var resource|null */
    private static $process = null;
    private static ?string $dir = null;
    private static int $port = 0;
    private static ?string $startError = null;

    public static function setUpBeforeClass(): void
    {
        $bin = getenv('CRONKEEPER_BIN') ?: '';
        if ($bin === '') {
            return;
        }
        if (!is_executable($bin)) {
            self::$startError = "CRONKEEPER_BIN=$bin is not executable";
            return;
        }
        self::$dir = sys_get_temp_dir() . '/ck-module-' . bin2hex(random_bytes(4));
        mkdir(self::$dir, 0700, true);
        self::$port = PhpServer::freePort();
        $env = getenv() + [];
        $env['CRONKEEPER_LISTEN'] = '127.0.0.1:' . self::$port;
        $env['CRONKEEPER_DATABASE_URL'] = 'sqlite://' . self::$dir . '/ck.db';
        $env['CRONKEEPER_DATA_DIR'] = self::$dir;
        $env['CRONKEEPER_JWT_SECRET'] = self::SECRET;
        self::$process = proc_open(
            [$bin, 'serve'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', self::$dir . '/stdout.log', 'w'], 2 => ['file', self::$dir . '/stderr.log', 'w']],
            $pipes,
            self::$dir,
            $env
        );
        if (!is_resource(self::$process) || !self::waitForHealth(20.0)) {
            self::$startError = 'cronkeeper did not become healthy: ' . self::log();
            self::stopService();
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::stopService();
        if (self::$dir !== null) {
            foreach (glob(self::$dir . '/*') ?: [] as $file) {
                is_dir($file) ? @exec('rm -rf ' . escapeshellarg($file)) : @unlink($file);
            }
            @rmdir(self::$dir);
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
    }

    private static function waitForHealth(float $seconds): bool
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            $status = proc_get_status(self::$process);
            if (!$status['running']) {
                return false;
            }
            $ctx = stream_context_create(['http' => ['timeout' => 0.5, 'ignore_errors' => true]]);
            $body = @file_get_contents('http://127.0.0.1:' . self::$port . '/healthz', false, $ctx);
            if ($body !== false && isset($http_response_header[0]) && str_contains($http_response_header[0], ' 200')) {
                return true;
            }
            usleep(100_000);
        }
        return false;
    }

    private static function stopService(): void
    {
        if (is_resource(self::$process)) {
            proc_terminate(self::$process, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status(self::$process)['running'] && microtime(true) < $deadline) {
                usleep(50_000);
            }
            if (proc_get_status(self::$process)['running']) {
                proc_terminate(self::$process, 9);
            }
            proc_close(self::$process);
        }
        self::$process = null;
    }

    private static function log(): string
    {
        return self::$dir === null ? '' : trim((string)@file_get_contents(self::$dir . '/stderr.log')) . ' ' . trim((string)@file_get_contents(self::$dir . '/stdout.log'));
    }

    private function client(): Client
    {
        return new Client('http://127.0.0.1:' . self::$port . '/graphql', 1000, 5000);
    }

    private function token(string $role, string $sub = 'integration-admin'): string
    {
        return (new TokenMinter(self::SECRET, 120))->mint($sub, $role);
    }

    private const UPSERT = 'mutation ($input: JobInput!) { upsertJob(input: $input) { code schedule lane paused timeoutSeconds } }';
    private const PAUSE = 'mutation ($code: String!) { pauseJob(code: $code) { code paused } }';

    /**
     * @return array<string, mixed>
     */
    private function upsert(string $code, array $extra = []): array
    {
        // $extra overrides the defaults (array_merge; `+` would keep the defaults).
        return $this->client()->execute(self::UPSERT, ['input' => array_merge([
            'code' => $code,
            'schedule' => '*/5 * * * *',
            'executor' => ['command' => ['argv' => ['/bin/true']]],
        ], $extra)], $this->token('admin'))['upsertJob'];
    }

    public function testAViewerCanQueryJobsWithAMintedToken(): void
    {
        $data = $this->client()->execute('{ jobs(first: 5) { totalCount nodes { code } } }', [], $this->token('viewer'));
        self::assertArrayHasKey('totalCount', $data['jobs']);
        self::assertIsArray($data['jobs']['nodes']);
    }

    public function testAnAdminUpsertsAndPausesAJob(): void
    {
        $job = $this->upsert('module_it_pause', ['timeoutSeconds' => 30]);
        self::assertSame('module_it_pause', $job['code']);
        self::assertSame('*/5 * * * *', $job['schedule']);
        self::assertFalse($job['paused']);

        $paused = $this->client()->execute(self::PAUSE, ['code' => 'module_it_pause'], $this->token('admin'))['pauseJob'];
        self::assertTrue($paused['paused']);
    }

    public function testAViewerIsForbiddenToPause(): void
    {
        $this->upsert('module_it_forbidden');
        $this->expectException(ForbiddenException::class);
        $this->client()->execute(self::PAUSE, ['code' => 'module_it_forbidden'], $this->token('viewer'));
    }

    public function testATokenSignedWithAnotherSecretIsUnauthenticated(): void
    {
        $foreign = (new TokenMinter(strrev(self::SECRET), 120))->mint('mallory', 'admin');
        $this->expectException(UnauthenticatedException::class);
        $this->client()->execute('{ jobs(first: 1) { totalCount } }', [], $foreign);
    }

    public function testTheGridQueryWithMappedPagingSortingAndFiltersRuns(): void
    {
        foreach (['module_it_grid_a', 'module_it_grid_b', 'module_it_grid_c'] as $code) {
            $this->upsert($code);
        }
        $variables = GridRequestMapper::forJobs()->map([
            'paging' => ['current' => 2, 'pageSize' => 1],
            'sorting' => ['field' => 'code', 'direction' => 'asc'],
            'search' => 'module_it_grid',
        ]);
        $jobs = $this->client()->execute(Queries::JOBS, $variables, $this->token('viewer'))['jobs'];
        self::assertSame(3, $jobs['totalCount']);
        self::assertSame(['module_it_grid_b'], array_column($jobs['nodes'], 'code'));
    }

    public function testBadInputNamesTheField(): void
    {
        try {
            $this->upsert('module_it_bad', ['schedule' => 'every now and then']);
            self::fail('a bad cron expression was accepted');
        } catch (\Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException $e) {
            self::assertStringContainsString('schedule', $e->getMessage());
        }
    }

    /**
     * Runs last (PHPUnit keeps declaration order): it stops the service.
     */
    public function testAStoppedServiceIsUnavailableQuickly(): void
    {
        self::stopService();
        $started = microtime(true);
        try {
            $this->client()->execute('{ jobs(first: 1) { totalCount } }', [], $this->token('viewer'));
            self::fail('expected ServiceUnavailableException');
        } catch (ServiceUnavailableException) {
        }
        self::assertLessThan(2.0, microtime(true) - $started);
    }
}
