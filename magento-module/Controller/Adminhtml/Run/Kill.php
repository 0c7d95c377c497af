<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Run;

/**
 * Kills a run: a waiting one is closed at once, a running one is ended by its worker.
 */
class Kill extends AbstractRunAction
{
    protected function apply(string $id): array
    {
        $run = $this->runActions->kill($id);
        return [
            $id,
            $run['status'] === 'KILLED'
                ? __('Run %1 killed.', $id)
                : __('Run %1: kill requested; its worker is ending the process.', $id),
        ];
    }
}
