<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Run;

/**
 * Queues the next attempt of a finished run and shows it.
 */
class Retry extends AbstractRunAction
{
    protected function apply(string $id): array
    {
        $run = $this->runActions->retry($id);
        return [(string)$run['id'], __('Attempt %1 queued as run %2.', (int)$run['attempt'], (string)$run['id'])];
    }
}
