<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Takeover;

use Magento\Framework\FlagManager;

/**
 * The job codes the last successful `cronkeeper:sync` handed to cronkeeper, kept in Magento's flag table
 * so `cron:run` can skip them without asking the service (which may be down) every minute.
 */
class OwnedJobs
{
    public const FLAG_CODE = 'cronkeeper_owned_jobs';

    public function __construct(private readonly FlagManager $flagManager)
    {
    }

    /**
     * @return list<string>
     */
    public function get(): array
    {
        $data = $this->flagManager->getFlagData(self::FLAG_CODE);
        return is_array($data) ? array_values(array_filter($data, 'is_string')) : [];
    }

    /**
     * @param list<string> $codes
     */
    public function set(array $codes): void
    {
        $this->flagManager->saveFlag(self::FLAG_CODE, array_values(array_unique($codes)));
    }
}
