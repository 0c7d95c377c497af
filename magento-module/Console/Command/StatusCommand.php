<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Console\Command;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Magento\Framework\Console\Cli;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Helper\Table;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * Lanes and recent failures in the terminal.
 */
class StatusCommand extends Command
{
    public const NAME = 'cronkeeper:status';

    public function __construct(private readonly ServiceClientInterface $client)
    {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription('Shows cronkeeper lanes and the latest failed runs')
            ->setHelp("  <comment>bin/magento %command.name%</comment>");
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            $data = $this->client->executeAs('magento-cli', 'viewer', Queries::STATUS, [
                'failed' => ['statuses' => ['FAILED', 'TIMED_OUT', 'KILLED', 'MISSED']],
            ]);
        } catch (GraphQlException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return Cli::RETURN_FAILURE;
        }
        $lanes = new Table($output);
        $lanes->setHeaders(['Lane', 'Slots', 'Busy', 'Queued', 'Oldest waiting (s)']);
        foreach ($data['lanes'] ?? [] as $lane) {
            $age = $lane['oldestQueuedAgeSeconds'] ?? null;
            $lanes->addRow([$lane['name'] ?? '', $lane['slots'] ?? '', $lane['busy'] ?? '', $lane['queued'] ?? '', $age === null ? '-' : (string)round((float)$age)]);
        }
        $lanes->render();

        $runs = $data['runs'] ?? [];
        $output->writeln(sprintf('Recent failures (%d in total):', (int)($runs['totalCount'] ?? 0)));
        $failures = new Table($output);
        $failures->setHeaders(['Run', 'Job', 'Lane', 'Status', 'Scheduled', 'Error']);
        foreach ($runs['nodes'] ?? [] as $run) {
            $failures->addRow([
                $run['id'] ?? '', $run['jobCode'] ?? '', $run['lane'] ?? '', $run['status'] ?? '',
                $run['scheduledAt'] ?? '', mb_strimwidth((string)($run['error'] ?? ''), 0, 60, '…'),
            ]);
        }
        $failures->render();
        return Cli::RETURN_SUCCESS;
    }
}
