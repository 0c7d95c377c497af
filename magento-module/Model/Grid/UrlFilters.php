<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Grid;

/**
 * A listing's `<filterUrlParams>` (e.g. `job_code` = `*`): the page's URL parameters that pre-filter it,
 * as Magento's own UI DataProvider::prepareUpdateUrl() applies them. Plain PHP.
 *
 * Each present value is added to the listing's update URL (so every later page, sort and filter request
 * keeps it) and becomes an equality filter of the column of the same name.
 */
final class UrlFilters
{
    /**
     * @param array<string, string> $filterUrlParams param => '*' (take it from the request) or a fixed value
     * @param callable(string): mixed $requestParam
     * @return array{updateUrl: string, filters: array<string, string>}
     */
    public static function apply(array $filterUrlParams, callable $requestParam, string $updateUrl): array
    {
        $filters = [];
        foreach ($filterUrlParams as $param => $value) {
            $value = $value === '*' ? $requestParam((string)$param) : $value;
            if (!is_scalar($value) || trim((string)$value) === '') {
                continue;
            }
            $value = trim((string)$value);
            $updateUrl = rtrim($updateUrl, '/') . '/' . rawurlencode((string)$param) . '/' . rawurlencode($value) . '/';
            $filters[(string)$param] = $value;
        }
        return ['updateUrl' => $updateUrl, 'filters' => $filters];
    }
}
