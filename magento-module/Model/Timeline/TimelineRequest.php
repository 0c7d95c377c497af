<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Timeline;

use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * Turns the timeline proxy's request parameters into the query to run and its variables, refusing
 * anything the service would refuse with a message that names the parameter:
 * - `view=jobs` with `first`, `after`, `search`, `jobCodes[]`: Queries::TIMELINE_JOBS, the page of job
 *   codes the component draws rows for;
 * - `from`, `to`, `jobCodes[]` (the page's codes): Queries::TIMELINE, or with `view=spans` and
 *   `resolutionSeconds` Queries::TIMELINE_SPANS.
 * Plain PHP, so it is unit-tested without Magento.
 */
final class TimelineRequest
{
    /** The service's own limit for one timeline query. */
    public const MAX_SPAN_SECONDS = 31 * 86400;
    private const MAX_JOB_CODES = 200;
    /** Jobs per page: timeline.js asks for 50 by default and never more than this (its MAX_PAGE_SIZE). */
    public const MAX_PAGE_SIZE = 200;
    private const MAX_SEARCH = 200;
    private const VIEWS = ['runs', 'spans', 'jobs'];

    /**
     * Queries::TIMELINE_JOBS for `view=jobs`, Queries::TIMELINE_SPANS for `view=spans`, else
     * Queries::TIMELINE (the browser picks the view, never the document).
     *
     * @param array<string, mixed> $params
     * @throws \InvalidArgumentException naming the bad parameter
     */
    public static function query(array $params): string
    {
        return match (self::view($params)) {
            'jobs' => Queries::TIMELINE_JOBS,
            'spans' => Queries::TIMELINE_SPANS,
            default => Queries::TIMELINE,
        };
    }

    /**
     * @param array<string, mixed> $params
     * @return array<string, mixed> the variables of query($params)
     * @throws \InvalidArgumentException naming the bad parameter
     */
    public static function variables(array $params): array
    {
        if (self::view($params) === 'jobs') {
            return self::pageVariables($params);
        }
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
     * The variables of Queries::TIMELINE_JOBS: a page of `first` jobs (default 50) after the cursor
     * `after`, whose code, description, group or class holds `search`, among `jobCodes[]` if given.
     *
     * @param array<string, mixed> $params
     * @return array{filter: array{search?: string, codes?: list<string>}|null, first: int, after: ?string}
     */
    private static function pageVariables(array $params): array
    {
        $first = $params['first'] ?? '50';
        if (!is_string($first) || !preg_match('/^[0-9]{1,4}$/', $first) || (int)$first < 1 || (int)$first > self::MAX_PAGE_SIZE) {
            throw new \InvalidArgumentException(sprintf('"first" must be a whole number from 1 to %d.', self::MAX_PAGE_SIZE));
        }
        $after = $params['after'] ?? null;
        if ($after === '') {
            $after = null;
        }
        // The service's cursors are short URL-safe base64; anything else is not one of them.
        if ($after !== null && (!is_string($after) || !preg_match('/^[A-Za-z0-9_-]{1,64}$/', $after))) {
            throw new \InvalidArgumentException('"after" is not a cursor from a previous page.');
        }
        $filter = [];
        $search = $params['search'] ?? '';
        if (!is_string($search)) {
            throw new \InvalidArgumentException('"search" must be text.');
        }
        $search = trim($search);
        if (mb_strlen($search) > self::MAX_SEARCH) {
            throw new \InvalidArgumentException(sprintf('"search" may be at most %d characters.', self::MAX_SEARCH));
        }
        if ($search !== '') {
            $filter['search'] = $search;
        }
        $codes = self::jobCodes($params['jobCodes'] ?? null);
        if ($codes !== null) {
            $filter['codes'] = $codes;
        }
        // null, not []: an empty PHP array would reach the service as a JSON list, not an input object.
        return ['filter' => $filter === [] ? null : $filter, 'first' => (int)$first, 'after' => $after];
    }

    /**
     * @param array<string, mixed> $params
     */
    private static function view(array $params): string
    {
        $view = $params['view'] ?? 'runs';
        if (!in_array($view, self::VIEWS, true)) {
            throw new \InvalidArgumentException('"view" must be "runs", "spans" or "jobs".');
        }
        return $view;
    }

    /**
     * @param array<string, mixed> $params
     */
    private static function folded(array $params): bool
    {
        return self::view($params) === 'spans';
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
