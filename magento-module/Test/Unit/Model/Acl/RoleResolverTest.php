<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Acl;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use PHPUnit\Framework\TestCase;

class RoleResolverTest extends TestCase
{
    /**
     * @return array<string, array{0: list<string>, 1: ?string}>
     */
    public static function grants(): array
    {
        return [
            'nothing' => [[], null],
            'view' => [['Cronkeeper_Scheduler::view'], 'viewer'],
            'operate' => [['Cronkeeper_Scheduler::operate'], 'operator'],
            'manage' => [['Cronkeeper_Scheduler::manage'], 'admin'],
            'view and operate' => [['Cronkeeper_Scheduler::view', 'Cronkeeper_Scheduler::operate'], 'operator'],
            'all three' => [['Cronkeeper_Scheduler::view', 'Cronkeeper_Scheduler::operate', 'Cronkeeper_Scheduler::manage'], 'admin'],
            'manage without view' => [['Cronkeeper_Scheduler::manage'], 'admin'],
            'unrelated resources' => [['Magento_Backend::admin', 'Magento_Cms::page'], null],
        ];
    }

    /**
     * @dataProvider grants
     * @param list<string> $granted
     */
    public function testTheHighestGrantedResourceDecidesTheRole(array $granted, ?string $role): void
    {
        $isAllowed = static fn (string $resource): bool => in_array($resource, $granted, true);
        self::assertSame($role, (new RoleResolver())->resolve($isAllowed));
    }
}
