<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use Cronkeeper\Scheduler\Test\Support\CronkeeperService;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;

/**
 * The module's tokens carry `iss`: a service that checks its issuer (`auth.issuer`) accepts
 * them with the matching value and refuses another one.
 */
class TokenIssuerTest extends ServiceTestCase
{
    protected static function config(): string
    {
        return "[auth]\nissuer = \"magento\"\n";
    }

    public function testTheDefaultIssuerIsAccepted(): void
    {
        $me = self::service()->client()->execute('{ me { subject role } }', [], self::service()->moduleToken('viewer', 'iss-ok'));
        self::assertSame(['subject' => 'iss-ok', 'role' => 'viewer'], $me['me']);
    }

    public function testAnotherIssuerIsRefused(): void
    {
        $this->expectException(UnauthenticatedException::class);
        $this->expectExceptionMessage('issuer');
        self::service()->client()->execute('{ me { subject } }', [], (new TokenMinter(CronkeeperService::SECRET, 120, null, 'someone-else'))->mint('iss-bad', 'viewer'));
    }
}
