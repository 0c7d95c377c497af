<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Model\Lock\MutexInterface;

/**
 * Stands in for Magento's lock manager (a MySQL GET_LOCK) in plain-PHP unit tests: tracks who holds what, and
 * lets a test pretend another process holds a lock. Waiting is not simulated: a taken lock stays taken.
 */
final class InMemoryMutex implements MutexInterface
{
    /** @var array<string, true> */
    public array $held = [];

    /** @var array<string, true> locks "another process" holds */
    public array $heldElsewhere = [];

    /** @var list<array{string, int}> every tryLock call */
    public array $attempts = [];

    public function tryLock(string $name, int $timeoutSeconds): bool
    {
        $this->attempts[] = [$name, $timeoutSeconds];
        if (isset($this->held[$name]) || isset($this->heldElsewhere[$name])) {
            return false;
        }
        $this->held[$name] = true;
        return true;
    }

    public function unlock(string $name): void
    {
        unset($this->held[$name]);
    }
}
