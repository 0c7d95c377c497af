<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Indexer;

/**
 * What cronkeeper:indexer:clean-changelog did. Stepping aside is not a failure: the next hourly run cleans.
 */
enum CleanOutcome: string
{
    case Cleaned = 'cleaned';
    case UpdateRunning = 'skipped: cronkeeper:indexer:update of this indexer holds its lock';
    case ViewWorking = 'skipped: the view is being updated (mview status "working")';
}
