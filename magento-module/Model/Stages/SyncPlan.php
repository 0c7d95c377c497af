<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Stages;

use Cronkeeper\Scheduler\Model\Email\SweeperSchedule;
use Cronkeeper\Scheduler\Model\Indexer\JobExpander;
use Cronkeeper\Scheduler\Model\StagesConfig;
use Magento\Framework\Indexer\ConfigInterface as IndexerConfigInterface;

/**
 * What cronkeeper:sync changes in the collected jobs when the stages are switched on (issue 8):
 * stage 2 gives the four sales_send_*_emails sweepers their low-frequency schedule, stage 3 splits the
 * indexer jobs per indexer. With both off the jobs pass through untouched.
 */
class SyncPlan
{
    public function __construct(
        private readonly StagesConfig $config,
        private readonly IndexerConfigInterface $indexerConfig,
        private readonly JobExpander $expander,
        private readonly SweeperSchedule $sweeper
    ) {
    }

    /**
     * @param list<array<string, mixed>> $inputs MagentoJobInput rows
     * @return array{inputs: list<array<string, mixed>>, replaced: list<string>, warnings: list<string>}
     *         replaced: job codes no longer sent but still owned (the native cron must not run them)
     */
    public function apply(array $inputs): array
    {
        $replaced = [];
        $warnings = [];
        if ($this->config->isEmailQueueEnabled()) {
            $inputs = $this->sweeper->apply($inputs, $this->config->getEmailSweepSchedule());
        }
        if ($this->config->isIndexerSplitEnabled()) {
            $indexers = $this->indexerConfig->getIndexers();
            $inputs = $this->expander->expand($inputs, is_array($indexers) ? $indexers : []);
            $replaced = $this->expander->getReplacedCodes();
            $warnings = $this->expander->getWarnings();
        }
        return ['inputs' => $inputs, 'replaced' => $replaced, 'warnings' => $warnings];
    }
}
