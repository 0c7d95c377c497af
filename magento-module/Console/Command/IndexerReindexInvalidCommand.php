<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Model\Indexer\ReindexPolicy;
use Magento\Framework\App\State;
use Magento\Framework\Indexer\ConfigInterface;
use Magento\Framework\Indexer\IndexerInterface;
use Magento\Framework\Indexer\IndexerRegistry;
use Magento\Framework\Indexer\SuspendableIndexerInterface;
use Magento\Indexer\Model\Processor\MakeSharedIndexValid;

/**
 * Stage 3: Magento\Indexer\Model\Processor::reindexAllInvalid() (what indexer_reindex_all_invalid runs) for one
 * indexer: rebuild it when invalid, not suspended and no indexer sharing its index is suspended; then mark
 * the indexers of its shared index valid as Magento does.
 */
class IndexerReindexInvalidCommand extends IndexerCommand
{
    public const NAME = 'cronkeeper:indexer:reindex-invalid';

    public function __construct(
        IndexerRegistry $indexerRegistry,
        State $appState,
        private readonly ConfigInterface $indexerConfig,
        private readonly MakeSharedIndexValid $makeSharedIndexValid,
        private readonly ReindexPolicy $policy
    ) {
        parent::__construct($indexerRegistry, $appState);
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription('Fully rebuilds one indexer if it is invalid, as indexer_reindex_all_invalid does for all')
            ->setHelp(<<<HELP
cronkeeper:sync registers one job per indexer (indexer_reindex_all_invalid.<indexer_id>, same schedule and
lane as indexer_reindex_all_invalid, concurrency forbid). Exit 0 when rebuilt or when valid already.

  <comment>bin/magento %command.name% catalog_product_price</comment>
HELP);
        parent::configure();
    }

    protected function runFor(IndexerInterface $indexer, string $indexerId): string
    {
        $all = $this->indexerConfig->getIndexers();
        $sharedIndex = $all[$indexerId]['shared_index'] ?? null;
        $sharedIndex = is_string($sharedIndex) && $sharedIndex !== '' ? $sharedIndex : null;
        $statuses = [];
        foreach ($this->policy->sharing($all, $sharedIndex) as $id) {
            $statuses[] = (string)$this->indexerRegistry->get($id)->getStatus();
        }
        $suspended = $indexer instanceof SuspendableIndexerInterface && $indexer->isSuspended();
        if (!$this->policy->shouldReindex($indexer->isInvalid(), $suspended, $statuses)) {
            return sprintf('status %s; nothing to rebuild', (string)$indexer->getStatus());
        }
        $indexer->reindexAll();
        $indexer->load($indexerId);
        if ($indexer->isValid() && $sharedIndex !== null) {
            $this->makeSharedIndexValid->execute($sharedIndex);
            return sprintf('rebuilt; indexers of shared index %s marked valid', $sharedIndex);
        }
        return sprintf('rebuilt; status %s', (string)$indexer->getStatus());
    }
}
