<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Model\Indexer\MviewGuard;
use Magento\Framework\App\State;
use Magento\Framework\Indexer\IndexerInterface;
use Magento\Framework\Indexer\IndexerRegistry;

/**
 * Stage 3: Magento\Framework\Mview\View::clearChangelog() (what indexer_clean_all_changelogs runs for every
 * view) for one indexer, and only while no update of it runs (see MviewGuard for how).
 */
class IndexerCleanChangelogCommand extends IndexerCommand
{
    public const NAME = 'cronkeeper:indexer:clean-changelog';

    public function __construct(IndexerRegistry $indexerRegistry, State $appState, private readonly MviewGuard $guard)
    {
        parent::__construct($indexerRegistry, $appState);
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription("Deletes one indexer's applied changelog rows, unless its view is being updated")
            ->setHelp(<<<HELP
cronkeeper:sync registers one job per indexer (indexer_clean_all_changelogs.<indexer_id>, same schedule and
lane as indexer_clean_all_changelogs). It steps aside (exit 0, "skipped: ...") while
cronkeeper:indexer:update of the same indexer holds the indexer's lock, or while the view's status is
"working"; the next run cleans.

  <comment>bin/magento %command.name% catalog_product_price</comment>
HELP);
        parent::configure();
    }

    protected function runFor(IndexerInterface $indexer, string $indexerId): string
    {
        $view = $indexer->getView();
        if (!$view->isEnabled()) {
            return 'not in "Update by Schedule" mode; no changelog to clean';
        }
        return $this->guard->clean(
            $indexerId,
            static fn (): bool => (bool)$view->isWorking(),
            static fn () => $view->clearChangelog()
        )->value;
    }
}
