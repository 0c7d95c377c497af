<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support\Magento;

use Magento\Framework\AuthorizationInterface;

final class FakeAuthorization implements AuthorizationInterface
{
    /**
     * @param list<string> $granted ACL resources
     */
    public function __construct(private readonly array $granted)
    {
    }

    public function isAllowed($resource, $privilege = null)
    {
        return in_array($resource, $this->granted, true);
    }
}
