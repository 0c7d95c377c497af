<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Indexer;

/**
 * Stage 3 for cronkeeper:sync: replaces Magento's three all-in-one indexer cron jobs by one job per indexer,
 * so one slow indexer cannot hold the others. Plain PHP.
 *
 * Each derived job keeps the original's group, schedule (or unresolved config path), instance and method
 * (for the record) and carries the bin/magento command it runs, which the service turns into a `command`
 * job. The service's default `forbid` concurrency then applies per indexer, and the lane mapping puts
 * `indexer_*` codes in `critical`. Code: `<original code>.<indexer id>`.
 */
final class JobExpander
{
    /** Original job code => bin/magento command run per indexer, and whether only indexers with a view get one. */
    public const SPLITS = [
        'indexer_update_all_views' => ['command' => 'cronkeeper:indexer:update', 'views_only' => true],
        'indexer_reindex_all_invalid' => ['command' => 'cronkeeper:indexer:reindex-invalid', 'views_only' => false],
        'indexer_clean_all_changelogs' => ['command' => 'cronkeeper:indexer:clean-changelog', 'views_only' => true],
    ];

    /** @var list<string> */
    private array $replaced = [];

    /** @var list<string> */
    private array $warnings = [];

    /**
     * @param list<array<string, mixed>> $inputs MagentoJobInput rows from MagentoJobCollector::collect()
     * @param array<string, array<string, mixed>> $indexers Magento\Framework\Indexer\ConfigInterface::getIndexers()
     * @return list<array<string, mixed>> the inputs with each split job replaced by its per-indexer jobs
     */
    public function expand(array $inputs, array $indexers): array
    {
        $this->replaced = [];
        $this->warnings = [];
        $valid = [];
        foreach ($indexers as $id => $config) {
            $id = (string)$id;
            if (!preg_match('/^[A-Za-z0-9_\-]{1,200}$/', $id)) {
                $this->warnings[] = sprintf('indexer "%s": id unfit for a job code; it gets no per-indexer jobs', $id);
                continue;
            }
            $valid[$id] = is_array($config) && is_string($config['view_id'] ?? null) && $config['view_id'] !== '';
        }
        if ($valid === []) {
            $this->warnings[] = 'no indexers declared: the indexer cron jobs are synced unsplit';
            return $inputs;
        }
        ksort($valid);
        $out = [];
        foreach ($inputs as $input) {
            $code = (string)($input['code'] ?? '');
            $split = self::SPLITS[$code] ?? null;
            if ($split === null) {
                $out[] = $input;
                continue;
            }
            $this->replaced[] = $code;
            foreach ($valid as $id => $hasView) {
                if ($split['views_only'] && !$hasView) {
                    continue;
                }
                $out[] = ['code' => $code . '.' . $id, 'command' => [$split['command'], $id]] + $input;
            }
        }
        return $out;
    }

    /**
     * @return list<string> the all-in-one codes the last expand() replaced (still owned: the native cron must
     *                      not run them either)
     */
    public function getReplacedCodes(): array
    {
        return $this->replaced;
    }

    /**
     * @return list<string>
     */
    public function getWarnings(): array
    {
        return $this->warnings;
    }
}
