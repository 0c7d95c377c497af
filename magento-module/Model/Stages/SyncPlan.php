<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Stages;

use Cronkeeper\Scheduler\Model\StagesConfig;
use Magento\Framework\Indexer\ConfigInterface as IndexerConfigInterface;

/**
 * StagePlan with this shop's switches (Stores > Configuration > Cronkeeper > Stages) and indexers.
 */
class SyncPlan
{
    public function __construct(
        private readonly StagesConfig $config,
        private readonly IndexerConfigInterface $indexerConfig,
        private readonly StagePlan $plan
    ) {
    }

    /**
     * @param list<array<string, mixed>> $inputs MagentoJobInput rows
     * @return array{inputs: list<array<string, mixed>>, replaced: list<string>, warnings: list<string>}
     */
    public function apply(array $inputs): array
    {
        return $this->plan->apply(
            $inputs,
            $this->config->isEmailQueueEnabled() ? $this->config->getEmailSweepSchedule() : null,
            $this->config->isIndexerSplitEnabled()
                ? fn (): array => (array)$this->indexerConfig->getIndexers()
                : null
        );
    }
}
