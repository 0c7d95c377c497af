<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Magento\Framework\App\Area;
use Magento\Framework\App\State;
use Magento\Framework\Console\Cli;
use Magento\Framework\Exception\LocalizedException;
use Magento\Framework\Indexer\IndexerInterface;
use Magento\Framework\Indexer\IndexerRegistry;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputArgument;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\ConsoleOutputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * What the three per-indexer commands share: the <indexer_id> argument, the crontab area Magento's indexer cron
 * jobs run in, the lookup, and the exit codes cronkeeper records (0 done or nothing to do, 1 with the error on
 * stderr).
 */
abstract class IndexerCommand extends Command
{
    public const ARGUMENT_INDEXER = 'indexer_id';

    public function __construct(
        protected readonly IndexerRegistry $indexerRegistry,
        private readonly State $appState
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->addArgument(self::ARGUMENT_INDEXER, InputArgument::REQUIRED, 'An indexer id from indexer.xml (bin/magento indexer:info)');
        parent::configure();
    }

    /**
     * @return string what was done, for the run's output
     */
    abstract protected function runFor(IndexerInterface $indexer, string $indexerId): string;

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $errorOutput = $output instanceof ConsoleOutputInterface ? $output->getErrorOutput() : $output;
        $indexerId = (string)$input->getArgument(self::ARGUMENT_INDEXER);
        try {
            $this->appState->setAreaCode(Area::AREA_CRONTAB);
        } catch (LocalizedException) {
            // Already set by whoever called us: keep it.
        }
        try {
            $indexer = $this->indexerRegistry->get($indexerId);
        } catch (\InvalidArgumentException $e) {
            $errorOutput->writeln(sprintf('<error>No indexer "%s": %s</error>', $indexerId, $e->getMessage()));
            return Cli::RETURN_FAILURE;
        }
        try {
            $output->writeln(sprintf('%s: %s', $indexerId, $this->runFor($indexer, $indexerId)));
        } catch (\Throwable $e) {
            $errorOutput->writeln(sprintf('%s: %s: %s', $indexerId, get_class($e), $e->getMessage()));
            $errorOutput->writeln($e->getTraceAsString());
            return Cli::RETURN_FAILURE;
        }
        return Cli::RETURN_SUCCESS;
    }
}
