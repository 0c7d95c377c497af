<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;

/**
 * The real cronkeeper binary ($CRONKEEPER_BIN serve) on a free port with a fresh SQLite database and,
 * optionally, a config file: what the browser and dashboard tests run against.
 */
final class CronkeeperService
{
    public const SECRET = 'integration-secret-0123456789-abcdefghijklmnopqr'; // 48 bytes

    /** @var resource|null */
    private $process = null;
    private string $dir;
    private int $port;

    /**
     * @param array<string, string> $extraEnv added to the service's environment, e.g. CRONKEEPER_MAGENTO_ROOT
     */
    private function __construct(private readonly string $bin, private readonly array $extraEnv = [])
    {
        $this->dir = sys_get_temp_dir() . '/ck-module-' . bin2hex(random_bytes(4));
        mkdir($this->dir, 0700, true);
        $this->port = PhpServer::freePort();
    }

    /**
     * The binary named by CRONKEEPER_BIN, or null when it is unset (the caller skips, or fails in CI).
     *
     * @throws \RuntimeException when it is set but not executable
     */
    public static function binary(): ?string
    {
        $bin = getenv('CRONKEEPER_BIN') ?: '';
        if ($bin === '') {
            return null;
        }
        if (!is_executable($bin)) {
            throw new \RuntimeException("CRONKEEPER_BIN=$bin is not executable");
        }
        return $bin;
    }

    /**
     * Starts `serve` with `$configToml` as its config file (none when empty) and waits for /healthz.
     *
     * @param array<string, string> $extraEnv added to the service's environment
     *
     * @throws \RuntimeException with the service's log when it does not become healthy
     */
    public static function start(string $bin, string $configToml = '', array $extraEnv = []): self
    {
        $service = new self($bin, $extraEnv);
        if ($configToml !== '') {
            file_put_contents($service->dir . '/cronkeeper.toml', $configToml);
        }
        $service->launch();
        return $service;
    }

    /**
     * Stops the service (SIGTERM: it drains), keeps it down for `$downSeconds`, and starts it again on the
     * same database, port and config: what a deployment or a crash-and-restart looks like to the scheduler.
     */
    public function restart(float $downSeconds): void
    {
        $this->terminate();
        usleep((int)($downSeconds * 1_000_000));
        $this->launch();
    }

    private function launch(): void
    {
        $args = [$this->bin, 'serve'];
        if (is_file($this->dir . '/cronkeeper.toml')) {
            $args = [$this->bin, 'serve', '--config', $this->dir . '/cronkeeper.toml'];
        }
        $this->process = proc_open(
            $args,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->dir . '/stdout.log', 'a'], 2 => ['file', $this->dir . '/stderr.log', 'a']],
            $pipes,
            $this->dir,
            $this->env()
        );
        if (!is_resource($this->process) || !$this->waitForHealth(20.0)) {
            $log = $this->log();
            $this->stop();
            throw new \RuntimeException('cronkeeper did not become healthy: ' . $log);
        }
    }

    /**
     * @return array<string, string>
     */
    private function env(): array
    {
        $env = getenv();
        unset($env['CRONKEEPER_CONFIG']);
        $env['CRONKEEPER_LISTEN'] = '127.0.0.1:' . $this->port;
        $env['CRONKEEPER_DATABASE_URL'] = 'sqlite://' . $this->dir . '/ck.db';
        $env['CRONKEEPER_DATA_DIR'] = $this->dir;
        $env['CRONKEEPER_JWT_SECRET'] = self::SECRET;
        return $this->extraEnv + $env;
    }

    public function graphqlUrl(): string
    {
        return 'http://127.0.0.1:' . $this->port . '/graphql';
    }

    public function client(): Client
    {
        return new Client($this->graphqlUrl(), 1000, 5000);
    }

    /**
     * A token minted by the module's own minter (what the admin pages send).
     */
    public function moduleToken(string $role, string $sub = 'integration-admin'): string
    {
        return (new TokenMinter(self::SECRET, 600))->mint($sub, $role);
    }

    /**
     * A token minted by `cronkeeper token` (what an operator would paste into a standalone page).
     */
    public function cliToken(string $role, string $sub): string
    {
        $process = proc_open(
            [$this->bin, 'token', '--role', $role, '--sub', $sub, '--ttl', '10m'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            $this->dir,
            $this->env()
        );
        $out = trim((string)stream_get_contents($pipes[1]));
        $err = trim((string)stream_get_contents($pipes[2]));
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($process);
        if ($code !== 0 || substr_count($out, '.') !== 2) {
            throw new \RuntimeException("cronkeeper token failed ($code): $err");
        }
        return $out;
    }

    /**
     * @param array<string, mixed> $variables
     * @return array<string, mixed>
     */
    public function query(string $query, array $variables = [], string $role = 'admin'): array
    {
        return $this->client()->execute($query, $variables, $this->moduleToken($role));
    }

    /**
     * Polls `$probe` until it returns a non-null value; fails with `$what` and the log after `$seconds`.
     *
     * @template T
     * @param callable(): (T|null) $probe
     * @return T
     */
    public function waitFor(string $what, float $seconds, callable $probe): mixed
    {
        $deadline = microtime(true) + $seconds;
        do {
            $value = $probe();
            if ($value !== null) {
                return $value;
            }
            usleep(200_000);
        } while (microtime(true) < $deadline);
        throw new \RuntimeException("Timed out after {$seconds}s waiting for $what. Service log: " . $this->log());
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

    public function log(): string
    {
        $tail = static fn (string $file): string => substr(trim((string)@file_get_contents($file)), -4000);
        return $tail($this->dir . '/stderr.log') . ' ' . $tail($this->dir . '/stdout.log');
    }

    /**
     * SIGTERM, then SIGKILL after 15 s; removes the temporary directory.
     */
    public function stop(): void
    {
        $this->terminate();
        if (is_dir($this->dir)) {
            exec('rm -rf ' . escapeshellarg($this->dir));
        }
    }

    private function terminate(): void
    {
        if (is_resource($this->process)) {
            // SIGTERM drains: running runs get drain_timeout, then TERM, kill_grace, KILL. Waiting long
            // enough for that matters: a SIGKILLed service would leave its runs' processes behind.
            proc_terminate($this->process, 15);
            $deadline = microtime(true) + 15;
            while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
                usleep(50_000);
            }
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
            }
            proc_close($this->process);
        }
        $this->process = null;
    }
}
