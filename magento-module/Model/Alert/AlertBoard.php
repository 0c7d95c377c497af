<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Alert;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The Alerts page: open and recent alerts, the rules and the declared channels, plus the operator's
 * actions (acknowledge an alert, send a test message to a channel). Plain PHP over ServiceClientInterface.
 *
 * Channels come masked from the service (`maskedUrl` is scheme and host only; never the URL or the
 * webhook key), with their `source` (CONFIG: the service's configuration file, read-only here; API:
 * managed with the channel form, Model\Alert\AlertChannelForm) and the rules that use them.
 */
class AlertBoard
{
    public const RECENT = 50;

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @return array{open: list<array<string, mixed>>, openCount: int, recent: list<array<string, mixed>>,
     *               rules: list<array<string, mixed>>, channels: list<array<string, mixed>>}
     * @throws GraphQlException
     */
    public function load(int $recent = self::RECENT): array
    {
        $data = $this->client->execute(Queries::ALERTS_PAGE, ['recent' => max(1, $recent)]);
        return [
            'open' => self::nodes($data['open'] ?? null),
            'openCount' => (int)($data['open']['totalCount'] ?? 0),
            'recent' => self::nodes($data['recent'] ?? null),
            'rules' => array_values(array_filter($data['alertRules'] ?? [], 'is_array')),
            'channels' => array_values(array_filter($data['alertChannels'] ?? [], 'is_array')),
        ];
    }

    /**
     * @return array{id: string, acknowledged: bool, acknowledgedBy: ?string}
     * @throws GraphQlException NOT_FOUND for an unknown alert
     */
    public function acknowledge(string $id): array
    {
        return $this->client->execute(Queries::ACKNOWLEDGE_ALERT, ['id' => $id])['acknowledgeAlert'];
    }

    /**
     * Queues a test notification; its delivery shows in the channel's notifications.
     *
     * @throws GraphQlException NOT_FOUND for an unknown channel
     */
    public function testChannel(string $name): bool
    {
        return (bool)($this->client->execute(Queries::TEST_ALERT_CHANNEL, ['name' => $name])['testAlertChannel'] ?? false);
    }

    /**
     * @return list<array<string, mixed>>
     */
    private static function nodes(mixed $connection): array
    {
        $nodes = is_array($connection) && is_array($connection['nodes'] ?? null) ? $connection['nodes'] : [];
        return array_values(array_filter($nodes, 'is_array'));
    }
}
