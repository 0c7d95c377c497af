<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Dashboard;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * Assembles what System > Cronkeeper > Dashboard shows from one GraphQL round trip (Queries::DASHBOARD):
 * lanes with their load, queues with their depth, consumers, open alerts and the errors of the last 24 h,
 * with times already in the shop's time zone. Plain PHP over ServiceClientInterface, so it is tested
 * against the real service without Magento.
 */
class DashboardData
{
    /** What counts as an error: a run that ended badly on its own (a KILLED run was an operator's choice). */
    public const ERROR_STATUSES = ['FAILED', 'TIMED_OUT', 'INTERRUPTED'];
    public const ERROR_WINDOW_SECONDS = 86400;
    public const LIST_LIMIT = 20;

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @return array{
     *   lanes: list<array{name: string, slots: int, busy: int, free: int, queued: int, oldestWaiting: ?string, oldestQueuedAt: ?string, saturated: bool}>,
     *   totals: array{slots: int, busy: int, queued: int},
     *   queues: list<array{name: string, lane: ?string, depth: ?int, consumers: int}>,
     *   consumers: list<array{name: string, queue: string, lane: ?string, running: bool, pid: ?int, restarts: int, startedAt: ?string}>,
     *   alerts: array{total: int, items: list<array<string, mixed>>},
     *   errors: array{total: int, since: string, statuses: list<string>, byJob: array<string, int>, items: list<array<string, mixed>>}
     * }
     * @throws GraphQlException when the service is down, refuses, or answers something else
     */
    public function assemble(\DateTimeImmutable $now, string $timezone = 'UTC'): array
    {
        $zone = $this->zone($timezone);
        $since = $now->sub(new \DateInterval('PT' . self::ERROR_WINDOW_SECONDS . 'S'));
        $data = $this->client->execute(Queries::DASHBOARD, [
            'errors' => ['statuses' => self::ERROR_STATUSES, 'from' => $since->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d\TH:i:s\Z')],
            'errorLimit' => self::LIST_LIMIT,
            'alertLimit' => self::LIST_LIMIT,
        ]);

        $lanes = array_map(fn (array $lane): array => $this->lane($lane, $zone), $this->listOf($data, 'lanes'));
        $errors = $this->connection($data, 'runs');
        $alerts = $this->connection($data, 'alerts');
        $byJob = [];
        foreach ($errors['nodes'] as $run) {
            $code = (string)($run['jobCode'] ?? '');
            $byJob[$code] = ($byJob[$code] ?? 0) + 1;
        }
        // Most errors first; ties by code, so the order does not change from one load to the next.
        uksort($byJob, static fn (string $a, string $b): int => [$byJob[$b], $a] <=> [$byJob[$a], $b]);

        return [
            'lanes' => $lanes,
            'totals' => [
                'slots' => array_sum(array_column($lanes, 'slots')),
                'busy' => array_sum(array_column($lanes, 'busy')),
                'queued' => array_sum(array_column($lanes, 'queued')),
            ],
            'queues' => array_map(static fn (array $q): array => [
                'name' => (string)($q['name'] ?? ''),
                'lane' => isset($q['lane']) ? (string)$q['lane'] : null,
                'depth' => isset($q['depth']) ? (int)$q['depth'] : null,
                'consumers' => (int)($q['consumers'] ?? 0),
            ], $this->listOf($data, 'queues')),
            'consumers' => array_map(fn (array $c): array => [
                'name' => (string)($c['name'] ?? ''),
                'queue' => (string)($c['queue'] ?? ''),
                'lane' => isset($c['lane']) ? (string)$c['lane'] : null,
                'running' => (bool)($c['running'] ?? false),
                'pid' => isset($c['pid']) ? (int)$c['pid'] : null,
                'restarts' => (int)($c['restarts'] ?? 0),
                'startedAt' => $this->time($c['startedAt'] ?? null, $zone),
            ], $this->listOf($data, 'consumers')),
            'alerts' => [
                'total' => $alerts['totalCount'],
                'items' => array_map(fn (array $a): array => [
                    'id' => (string)($a['id'] ?? ''),
                    'rule' => (string)($a['rule'] ?? ''),
                    'subject' => (string)($a['subject'] ?? ''),
                    'severity' => (string)($a['severity'] ?? ''),
                    'summary' => (string)($a['summary'] ?? ''),
                    'acknowledged' => (bool)($a['acknowledged'] ?? false),
                    'runId' => isset($a['runId']) ? (string)$a['runId'] : null,
                    'openedAt' => $this->time($a['openedAt'] ?? null, $zone),
                ], $alerts['nodes']),
            ],
            'errors' => [
                'total' => $errors['totalCount'],
                'since' => (string)$this->time($since->format(DATE_ATOM), $zone),
                'statuses' => self::ERROR_STATUSES,
                'byJob' => $byJob,
                'items' => array_map(fn (array $r): array => [
                    'id' => (string)($r['id'] ?? ''),
                    'jobCode' => (string)($r['jobCode'] ?? ''),
                    'lane' => (string)($r['lane'] ?? ''),
                    'status' => (string)($r['status'] ?? ''),
                    'attempt' => (int)($r['attempt'] ?? 1),
                    'exitCode' => isset($r['exitCode']) ? (int)$r['exitCode'] : null,
                    'error' => isset($r['error']) ? mb_substr((string)$r['error'], 0, 300) : null,
                    'scheduledAt' => $this->time($r['scheduledAt'] ?? null, $zone),
                    'finishedAt' => $this->time($r['finishedAt'] ?? null, $zone),
                ], $errors['nodes']),
            ],
        ];
    }

    /**
     * @param array<string, mixed> $lane
     * @return array{name: string, slots: int, busy: int, free: int, queued: int, oldestWaiting: ?string, oldestQueuedAt: ?string, saturated: bool}
     */
    private function lane(array $lane, \DateTimeZone $zone): array
    {
        $slots = (int)($lane['slots'] ?? 0);
        $busy = (int)($lane['busy'] ?? 0);
        $queued = (int)($lane['queued'] ?? 0);
        $age = isset($lane['oldestQueuedAgeSeconds']) ? (float)$lane['oldestQueuedAgeSeconds'] : null;

        return [
            'name' => (string)($lane['name'] ?? ''),
            'slots' => $slots,
            'busy' => $busy,
            'free' => max(0, $slots - $busy),
            'queued' => $queued,
            'oldestWaiting' => $age === null ? null : self::duration($age),
            'oldestQueuedAt' => $this->time($lane['oldestQueuedAt'] ?? null, $zone),
            // Every slot taken and work waiting: this lane is the bottleneck right now.
            'saturated' => $busy >= $slots && $queued > 0,
        ];
    }

    /**
     * "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h".
     */
    public static function duration(float $seconds): string
    {
        $s = (int)round(max(0.0, $seconds));
        if ($s < 60) {
            return $s . ' s';
        }
        if ($s < 3600) {
            return intdiv($s, 60) . ' min ' . ($s % 60) . ' s';
        }
        if ($s < 86400) {
            return intdiv($s, 3600) . ' h ' . intdiv($s % 3600, 60) . ' min';
        }
        return intdiv($s, 86400) . ' d ' . intdiv($s % 86400, 3600) . ' h';
    }

    private function time(mixed $value, \DateTimeZone $zone): ?string
    {
        if (!is_string($value) || $value === '') {
            return null;
        }
        try {
            return (new \DateTimeImmutable($value))->setTimezone($zone)->format('Y-m-d H:i:s');
        } catch (\Exception) {
            return $value;
        }
    }

    private function zone(string $timezone): \DateTimeZone
    {
        try {
            return new \DateTimeZone($timezone !== '' ? $timezone : 'UTC');
        } catch (\Exception) {
            return new \DateTimeZone('UTC');
        }
    }

    /**
     * @param array<string, mixed> $data
     * @return list<array<string, mixed>>
     */
    private function listOf(array $data, string $key): array
    {
        if (!isset($data[$key]) || !is_array($data[$key])) {
            throw new GraphQlException(sprintf('The cronkeeper service sent no "%s".', $key));
        }
        return array_values(array_filter($data[$key], 'is_array'));
    }

    /**
     * @param array<string, mixed> $data
     * @return array{totalCount: int, nodes: list<array<string, mixed>>}
     */
    private function connection(array $data, string $key): array
    {
        $connection = $data[$key] ?? null;
        if (!is_array($connection) || !isset($connection['nodes']) || !is_array($connection['nodes'])) {
            throw new GraphQlException(sprintf('The cronkeeper service sent no "%s".', $key));
        }
        return [
            'totalCount' => (int)($connection['totalCount'] ?? count($connection['nodes'])),
            'nodes' => array_values(array_filter($connection['nodes'], 'is_array')),
        ];
    }
}
