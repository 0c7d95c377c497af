<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\Component\Listing\Column;

use Cronkeeper\Scheduler\ViewModel\RunView;

/**
 * Row actions of the Runs grid: open the run (output, error, attempts); kill a waiting or running
 * run, retry a finished one (POSTed, with a confirmation; the controllers check ::operate).
 */
class RunActions extends RowActions
{
    protected function actionsFor(array $item): ?array
    {
        if (!isset($item['id'])) {
            return null;
        }
        $id = (string)$item['id'];
        $actions = [
            'view' => [
                'href' => $this->urlBuilder->getUrl('cronkeeper/run/view', ['id' => $id]),
                'label' => __('View'),
            ],
        ];
        $live = in_array(strtoupper((string)($item['status'] ?? '')), RunView::LIVE_STATUSES, true);
        $action = $live ? 'kill' : 'retry';
        $actions[$action] = [
            'href' => $this->urlBuilder->getUrl('cronkeeper/run/' . $action, ['id' => $id]),
            'label' => $live ? __('Kill') : __('Retry'),
            'post' => true,
            'confirm' => [
                'title' => $live ? __('Kill run %1', $id) : __('Retry run %1', $id),
                'message' => $live
                    ? __('End run %1 of %2?', $id, (string)($item['job_code'] ?? ''))
                    : __('Queue a new attempt of run %1 of %2?', $id, (string)($item['job_code'] ?? '')),
                '__disableTmpl' => true,
            ],
            '__disableTmpl' => true,
        ];
        return $actions;
    }
}
