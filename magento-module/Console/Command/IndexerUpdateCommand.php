<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Model\Indexer\MviewGuard;
use Magento\Framework\App\State;
use Magento\Framework\Indexer\IndexerInterface;
use Magento\Framework\Indexer\IndexerRegistry;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * Stage 3: what indexer_update_all_views (Magento\Indexer\Cron\UpdateMview → Mview\Processor::update('indexer')
 * → ViewInterface::update() per view) does, for one indexer's view. View::update() itself does nothing unless
 * the view is enabled ("Update by Schedule") and idle, so running it for an indexer in "Update on Save" mode
 * or one being rebuilt is harmless.
 */
class IndexerUpdateCommand extends IndexerCommand
{
    public const NAME = 'cronkeeper:indexer:update';
    public const OPTION_LOCK_WAIT = 'lock-wait';

    private ?InputInterface $input = null;

    public function __construct(IndexerRegistry $indexerRegistry, State $appState, private readonly MviewGuard $guard)
    {
        parent::__construct($indexerRegistry, $appState);
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription("Updates one indexer's materialised view from its changelog, as indexer_update_all_views does for all")
            ->addOption(self::OPTION_LOCK_WAIT, null, InputOption::VALUE_REQUIRED, 'Seconds to wait while a changelog clean of this indexer runs', '30')
            ->setHelp(<<<HELP
Applies the changelog of one "Update by Schedule" indexer. cronkeeper:sync registers one job per indexer
(indexer_update_all_views.<indexer_id>, same schedule and lane as indexer_update_all_views, concurrency
forbid), so a slow indexer no longer holds the others. Exit 0 when done or when there was nothing to do.

  <comment>bin/magento %command.name% catalog_product_price</comment>
  <comment>bin/magento %command.name% catalogsearch_fulltext --lock-wait=0</comment>
HELP);
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $this->input = $input;
        return parent::execute($input, $output);
    }

    protected function runFor(IndexerInterface $indexer, string $indexerId): string
    {
        $view = $indexer->getView();
        if (!$view->isEnabled()) {
            return 'not in "Update by Schedule" mode; nothing to update';
        }
        $before = (int)$view->getState()->getVersionId();
        $wait = max(0, (int)($this->input?->getOption(self::OPTION_LOCK_WAIT) ?? 30));
        if (!$this->guard->update($indexerId, static fn () => $view->update(), $wait)) {
            return sprintf('skipped: a changelog clean of this indexer held its lock for %d s', $wait);
        }
        $state = $view->getState();
        $state->loadByView($view->getId());
        return sprintf(
            'view %s at version %d (was %d), status %s',
            $view->getId(),
            (int)$state->getVersionId(),
            $before,
            (string)$state->getStatus()
        );
    }
}
