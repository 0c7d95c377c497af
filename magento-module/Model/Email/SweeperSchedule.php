<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * Stage 2 for cronkeeper:sync: with the queue sending e-mails the moment they are flagged, Magento's four
 * sales_send_*_emails jobs only sweep up what the queue missed (a failed publish, a failed send waiting for
 * its next attempt), so they are synced with a low-frequency schedule instead of Magento's every minute.
 * Plain PHP.
 */
final class SweeperSchedule
{
    /**
     * @param list<array<string, mixed>> $inputs MagentoJobInput rows
     * @return list<array<string, mixed>>
     */
    public function apply(array $inputs, string $schedule): array
    {
        $schedule = trim($schedule);
        if ($schedule === '') {
            return $inputs;
        }
        $codes = EntityType::sweeperJobCodes();
        foreach ($inputs as $i => $input) {
            if (in_array($input['code'] ?? null, $codes, true)) {
                $inputs[$i]['schedule'] = $schedule;
                $inputs[$i]['configPath'] = null;
            }
        }
        return $inputs;
    }
}
