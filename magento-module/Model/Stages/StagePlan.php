<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Stages;

use Cronkeeper\Scheduler\Model\Email\SweeperSchedule;
use Cronkeeper\Scheduler\Model\Indexer\JobExpander;

/**
 * What cronkeeper:sync changes in the collected jobs when the stages are switched on (issue 8). Plain PHP;
 * SyncPlan feeds it the shop's switches and indexers.
 *
 * Stage 2 gives the four sales_send_*_emails sweepers their low-frequency schedule; stage 3 splits the
 * indexer jobs per indexer. With both off the jobs pass through untouched.
 */
final class StagePlan
{
    public function __construct(
        private readonly JobExpander $expander,
        private readonly SweeperSchedule $sweeper
    ) {
    }

    /**
     * Outside Magento's object manager (tests).
     */
    public static function create(): self
    {
        return new self(new JobExpander(), new SweeperSchedule());
    }

    /**
     * @param list<array<string, mixed>> $inputs MagentoJobInput rows
     * @param string|null $sweepSchedule stage 2: the sweepers' schedule; null when stage 2 is off
     * @param (callable(): array<string, array<string, mixed>>)|null $indexers stage 3: the shop's indexers
     *        (Magento\Framework\Indexer\ConfigInterface::getIndexers()); null when stage 3 is off
     * @return array{inputs: list<array<string, mixed>>, replaced: list<string>, warnings: list<string>}
     *         replaced: job codes no longer sent but still owned (the native cron must not run them)
     */
    public function apply(array $inputs, ?string $sweepSchedule, ?callable $indexers): array
    {
        if ($sweepSchedule !== null) {
            $inputs = $this->sweeper->apply($inputs, $sweepSchedule);
        }
        if ($indexers === null) {
            return ['inputs' => $inputs, 'replaced' => [], 'warnings' => []];
        }
        $inputs = $this->expander->expand($inputs, $indexers());
        return ['inputs' => $inputs, 'replaced' => $this->expander->getReplacedCodes(), 'warnings' => $this->expander->getWarnings()];
    }
}
