<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Timeline;

use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * Turns the timeline proxy's request parameters (`from`, `to`, `jobCodes[]`, and for the folded view
 * `view=spans` with `resolutionSeconds`) into the query to run (Queries::TIMELINE or
 * Queries::TIMELINE_SPANS) and its variables, refusing anything the service would refuse with a message
 * that names the parameter. Plain PHP, so it is unit-tested without Magento.
 */
final class TimelineRequest
{
    /** The service's own limit for one timeline query. */
    public const MAX_SPAN_SECONDS = 31 * 86400;
    private const MAX_JOB_CODES = 200;

    /**
     * Queries::TIMELINE_SPANS for `view=spans`, else Queries::TIMELINE (the browser picks the view, never
     * the document).
     *
     * @param array<string, mixed> $params
     * @throws \InvalidArgumentException naming the bad parameter
     */
    public static function query(array $params): string
    {
        return self::folded($params) ? Queries::TIMELINE_SPANS : Queries::TIMELINE;
    }

    /**
     * @param array<string, mixed> $params
     * @return array{from: string, to: string, jobCodes: list<string>|null, resolutionSeconds?: int}
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

        $variables = [
            'from' => $from->format('Y-m-d\TH:i:s.v\Z'),
            'to' => $to->format('Y-m-d\TH:i:s.v\Z'),
            'jobCodes' => self::jobCodes($params['jobCodes'] ?? null),
        ];
        if (self::folded($params)) {
            $variables['resolutionSeconds'] = self::resolution($params['resolutionSeconds'] ?? null, $to->getTimestamp() - $from->getTimestamp());
        }
        return $variables;
    }

    /**
     * @param array<string, mixed> $params
     */
    private static function folded(array $params): bool
    {
        $view = $params['view'] ?? 'runs';
        if ($view !== 'runs' && $view !== 'spans') {
            throw new \InvalidArgumentException('"view" must be "runs" or "spans".');
        }
        return $view === 'spans';
    }

    /** Whole seconds between 1 and the window's length, as the service accepts them. */
    private static function resolution(mixed $value, int $spanSeconds): int
    {
        if (!is_string($value) || !preg_match('/^[0-9]{1,10}$/', $value)) {
            throw new \InvalidArgumentException('"resolutionSeconds" is required with view=spans (whole seconds).');
        }
        $seconds = (int)$value;
        if ($seconds < 1 || $seconds > $spanSeconds) {
            throw new \InvalidArgumentException('"resolutionSeconds" must be between 1 and the window\'s length in seconds.');
        }
        return $seconds;
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
