<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Lock;

use Magento\Framework\Lock\LockManagerInterface;

/**
 * MutexInterface over Magento\Framework\Lock\LockManagerInterface (the backend env.php configures: database,
 * zookeeper, cache or file).
 */
class LockManagerMutex implements MutexInterface
{
    public function __construct(private readonly LockManagerInterface $lockManager)
    {
    }

    public function tryLock(string $name, int $timeoutSeconds): bool
    {
        return $this->lockManager->lock($name, max(0, $timeoutSeconds));
    }

    public function unlock(string $name): void
    {
        $this->lockManager->unlock($name);
    }
}
