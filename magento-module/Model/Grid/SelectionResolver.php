<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Grid;

/**
 * Resolves a listing mass-action request to job codes. Plain PHP.
 *
 * The listing posts either `selected[]` (the ticked rows) or, after "Select All", `excluded`
 * ('false' for none, or the unticked codes) together with the grid's `filters` and `search`;
 * Magento_Ui's Filter class resolves that against a DB collection, ours asks the service through
 * $fetchPage(variables) => [codes, totalCount].
 */
class SelectionResolver
{
    public const PAGE_SIZE = 200;
    /** A bound on "select all": mass actions over more jobs than this are refused. */
    public const MAX_CODES = 5000;

    /**
     * @param array<string, mixed> $params the request parameters
     * @param callable(array<string, mixed>): array{0: list<string>, 1: int} $fetchPage
     * @return list<string>
     */
    public function resolve(array $params, callable $fetchPage): array
    {
        if (isset($params['selected']) && is_array($params['selected'])) {
            return $this->clean($params['selected']);
        }
        if (!array_key_exists('excluded', $params)) {
            return [];
        }
        $excluded = is_array($params['excluded']) ? $this->clean($params['excluded']) : [];

        $mapper = GridRequestMapper::forJobs();
        $codes = [];
        for ($page = 1; count($codes) < self::MAX_CODES; $page++) {
            $variables = $mapper->map([
                'paging' => ['current' => $page, 'pageSize' => self::PAGE_SIZE],
                'filters' => $params['filters'] ?? [],
                'search' => $params['search'] ?? '',
            ]);
            [$pageCodes, $total] = $fetchPage($variables);
            $codes = array_merge($codes, $pageCodes);
            if ($pageCodes === [] || $page * self::PAGE_SIZE >= $total) {
                break;
            }
        }
        if (count($codes) >= self::MAX_CODES) {
            throw new \OverflowException(sprintf('Select at most %d jobs at once.', self::MAX_CODES));
        }
        return array_values(array_diff($this->clean($codes), $excluded));
    }

    /**
     * @param array<mixed> $values
     * @return list<string>
     */
    private function clean(array $values): array
    {
        $codes = [];
        foreach ($values as $value) {
            if (is_scalar($value) && trim((string)$value) !== '') {
                $codes[] = trim((string)$value);
            }
        }
        return array_values(array_unique($codes));
    }
}
