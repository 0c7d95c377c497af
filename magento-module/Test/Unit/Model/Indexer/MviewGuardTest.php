<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Indexer;

use Cronkeeper\Scheduler\Model\Indexer\CleanOutcome;
use Cronkeeper\Scheduler\Model\Indexer\MviewGuard;
use Cronkeeper\Scheduler\Test\Support\InMemoryMutex;
use PHPUnit\Framework\TestCase;

class MviewGuardTest extends TestCase
{
    public function testACleanDuringAnUpdateOfTheSameIndexerStepsAsideButNotForAnotherIndexer(): void
    {
        $guard = new MviewGuard(new InMemoryMutex());
        $cleaned = [];
        $during = [];
        $ran = $guard->update('catalog_product_price', function () use ($guard, &$cleaned, &$during): void {
            $during[] = $guard->clean('catalog_product_price', static fn (): bool => false, function () use (&$cleaned): void {
                $cleaned[] = 'catalog_product_price';
            });
            $during[] = $guard->clean('catalogsearch_fulltext', static fn (): bool => false, function () use (&$cleaned): void {
                $cleaned[] = 'catalogsearch_fulltext';
            });
        }, 30);
        self::assertTrue($ran);
        self::assertSame([CleanOutcome::UpdateRunning, CleanOutcome::Cleaned], $during);
        self::assertSame(['catalogsearch_fulltext'], $cleaned);
        self::assertSame(CleanOutcome::Cleaned, $guard->clean('catalog_product_price', static fn (): bool => false, static function (): void {
        }), 'after the update the clean runs');
    }

    public function testACleanStepsAsideWhileTheViewSaysWorkingAndReleasesTheLock(): void
    {
        $mutex = new InMemoryMutex();
        $guard = new MviewGuard($mutex);
        $cleaned = false;
        self::assertSame(CleanOutcome::ViewWorking, $guard->clean('x', static fn (): bool => true, function () use (&$cleaned): void {
            $cleaned = true;
        }));
        self::assertFalse($cleaned);
        self::assertSame([], $mutex->held);
        self::assertSame([[MviewGuard::lockName('x'), 0]], $mutex->attempts, 'a clean never waits');
    }

    public function testAnUpdateThatCannotGetTheLockDoesNotRunAndOneThatThrowsReleasesIt(): void
    {
        $mutex = new InMemoryMutex();
        $guard = new MviewGuard($mutex);
        $mutex->heldElsewhere[MviewGuard::lockName('busy')] = true;
        self::assertFalse($guard->update('busy', static fn () => self::fail('must not run'), 5));
        self::assertSame([MviewGuard::lockName('busy'), 5], $mutex->attempts[0]);
        try {
            $guard->update('boom', static function (): void {
                throw new \RuntimeException('deadlock');
            }, 5);
            self::fail('the exception must pass through');
        } catch (\RuntimeException $e) {
            self::assertSame('deadlock', $e->getMessage());
        }
        self::assertSame([], $mutex->held);
    }

    public function testLockNamesStayWithinMysqlsLimit(): void
    {
        self::assertSame('ck_idx_catalog_product_price', MviewGuard::lockName('catalog_product_price'));
        $long = MviewGuard::lockName(str_repeat('a', 33));
        self::assertSame('ck_idx_' . md5(str_repeat('a', 33)), $long);
        self::assertLessThanOrEqual(39, strlen($long));
        self::assertLessThanOrEqual(39, strlen(MviewGuard::lockName(str_repeat('b', 32))));
    }
}
