<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Timeline;

/**
 * Turns the timeline proxy's request parameters (`from`, `to`, `jobCodes[]`) into the variables of
 * Queries::TIMELINE, refusing anything the service would refuse with a message that names the parameter.
 * Plain PHP, so it is unit-tested without Magento.
 */
final class TimelineRequest
{
    /** The service's own limit for one timeline query. */
    public const MAX_SPAN_SECONDS = 31 * 86400;
    private const MAX_JOB_CODES = 200;

    /**
     * @param array<string, mixed> $params
     * @return array{from: string, to: string, jobCodes: list<string>|null}
     * @throws \InvalidArgumentException naming the bad parameter
     */
    public static function variables(array $params): array
    {
        $from = self::instant($params, 'from');
        $to = self::instant($params, 'to');
        if ($to <= $from) {
            throw new \InvalidArgumentException('"to" must be later than "from".');
        }
        if ($to->getTimestamp() - $from->getTimestamp() > self::MAX_SPAN_SECONDS) {
            throw new \InvalidArgumentException('The window from "from" to "to" may be at most 31 days.');
        }

        return [
            'from' => $from->format('Y-m-d\TH:i:s.v\Z'),
            'to' => $to->format('Y-m-d\TH:i:s.v\Z'),
            'jobCodes' => self::jobCodes($params['jobCodes'] ?? null),
        ];
    }

    /**
     * @param array<string, mixed> $params
     */
    private static function instant(array $params, string $name): \DateTimeImmutable
    {
        $value = $params[$name] ?? null;
        if (!is_string($value) || $value === '') {
            throw new \InvalidArgumentException(sprintf('"%s" is required (an ISO 8601 date-time).', $name));
        }
        // RFC 3339 with an offset or Z, optionally with fractions of a second (what Date.toISOString() sends).
        if (!preg_match('/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/', $value)) {
            throw new \InvalidArgumentException(sprintf('"%s" is not an ISO 8601 date-time with a time zone: %s', $name, substr($value, 0, 40)));
        }
        try {
            $parsed = new \DateTimeImmutable($value);
        } catch (\Exception) {
            throw new \InvalidArgumentException(sprintf('"%s" is not a valid date-time: %s', $name, substr($value, 0, 40)));
        }
        return $parsed->setTimezone(new \DateTimeZone('UTC'));
    }

    /**
     * @return list<string>|null null for every job
     */
    private static function jobCodes(mixed $value): ?array
    {
        if ($value === null || $value === '' || $value === []) {
            return null;
        }
        if (!is_array($value)) {
            throw new \InvalidArgumentException('"jobCodes" must be a list (jobCodes[]=a&jobCodes[]=b).');
        }
        if (count($value) > self::MAX_JOB_CODES) {
            throw new \InvalidArgumentException(sprintf('"jobCodes" may name at most %d jobs.', self::MAX_JOB_CODES));
        }
        $codes = [];
        foreach ($value as $code) {
            if (!is_string($code) || !preg_match('/^[A-Za-z0-9_.:-]{1,255}$/', $code)) {
                throw new \InvalidArgumentException('"jobCodes" holds something that is not a job code.');
            }
            $codes[] = $code;
        }
        return array_values(array_unique($codes));
    }
}
