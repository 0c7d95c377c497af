<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * One real cronkeeper per test class: started in setUpBeforeClass(), stopped after the last test.
 * Without CRONKEEPER_BIN the tests are skipped, except in CI, where they fail.
 */
trait UsesCronkeeperService
{
    private static ?CronkeeperService $service = null;
    private static ?string $setupError = null;

    /**
     * Starts the binary with `$configToml`, then runs `$prepare` on it; remembers why either failed,
     * so each test reports it instead of PHPUnit hiding it in the class set-up.
     *
     * @param (callable(CronkeeperService): void)|null $prepare
     */
    private static function startService(string $configToml = '', ?callable $prepare = null): void
    {
        try {
            $bin = CronkeeperService::binary();
            if ($bin === null) {
                return;
            }
            self::$service = CronkeeperService::start($bin, $configToml);
            if ($prepare !== null) {
                $prepare(self::$service);
            }
        } catch (\Throwable $e) {
            self::$setupError = get_class($e) . ': ' . $e->getMessage();
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::$service?->stop();
    }

    private function requireService(): void
    {
        if (self::$service === null && self::$setupError === null) {
            if (getenv('CI')) {
                self::fail('CRONKEEPER_BIN must point to the cronkeeper binary in CI.');
            }
            self::markTestSkipped('CRONKEEPER_BIN is not set: ' . static::class . ' needs the cronkeeper binary.');
        }
        if (self::$setupError !== null) {
            self::fail(self::$setupError);
        }
    }
}
