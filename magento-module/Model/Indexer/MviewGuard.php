<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Indexer;

use Cronkeeper\Scheduler\Model\Lock\MutexInterface;

/**
 * Keeps an indexer's changelog clean from running while its materialised view is being updated. Plain PHP.
 *
 * cronkeeper's `forbid` concurrency is per job, and the update and the clean of one indexer are two jobs
 * (their schedules differ), so the service alone cannot keep them apart. Both commands therefore take one
 * named lock per indexer through Magento's lock manager: the update waits a little for it, the clean only
 * tries once and steps aside. The clean also steps aside while the view's own state says "working", which
 * covers an update started outside cronkeeper (bin/magento indexer:update, or Magento's cron before the
 * takeover), since Magento\Framework\Mview\View::update() sets that status for as long as it runs.
 */
final class MviewGuard
{
    public function __construct(private readonly MutexInterface $mutex)
    {
    }

    /**
     * At most 39 characters, so MySQL's 64-character GET_LOCK limit leaves room for Magento's lock prefix.
     */
    public static function lockName(string $indexerId): string
    {
        return 'ck_idx_' . (strlen($indexerId) <= 32 ? $indexerId : md5($indexerId));
    }

    /**
     * Runs $update holding the indexer's lock.
     *
     * @param callable(): void $update
     * @return bool false when the lock stayed taken for $waitSeconds (a clean of the same indexer is running)
     */
    public function update(string $indexerId, callable $update, int $waitSeconds): bool
    {
        $name = self::lockName($indexerId);
        if (!$this->mutex->tryLock($name, $waitSeconds)) {
            return false;
        }
        try {
            $update();
        } finally {
            $this->mutex->unlock($name);
        }
        return true;
    }

    /**
     * Runs $clean only when no update of the indexer runs.
     *
     * @param callable(): bool $viewIsWorking
     * @param callable(): void $clean
     */
    public function clean(string $indexerId, callable $viewIsWorking, callable $clean): CleanOutcome
    {
        $name = self::lockName($indexerId);
        if (!$this->mutex->tryLock($name, 0)) {
            return CleanOutcome::UpdateRunning;
        }
        try {
            if ($viewIsWorking()) {
                return CleanOutcome::ViewWorking;
            }
            $clean();
            return CleanOutcome::Cleaned;
        } finally {
            $this->mutex->unlock($name);
        }
    }
}
