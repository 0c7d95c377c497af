<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\Component\Listing\Column;

/**
 * Row actions of the Schedules grid: edit the job, view its runs.
 */
class JobActions extends RowActions
{
    protected function actionsFor(array $item): ?array
    {
        if (!isset($item['code'])) {
            return null;
        }
        $code = (string)$item['code'];
        return [
            'edit' => [
                'href' => $this->urlBuilder->getUrl('cronkeeper/job/edit', ['code' => $code]),
                'label' => __('Edit'),
            ],
            'runs' => [
                'href' => $this->urlBuilder->getUrl('cronkeeper/run/index', ['job_code' => $code]),
                'label' => __('View Runs'),
            ],
        ];
    }
}
