<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Takeover;

/**
 * Lets cronkeeper's own commands read the full cron config through ConfigInterface::getJobs() while the
 * takeover plugin hides owned jobs from everyone else. Shared instance (DI default), plain PHP.
 */
class Bypass
{
    private int $depth = 0;

    public function isActive(): bool
    {
        return $this->depth > 0;
    }

    /**
     * @template T
     * @param callable(): T $callback
     * @return T
     */
    public function during(callable $callback): mixed
    {
        $this->depth++;
        try {
            return $callback();
        } finally {
            $this->depth--;
        }
    }
}
