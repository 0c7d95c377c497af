<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Source;

use Magento\Framework\Data\OptionSourceInterface;

/**
 * The service's RunStatus values, lower-cased as the grids show them.
 */
class RunStatus implements OptionSourceInterface
{
    public const STATUSES = [
        'pending' => 'Pending',
        'queued' => 'Queued',
        'running' => 'Running',
        'succeeded' => 'Succeeded',
        'failed' => 'Failed',
        'timed_out' => 'Timed out',
        'killed' => 'Killed',
        'interrupted' => 'Interrupted',
        'missed' => 'Missed',
        'skipped' => 'Skipped',
    ];

    /**
     * @return list<array{value: string, label: \Magento\Framework\Phrase}>
     */
    public function toOptionArray()
    {
        $options = [];
        foreach (self::STATUSES as $value => $label) {
            $options[] = ['value' => $value, 'label' => __($label)];
        }
        return $options;
    }
}
