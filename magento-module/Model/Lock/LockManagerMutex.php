<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Lock;

use Magento\Framework\Lock\LockManagerInterface;

/**
 * MutexInterface over a Magento\Framework\Lock\LockManagerInterface.
 *
 * etc/di.xml gives it its own, unshared Magento\Framework\Lock\Backend\Database rather than the shared lock
 * manager: that backend allows one lock per instance ("Current connection is already holding lock for …,
 * only single lock allowed"), and the shared one is taken already where we lock: queue:consumers:start
 * --single-thread holds it for the consumer's whole life, Magento's cron holds its group lock while it runs
 * the sales_send_*_emails sweep. MySQL 8 and MariaDB 10.6, which 2.4.7 requires, hold
 * several named locks per connection, so a second instance is safe.
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
