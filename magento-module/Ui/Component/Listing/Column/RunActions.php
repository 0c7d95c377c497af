<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\Component\Listing\Column;

/**
 * Row actions of the Runs grid: open the run (output, error, attempts).
 */
class RunActions extends RowActions
{
    protected function actionsFor(array $item): ?array
    {
        if (!isset($item['id'])) {
            return null;
        }
        return [
            'view' => [
                'href' => $this->urlBuilder->getUrl('cronkeeper/run/view', ['id' => $item['id']]),
                'label' => __('View'),
            ],
        ];
    }
}
