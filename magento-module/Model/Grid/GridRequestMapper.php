<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Grid;

use Cronkeeper\Scheduler\Model\GraphQl\OffsetCursor;

/**
 * Turns the state of a Magento UI listing into the variables of a cronkeeper connection query.
 *
 * Input is the shape the listing sends to mui/index/render:
 *   paging  => [current => 1-based page, pageSize => n]
 *   sorting => [field => column name, direction => asc|desc]
 *   search  => full-text keyword
 *   filters => [column => value | [from => .., to => ..]]
 * Output: [first, after?, sort?, filter?] for `jobs(...)` / `runs(...)`.
 *
 * Plain PHP, no Magento dependency. forJobs() and forRuns() hold the column mappings of the two grids.
 */
class GridRequestMapper
{
    public const TYPE_STRING = 'string';
    public const TYPE_LIST = 'list';
    public const TYPE_ENUM_LIST = 'enum_list';
    public const TYPE_ENUM = 'enum';
    public const TYPE_BOOL = 'bool';
    /** A date range column: its `from` and `to` become the two GraphQL fields named in the spec. */
    public const TYPE_DATE_RANGE = 'date_range';

    public const DEFAULT_PAGE_SIZE = 20;

    /**
     * @param array<string, string> $sortFields grid column => GraphQL sort enum value
     * @param array<string, array{0: string, 1: string, 2?: string}> $filterFields
     *        grid column => [GraphQL filter field, TYPE_*, (date range only) the `to` field]
     * @param string|null $searchField the GraphQL filter field for the full-text keyword
     * @param int $maxPageSize the service's maximum page size
     */
    public function __construct(
        private readonly array $sortFields,
        private readonly array $filterFields,
        private readonly ?string $searchField = 'search',
        private readonly int $maxPageSize = 200
    ) {
    }

    public static function forJobs(): self
    {
        return new self(
            [
                'code' => 'CODE',
                'lane' => 'LANE',
                'group' => 'GROUP',
                'schedule' => 'SCHEDULE',
                'priority' => 'PRIORITY',
                'next_run_at' => 'NEXT_RUN_AT',
                'updated_at' => 'UPDATED_AT',
            ],
            [
                'code' => ['codes', self::TYPE_LIST],
                'lane' => ['lane', self::TYPE_STRING],
                'group' => ['group', self::TYPE_STRING],
                'paused' => ['paused', self::TYPE_BOOL],
                'source' => ['source', self::TYPE_ENUM],
            ],
            'search'
        );
    }

    public static function forRuns(): self
    {
        return new self(
            [
                'id' => 'ID',
                'scheduled_at' => 'SCHEDULED_AT',
                'started_at' => 'STARTED_AT',
                'finished_at' => 'FINISHED_AT',
                'status' => 'STATUS',
                'job_code' => 'JOB_CODE',
                'lane' => 'LANE',
            ],
            [
                'job_code' => ['jobCode', self::TYPE_STRING],
                'status' => ['statuses', self::TYPE_ENUM_LIST],
                'lane' => ['lane', self::TYPE_STRING],
                'scheduled_at' => ['from', self::TYPE_DATE_RANGE, 'to'],
            ],
            null
        );
    }

    /**
     * @param array<string, mixed> $params
     * @return array<string, mixed>
     */
    public function map(array $params): array
    {
        $paging = is_array($params['paging'] ?? null) ? $params['paging'] : [];
        $pageSize = $this->positiveInt($paging['pageSize'] ?? null, self::DEFAULT_PAGE_SIZE);
        $pageSize = min($pageSize, $this->maxPageSize);
        $page = $this->positiveInt($paging['current'] ?? null, 1);

        $variables = ['first' => $pageSize];
        $after = OffsetCursor::afterForFirstRow(($page - 1) * $pageSize);
        if ($after !== null) {
            $variables['after'] = $after;
        }

        $sort = $this->mapSort(is_array($params['sorting'] ?? null) ? $params['sorting'] : []);
        if ($sort !== null) {
            $variables['sort'] = $sort;
        }

        $filter = $this->mapFilters(is_array($params['filters'] ?? null) ? $params['filters'] : []);
        $search = is_scalar($params['search'] ?? null) ? trim((string)$params['search']) : '';
        if ($search !== '' && $this->searchField !== null) {
            $filter[$this->searchField] = $search;
        }
        if ($filter !== []) {
            $variables['filter'] = $filter;
        }

        return $variables;
    }

    /**
     * Records one `addFilter()` call of Magento's listing components into the request shape map() reads.
     *
     * Magento's filters arrive as conditions: `fulltext` (keyword search), `like` ("%value%", text
     * filters), `eq`/`in` (selects), `gteq`/`lteq` (range and date filters, dates already in UTC).
     *
     * @param array<string, mixed> $params
     * @return array<string, mixed>
     */
    public static function withFilterCondition(array $params, string $field, string $condition, mixed $value): array
    {
        switch ($condition) {
            case 'fulltext':
                $params['search'] = $value;
                break;
            case 'like':
                $params['filters'][$field] = is_string($value) ? trim($value, '%') : $value;
                break;
            case 'gteq':
            case 'from':
                $params['filters'][$field]['from'] = $value;
                break;
            case 'lteq':
            case 'to':
                $params['filters'][$field]['to'] = $value;
                break;
            default:
                $params['filters'][$field] = $value;
        }
        return $params;
    }

    /**
     * @param array<string, mixed> $sorting
     * @return array{field: string, direction: string}|null
     */
    private function mapSort(array $sorting): ?array
    {
        $field = is_string($sorting['field'] ?? null) ? $sorting['field'] : '';
        if (!isset($this->sortFields[$field])) {
            return null;
        }
        $direction = strtoupper(is_string($sorting['direction'] ?? null) ? $sorting['direction'] : 'asc');

        return ['field' => $this->sortFields[$field], 'direction' => $direction === 'DESC' ? 'DESC' : 'ASC'];
    }

    /**
     * @param array<string, mixed> $filters
     * @return array<string, mixed>
     */
    private function mapFilters(array $filters): array
    {
        $result = [];
        foreach ($filters as $column => $value) {
            if (!isset($this->filterFields[$column])) {
                continue; // "placeholder" and columns the service cannot filter on
            }
            $spec = $this->filterFields[$column];
            [$target, $type] = $spec;
            switch ($type) {
                case self::TYPE_DATE_RANGE:
                    $range = is_array($value) ? $value : [];
                    $from = $this->isoDate($range['from'] ?? null);
                    $to = $this->isoDate($range['to'] ?? null);
                    if ($from !== null) {
                        $result[$target] = $from;
                    }
                    if ($to !== null) {
                        $result[$spec[2] ?? 'to'] = $to;
                    }
                    break;
                case self::TYPE_BOOL:
                    if ($value === '' || $value === null || is_array($value)) {
                        break;
                    }
                    $result[$target] = in_array(strtolower((string)$value), ['1', 'true', 'yes'], true);
                    break;
                case self::TYPE_LIST:
                case self::TYPE_ENUM_LIST:
                    $items = $this->listOf($value, $type === self::TYPE_ENUM_LIST);
                    if ($items !== []) {
                        $result[$target] = $items;
                    }
                    break;
                case self::TYPE_ENUM:
                    if (is_scalar($value) && trim((string)$value) !== '') {
                        $result[$target] = strtoupper(trim((string)$value));
                    }
                    break;
                default:
                    if (is_scalar($value) && trim((string)$value) !== '') {
                        $result[$target] = trim((string)$value);
                    }
            }
        }
        return $result;
    }

    /**
     * @return list<string>
     */
    private function listOf(mixed $value, bool $upper): array
    {
        $raw = is_array($value) ? $value : explode(',', is_scalar($value) ? (string)$value : '');
        $items = [];
        foreach ($raw as $item) {
            if (!is_scalar($item)) {
                continue;
            }
            $item = trim((string)$item);
            if ($item !== '') {
                $items[] = $upper ? strtoupper($item) : $item;
            }
        }
        return array_values(array_unique($items));
    }

    /**
     * Dates from the listing's date filter are UTC "Y-m-d H:i:s"; the service wants RFC 3339.
     */
    private function isoDate(mixed $value): ?string
    {
        if (!is_string($value) || trim($value) === '') {
            return null;
        }
        try {
            $date = new \DateTimeImmutable(trim($value), new \DateTimeZone('UTC'));
        } catch (\Exception) {
            return null;
        }
        return $date->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d\TH:i:s\Z');
    }

    private function positiveInt(mixed $value, int $default): int
    {
        if (is_int($value) || (is_string($value) && ctype_digit($value))) {
            $int = (int)$value;
            return $int > 0 ? $int : $default;
        }
        return $default;
    }
}
