<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Acl;

/**
 * Maps the admin's ACL grants to the service's JWT role: the highest granted of
 * ::manage (admin) > ::operate (operator) > ::view (viewer); null when none is granted.
 *
 * Plain PHP: the ACL check is passed in as a callable, e.g. [$authorization, 'isAllowed'].
 */
class RoleResolver
{
    public const RESOURCE_VIEW = 'Cronkeeper_Scheduler::view';
    public const RESOURCE_OPERATE = 'Cronkeeper_Scheduler::operate';
    public const RESOURCE_MANAGE = 'Cronkeeper_Scheduler::manage';

    /** Highest first: the first granted resource decides. */
    private const ROLE_BY_RESOURCE = [
        self::RESOURCE_MANAGE => 'admin',
        self::RESOURCE_OPERATE => 'operator',
        self::RESOURCE_VIEW => 'viewer',
    ];

    /**
     * @param callable(string): bool $isAllowed
     */
    public function resolve(callable $isAllowed): ?string
    {
        foreach (self::ROLE_BY_RESOURCE as $resource => $role) {
            if ($isAllowed($resource)) {
                return $role;
            }
        }
        return null;
    }
}
