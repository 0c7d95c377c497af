<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Consumer;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The Queues & Consumers page: depth per queue and the supervised consumer processes, and the actions
 * on one consumer (start, stop, restart, number of instances). Plain PHP over ServiceClientInterface.
 */
class ConsumerBoard
{
    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @return array{queues: list<array<string, mixed>>, consumers: list<array<string, mixed>>} by name
     * @throws GraphQlException
     */
    public function load(): array
    {
        $data = $this->client->execute(Queries::QUEUES_AND_CONSUMERS);
        return ['queues' => self::byName($data['queues'] ?? []), 'consumers' => self::byName($data['consumers'] ?? [])];
    }

    /**
     * @return array<string, mixed> the consumer as the service now has it
     * @throws GraphQlException
     */
    public function start(string $name): array
    {
        return $this->client->execute(Queries::START_CONSUMER, ['name' => $name])['startConsumer'];
    }

    /**
     * @return array<string, mixed>
     * @throws GraphQlException
     */
    public function stop(string $name): array
    {
        return $this->client->execute(Queries::STOP_CONSUMER, ['name' => $name])['stopConsumer'];
    }

    /**
     * @return array<string, mixed>
     * @throws GraphQlException
     */
    public function restart(string $name): array
    {
        return $this->client->execute(Queries::RESTART_CONSUMER, ['name' => $name])['restartConsumer'];
    }

    /**
     * @param int|string|null $instances as posted; the service says what is out of range
     * @return array<string, mixed>
     * @throws GraphQlException
     */
    public function setInstances(string $name, int|string|null $instances): array
    {
        return $this->client->execute(
            Queries::SET_CONSUMER_INSTANCES,
            ['name' => $name, 'instances' => $instances]
        )['setConsumerInstances'];
    }

    /**
     * @return list<array<string, mixed>>
     */
    private static function byName(mixed $items): array
    {
        $list = array_values(array_filter(is_array($items) ? $items : [], 'is_array'));
        usort($list, static fn (array $a, array $b): int => strcmp((string)($a['name'] ?? ''), (string)($b['name'] ?? '')));
        return $list;
    }
}
