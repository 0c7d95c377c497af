<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Indexer;

/**
 * Magento\Indexer\Model\Processor::reindexAllInvalid() (2.4.7) for one indexer. Plain PHP.
 *
 * An indexer is rebuilt when it is invalid, not suspended, and no indexer sharing its index
 * (indexer.xml shared_index) is suspended. After a successful rebuild the caller marks the other indexers of
 * the shared index valid (Magento\Indexer\Model\Processor\MakeSharedIndexValid), so their own jobs find
 * nothing to do instead of rebuilding the same tables again.
 */
final class ReindexPolicy
{
    /**
     * @param array<string, array<string, mixed>> $indexersConfig Magento\Framework\Indexer\ConfigInterface::getIndexers()
     * @return list<string> every indexer id with this shared index, the given one included
     */
    public function sharing(array $indexersConfig, ?string $sharedIndex): array
    {
        if ($sharedIndex === null || $sharedIndex === '') {
            return [];
        }
        $ids = [];
        foreach ($indexersConfig as $id => $config) {
            if (is_array($config) && ($config['shared_index'] ?? null) === $sharedIndex) {
                $ids[] = (string)$id;
            }
        }
        return $ids;
    }

    /**
     * @param list<string> $sharingStatuses the indexer status (valid, invalid, working, suspended) of each
     *                                      indexer sharing the index
     */
    public function shouldReindex(bool $invalid, bool $suspended, array $sharingStatuses): bool
    {
        return $invalid && !$suspended && !in_array('suspended', $sharingStatuses, true);
    }
}
