<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * The real service for an integration test: `$CRONKEEPER_BIN serve` on a free port with a fresh SQLite
 * database in a temporary directory, stopped (TERM, then KILL after 5 s) and cleaned up by stop().
 */
final class CronkeeperService
{
    /** @var resource|null */
    private $process = null;
    private string $dir;
    public readonly int $port;

    /**
     * @param array<string, string> $env added to the environment, e.g. CRONKEEPER_MAGENTO_ROOT
     * @throws \RuntimeException when the binary is missing or the service does not become healthy
     */
    public function __construct(string $bin, string $jwtSecret, array $env = [])
    {
        if (!is_executable($bin)) {
            throw new \RuntimeException("CRONKEEPER_BIN=$bin is not executable");
        }
        $this->dir = sys_get_temp_dir() . '/ck-module-' . bin2hex(random_bytes(4));
        mkdir($this->dir, 0700, true);
        $this->port = PhpServer::freePort();
        $env = $env + [
            'CRONKEEPER_LISTEN' => '127.0.0.1:' . $this->port,
            'CRONKEEPER_DATABASE_URL' => 'sqlite://' . $this->dir . '/ck.db',
            'CRONKEEPER_DATA_DIR' => $this->dir,
            'CRONKEEPER_JWT_SECRET' => $jwtSecret,
        ] + getenv();
        $this->process = proc_open(
            [$bin, 'serve'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->dir . '/stdout.log', 'w'], 2 => ['file', $this->dir . '/stderr.log', 'w']],
            $pipes,
            $this->dir,
            $env
        );
        if (!is_resource($this->process) || !$this->waitForHealth(20.0)) {
            $log = $this->log();
            $this->stop();
            throw new \RuntimeException('cronkeeper did not become healthy: ' . $log);
        }
    }

    public function graphqlUrl(): string
    {
        return 'http://127.0.0.1:' . $this->port . '/graphql';
    }

    public function log(): string
    {
        return trim((string)@file_get_contents($this->dir . '/stderr.log')) . ' ' . trim((string)@file_get_contents($this->dir . '/stdout.log'));
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
                usleep(50_000);
            }
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
            }
            proc_close($this->process);
        }
        $this->process = null;
        if (is_dir($this->dir)) {
            exec('rm -rf ' . escapeshellarg($this->dir));
        }
    }

    private function waitForHealth(float $seconds): bool
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            if (!proc_get_status($this->process)['running']) {
                return false;
            }
            $ctx = stream_context_create(['http' => ['timeout' => 0.5, 'ignore_errors' => true]]);
            $body = @file_get_contents('http://127.0.0.1:' . $this->port . '/healthz', false, $ctx);
            if ($body !== false && isset($http_response_header[0]) && str_contains($http_response_header[0], ' 200')) {
                return true;
            }
            usleep(100_000);
        }
        return false;
    }
}
