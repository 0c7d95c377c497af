<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Source;

use Magento\Framework\Data\OptionSourceInterface;

/**
 * Where a job was defined: synced from Magento's crontab.xml or created in cronkeeper.
 */
class JobSource implements OptionSourceInterface
{
    /**
     * @return list<array{value: string, label: \Magento\Framework\Phrase}>
     */
    public function toOptionArray()
    {
        return [
            ['value' => 'magento', 'label' => __('Magento')],
            ['value' => 'user', 'label' => __('Cronkeeper')],
        ];
    }
}
