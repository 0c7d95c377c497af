<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Run;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The run page (`cronkeeper/run/view/id/<id>`): one run with its output and error, and every attempt of
 * the same chain. Plain PHP over ServiceClientInterface.
 *
 * Retries are new runs whose `retryOf` is the first attempt's id and which are scheduled after it; the
 * API has no `retryOf` filter, so the chain is read from the job's runs since the first attempt.
 */
class RunDetails
{
    /** Enough for any retry chain (the service caps retries at 100). */
    public const MAX_ATTEMPTS = 200;

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @return array{run: array<string, mixed>|null, attempts: list<array<string, mixed>>}
     *         run null when there is no such run; attempts oldest first, the shown one included
     * @throws GraphQlException
     */
    public function load(string $id): array
    {
        $run = $this->fetch($id);
        if ($run === null) {
            return ['run' => null, 'attempts' => []];
        }
        $rootId = (string)($run['retryOf'] ?? '') !== '' ? (string)$run['retryOf'] : (string)$run['id'];
        $root = $rootId === (string)$run['id'] ? $run : $this->fetch($rootId);
        $since = is_array($root) ? (string)$root['scheduledAt'] : (string)$run['scheduledAt'];

        $data = $this->client->execute(Queries::RUN_ATTEMPTS, [
            'filter' => ['jobCode' => (string)$run['jobCode'], 'from' => $since],
            'first' => self::MAX_ATTEMPTS,
        ]);
        $attempts = [];
        foreach ($data['runs']['nodes'] ?? [] as $node) {
            if (is_array($node) && ((string)$node['id'] === $rootId || (string)($node['retryOf'] ?? '') === $rootId)) {
                $attempts[] = $node;
            }
        }
        usort($attempts, static fn (array $a, array $b): int => ((int)$a['attempt']) <=> ((int)$b['attempt']));

        return ['run' => $run, 'attempts' => $attempts];
    }

    /**
     * @return array<string, mixed>|null
     */
    private function fetch(string $id): ?array
    {
        $data = $this->client->execute(Queries::RUN_DETAILS, ['id' => $id]);
        return is_array($data['run'] ?? null) ? $data['run'] : null;
    }
}
