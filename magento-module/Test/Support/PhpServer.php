<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * Starts `php -S 127.0.0.1:<free port> <router>` for a test and stops it again.
 */
final class PhpServer
{
    /** @var resource|null */
    private $process;
    private int $port;

    /**
     * @param array<string, string> $env extra environment for the router script
     */
    public function __construct(private readonly string $router, private readonly array $env = [])
    {
        $this->port = self::freePort();
    }

    public static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($socket === false) {
            throw new \RuntimeException("Cannot find a free port: $errstr");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int)substr((string)strrchr((string)$name, ':'), 1);
    }

    public static function waitForPort(int $port, float $seconds): bool
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            $conn = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 0.2);
            if ($conn !== false) {
                fclose($conn);
                return true;
            }
            usleep(50_000);
        }
        return false;
    }

    public function start(): void
    {
        // Workers so a deliberately slow answer does not hold up the next test.
        $env = $this->env + getenv() + ['PHP_CLI_SERVER_WORKERS' => '4'];
        $cmd = [PHP_BINARY, '-S', '127.0.0.1:' . $this->port, $this->router];
        $this->process = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $env);
        if (!is_resource($this->process) || !self::waitForPort($this->port, 5.0)) {
            $this->stop();
            throw new \RuntimeException('The test HTTP server did not start.');
        }
    }

    public function url(string $path): string
    {
        return 'http://127.0.0.1:' . $this->port . $path;
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            // With PHP_CLI_SERVER_WORKERS the server forks workers that outlive their parent's SIGTERM:
            // end them first, by their parent's pid (only this server's own children).
            foreach (self::childrenOf((int)proc_get_status($this->process)['pid']) as $child) {
                @exec('kill -TERM ' . $child);
            }
            proc_terminate($this->process);
            proc_close($this->process);
        }
        $this->process = null;
    }

    /**
     * @return list<int> pids whose parent is `$pid` (Linux /proc)
     */
    private static function childrenOf(int $pid): array
    {
        $children = [];
        foreach (glob('/proc/[0-9]*/stat') ?: [] as $statFile) {
            $stat = @file_get_contents($statFile);
            // pid (comm) state ppid ...; comm may hold spaces and parentheses, so split after the last ')'.
            if ($stat === false || ($end = strrpos($stat, ')')) === false) {
                continue;
            }
            $fields = explode(' ', trim(substr($stat, $end + 2)));
            if ((int)($fields[1] ?? 0) === $pid) {
                $children[] = (int)$stat;
            }
        }
        return $children;
    }
}
