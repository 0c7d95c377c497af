<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Lock;

/**
 * A named lock shared by every PHP process of the shop (Magento's lock manager behind it: MySQL GET_LOCK by
 * default, so a crashed process releases it). Plain PHP so the logic that uses it is testable without Magento.
 */
interface MutexInterface
{
    /**
     * @param int $timeoutSeconds how long to wait; 0 tries once
     * @return bool whether this process now holds the lock
     */
    public function tryLock(string $name, int $timeoutSeconds): bool;

    public function unlock(string $name): void;
}
