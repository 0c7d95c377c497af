<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Model\Takeover\Bypass;
use Magento\Cron\Model\ConfigInterface;
use Magento\Cron\Model\Schedule;
use Magento\Cron\Model\ScheduleFactory;
use Magento\Framework\App\Area;
use Magento\Framework\App\State;
use Magento\Framework\Console\Cli;
use Magento\Framework\ObjectManagerInterface;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputArgument;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\ConsoleOutputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * Runs one cron job exactly as Magento's cron does: instance and method from the merged cron config,
 * called with a Magento\Cron\Model\Schedule. This is what cronkeeper's `magento` executor runs.
 */
class JobRunCommand extends Command
{
    public const NAME = 'cronkeeper:job:run';
    public const ARGUMENT_CODE = 'code';

    public function __construct(
        private readonly ConfigInterface $cronConfig,
        private readonly ScheduleFactory $scheduleFactory,
        private readonly ObjectManagerInterface $objectManager,
        private readonly State $appState,
        private readonly Bypass $bypass
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription('Runs one Magento cron job by its code, as cron:run would')
            ->addArgument(self::ARGUMENT_CODE, InputArgument::REQUIRED, 'The job code from crontab.xml')
            ->setHelp(<<<HELP
Runs the job's instance::method from the merged cron config with a Magento\\Cron\\Model\\Schedule.
Exit code 0 on success; 1 with the exception on stderr when the job throws or does not exist.

  <comment>bin/magento %command.name% indexer_reindex_all_invalid</comment>
  <comment>bin/magento %command.name% sitemap_generate</comment>
HELP);
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $errorOutput = $output instanceof ConsoleOutputInterface ? $output->getErrorOutput() : $output;
        $code = (string)$input->getArgument(self::ARGUMENT_CODE);
        try {
            $this->appState->setAreaCode(Area::AREA_CRONTAB);
        } catch (\Magento\Framework\Exception\LocalizedException) {
            // The area is already set (e.g. when called from another command): keep it.
        }

        $job = $this->findJob($code);
        if ($job === null) {
            $errorOutput->writeln(sprintf('<error>No cron job with code "%s" in the merged cron config.</error>', $code));
            return Cli::RETURN_FAILURE;
        }
        if (!isset($job['instance'], $job['method'])) {
            $errorOutput->writeln(sprintf('<error>No callbacks found for cron job %s</error>', $code));
            return Cli::RETURN_FAILURE;
        }

        /** @var Schedule $schedule */
        $schedule = $this->scheduleFactory->create();
        $now = gmdate('Y-m-d H:i:s');
        $schedule->setJobCode($code)
            ->setStatus(Schedule::STATUS_RUNNING)
            ->setCreatedAt($now)
            ->setScheduledAt($now)
            ->setExecutedAt($now);

        try {
            $instance = $this->objectManager->create($job['instance']);
            $callback = [$instance, $job['method']];
            if (!is_callable($callback)) {
                throw new \RuntimeException(
                    sprintf("Invalid callback: %s::%s can't be called", $job['instance'], $job['method'])
                );
            }
            $callback($schedule);
        } catch (\Throwable $e) {
            $schedule->setStatus(Schedule::STATUS_ERROR);
            $errorOutput->writeln(sprintf('%s: %s', get_class($e), $e->getMessage()));
            $errorOutput->writeln($e->getTraceAsString());
            return Cli::RETURN_FAILURE;
        }
        $schedule->setStatus(Schedule::STATUS_SUCCESS)->setFinishedAt(gmdate('Y-m-d H:i:s'));
        $output->writeln(sprintf('<info>%s finished</info>', $code), OutputInterface::VERBOSITY_VERBOSE);

        return Cli::RETURN_SUCCESS;
    }

    /**
     * @return array<string, mixed>|null
     */
    private function findJob(string $code): ?array
    {
        $groups = $this->bypass->during(fn () => $this->cronConfig->getJobs());
        foreach (is_array($groups) ? $groups : [] as $jobs) {
            if (is_array($jobs) && isset($jobs[$code]) && is_array($jobs[$code])) {
                return $jobs[$code];
            }
        }
        return null;
    }
}
