<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use PHPUnit\Framework\Assert;

/**
 * Creates command jobs and waits for their runs on a real service, for the page tests.
 */
final class Runs
{
    private const UPSERT = 'mutation ($input: JobInput!) { upsertJob(input: $input) { code } }';
    private const RUN_NOW = 'mutation ($code: String!) { runJobNow(code: $code) { id } }';
    private const RUNS_OF = 'query ($code: String!) { runs(filter: { jobCode: $code }, first: 50) {
        nodes { id status attempt retryOf killRequested } } }';

    public function __construct(private readonly ServiceClientInterface $admin)
    {
    }

    /**
     * A paused command job (so only runs the test asks for happen), running `sh -c $script`.
     *
     * @param array<string, mixed> $extra JobInput fields
     */
    public function job(string $code, string $script, array $extra = []): void
    {
        $this->admin->execute(self::UPSERT, ['input' => array_merge([
            'code' => $code,
            'schedule' => '0 0 1 1 *',
            'paused' => true,
            'executor' => ['command' => ['argv' => ['/bin/sh', '-c', $script]]],
        ], $extra)]);
    }

    public function runNow(string $code): string
    {
        return (string)$this->admin->execute(self::RUN_NOW, ['code' => $code])['runJobNow']['id'];
    }

    /**
     * Polls the job's runs until $done(runs) holds.
     *
     * @param callable(list<array<string, mixed>>): bool $done
     * @return list<array<string, mixed>>
     */
    public function waitFor(string $code, callable $done, float $seconds = 30.0): array
    {
        $deadline = microtime(true) + $seconds;
        do {
            $runs = $this->admin->execute(self::RUNS_OF, ['code' => $code])['runs']['nodes'];
            if ($done($runs)) {
                return $runs;
            }
            usleep(200_000);
        } while (microtime(true) < $deadline);
        Assert::fail(sprintf('runs of %s did not reach the expected state in %.0f s: %s', $code, $seconds, json_encode($runs)));
    }

    /**
     * @param list<array<string, mixed>> $runs
     */
    public static function countIn(array $runs, string ...$statuses): int
    {
        return count(array_filter($runs, static fn (array $r): bool => in_array($r['status'], $statuses, true)));
    }
}
