<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Stages\SyncPlan;
use Cronkeeper\Scheduler\Model\Sync\MagentoConsumerCollector;
use Cronkeeper\Scheduler\Model\Sync\MagentoJobCollector;
use Cronkeeper\Scheduler\Model\Takeover\Bypass;
use Cronkeeper\Scheduler\Model\Takeover\OwnedJobs;
use Magento\Cron\Model\ConfigInterface;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Console\Cli;
use Magento\Framework\MessageQueue\Consumer\ConfigInterface as ConsumerConfigInterface;
use Magento\Store\Model\ScopeInterface;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * Pushes Magento's merged cron config (syncMagentoJobs) and queue consumer config (syncMagentoConsumers)
 * to cronkeeper, and records which jobs it now owns.
 */
class SyncCommand extends Command
{
    public const NAME = 'cronkeeper:sync';
    public const OPTION_DRY_RUN = 'dry-run';
    public const OPTION_SUBJECT = 'subject';
    public const OPTION_KEEP_CONSUMERS = 'keep-missing-consumers';

    public function __construct(
        private readonly ConfigInterface $cronConfig,
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly ServiceClientInterface $client,
        private readonly MagentoJobCollector $collector,
        private readonly OwnedJobs $ownedJobs,
        private readonly Bypass $bypass,
        private readonly SyncPlan $stages,
        private readonly ConsumerConfigInterface $consumerConfig,
        private readonly MagentoConsumerCollector $consumerCollector
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription('Pushes every cron job and queue consumer of the merged Magento config to cronkeeper')
            ->addOption(self::OPTION_DRY_RUN, null, InputOption::VALUE_NONE, 'Print the jobs, send nothing')
            ->addOption(self::OPTION_SUBJECT, null, InputOption::VALUE_REQUIRED, 'Token subject (audit log)', 'magento-cli')
            ->addOption(self::OPTION_KEEP_CONSUMERS, null, InputOption::VALUE_NONE, 'Keep Magento consumers the config no longer declares')
            ->setHelp(<<<HELP
Sends every group's jobs (schedules stored under config_path resolved from the store config) to the
service, which creates, updates and removes its Magento jobs accordingly; then every consumer of
queue_consumer.xml (name, queue, connection, max messages, handler), likewise. Run after setup:upgrade
and after changing cron settings. The synced codes are what the native-cron takeover skips.

  <comment>bin/magento %command.name%</comment>
  <comment>bin/magento %command.name% --dry-run</comment>
HELP);
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        [$jobs, $replaced] = $this->collectJobs($output);
        $consumers = $this->consumerCollector->collect($this->consumerConfig->getConsumers());
        foreach ($this->consumerCollector->getWarnings() as $warning) {
            $output->writeln('<comment>' . $warning . '</comment>');
        }
        if ($input->getOption(self::OPTION_DRY_RUN)) {
            foreach ($jobs as $job) {
                $output->writeln(sprintf('%-50s %-10s %s', $job['code'], $job['group'], $job['schedule'] ?? ('config: ' . $job['configPath'])));
            }
            foreach ($consumers as $consumer) {
                $output->writeln(sprintf('consumer %-41s %s', $consumer['name'], $consumer['queue'] ?? '-'));
            }
            $output->writeln(sprintf('%d jobs, %d consumers (dry run, nothing sent)', count($jobs), count($consumers)));
            return Cli::RETURN_SUCCESS;
        }
        $subject = (string)$input->getOption(self::OPTION_SUBJECT);
        try {
            $result = $this->client->executeAs($subject, 'admin', Queries::SYNC_MAGENTO_JOBS, ['input' => $jobs])['syncMagentoJobs'] ?? [];
            $this->ownedJobs->set(array_merge(array_column($jobs, 'code'), $replaced));
            $output->writeln('jobs: ' . self::counts($result));
            foreach ($result['warnings'] ?? [] as $warning) {
                $output->writeln('<comment>' . $warning . '</comment>');
            }
            $result = $this->client->executeAs(
                $subject,
                'admin',
                Queries::SYNC_MAGENTO_CONSUMERS,
                ['consumers' => $consumers, 'removeMissing' => !$input->getOption(self::OPTION_KEEP_CONSUMERS)]
            )['syncMagentoConsumers'] ?? [];
            $output->writeln('consumers: ' . self::counts($result));
        } catch (GraphQlException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return Cli::RETURN_FAILURE;
        }
        return Cli::RETURN_SUCCESS;
    }

    /**
     * @return array{0: list<array<string, mixed>>, 1: list<string>} the MagentoJobInput list after the
     *         stage plan, and the codes the stages replace (owned too); warnings printed
     */
    private function collectJobs(OutputInterface $output): array
    {
        $jobs = $this->bypass->during(fn () => $this->cronConfig->getJobs());
        $inputs = $this->collector->collect(
            is_array($jobs) ? $jobs : [],
            fn (string $path): ?string => ($v = $this->scopeConfig->getValue($path, ScopeInterface::SCOPE_STORE)) === null
                ? null
                : (string)$v
        );
        $plan = $this->stages->apply($inputs);
        foreach (array_merge($this->collector->getWarnings(), $plan['warnings']) as $warning) {
            $output->writeln('<comment>' . $warning . '</comment>');
        }
        return [$plan['inputs'], $plan['replaced']];
    }

    /**
     * @param array<string, mixed> $result SyncResult or ConsumerSyncReport
     */
    private static function counts(array $result): string
    {
        return sprintf(
            'created %d, updated %d, unchanged %d, removed %d',
            (int)($result['created'] ?? 0),
            (int)($result['updated'] ?? 0),
            (int)($result['unchanged'] ?? 0),
            (int)($result['removed'] ?? 0)
        );
    }
}
