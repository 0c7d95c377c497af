<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Run;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * Kill and retry of one run (operator). Plain PHP over ServiceClientInterface.
 */
class RunActions
{
    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * A waiting run is closed KILLED at once; a running one is flagged (`killRequested`) and ended by
     * its worker.
     *
     * @return array{id: string, status: string, killRequested: bool}
     * @throws GraphQlException
     */
    public function kill(string $id): array
    {
        return $this->client->execute(Queries::KILL_RUN, ['id' => $id])['killRun'];
    }

    /**
     * Queues a new attempt of a finished run.
     *
     * @return array{id: string, status: string, attempt: int, retryOf: ?string} the new run
     * @throws GraphQlException
     */
    public function retry(string $id): array
    {
        return $this->client->execute(Queries::RETRY_RUN, ['id' => $id])['retryRun'];
    }
}
