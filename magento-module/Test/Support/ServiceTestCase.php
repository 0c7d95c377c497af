<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use PHPUnit\Framework\TestCase;

/**
 * UsesCronkeeperService for the page tests: one real cronkeeper per test class, with the class's
 * config file, and the module's ServiceClientInterface as an admin of a given role.
 */
abstract class ServiceTestCase extends TestCase
{
    use UsesCronkeeperService;

    /**
     * The service's config file for this test class ('' for none).
     */
    protected static function config(): string
    {
        return '';
    }

    public static function setUpBeforeClass(): void
    {
        // The trait's state lives in this base class, shared by its subclasses that run one after another.
        self::$service = null;
        self::$setupError = null;
        self::startService(static::config());
    }

    protected function setUp(): void
    {
        $this->requireService();
    }

    protected static function service(): CronkeeperService
    {
        return self::$service;
    }

    /**
     * The module's ServiceClientInterface as an admin user whose ACL maps to this role.
     */
    protected static function as(string $role, string $subject = 'integration-admin'): ServiceClientInterface
    {
        return new MintingServiceClient(self::$service->client(), CronkeeperService::SECRET, $role, $subject);
    }
}
