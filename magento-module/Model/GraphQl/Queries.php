<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl;

/**
 * Every GraphQL document the module sends, in one place, written against the contract of issue #3
 * (graphql/schema.graphql in the service repository).
 */
final class Queries
{
    /*
     * Input type names. The contract (issue #3) names JobFilter and RunFilter; it does not name the sort
     * inputs. Kept here so a rename in the service is a one-line change.
     */
    public const TYPE_JOB_FILTER = 'JobFilter';
    public const TYPE_JOB_SORT = 'JobSort';
    public const TYPE_RUN_FILTER = 'RunFilter';
    public const TYPE_RUN_SORT = 'RunSort';

    public const JOBS = 'query Jobs($filter: ' . self::TYPE_JOB_FILTER . ', $sort: ' . self::TYPE_JOB_SORT . ', $first: Int, $after: String) {
  jobs(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    nodes {
      code source group lane schedule configPath timezone timeoutSeconds maxRetries
      concurrencyPolicy paused priority description instance method nextRunAt updatedAt warnings
      lastRun { id status scheduledAt finishedAt }
    }
  }
}';

    public const RUNS = 'query Runs($filter: ' . self::TYPE_RUN_FILTER . ', $sort: ' . self::TYPE_RUN_SORT . ', $first: Int, $after: String) {
  runs(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    nodes { id jobCode lane status attempt retryOf scheduledAt startedAt finishedAt durationMs exitCode worker error }
  }
}';

    public const PAUSE_JOBS = 'mutation ($codes: [String!]!) { pauseJobs(codes: $codes) { code paused } }';
    public const RESUME_JOBS = 'mutation ($codes: [String!]!) { resumeJobs(codes: $codes) { code paused } }';
    public const RUN_JOBS_NOW = 'mutation ($codes: [String!]!) { runJobsNow(codes: $codes) { id jobCode status } }';
    public const DELETE_JOBS = 'mutation ($codes: [String!]!) { deleteJobs(codes: $codes) }';

    public const SYNC_MAGENTO_JOBS = <<<'GRAPHQL'
mutation Sync($input: [MagentoJobInput!]!) {
  syncMagentoJobs(input: $input) { created updated unchanged removed warnings }
}
GRAPHQL;

    public const STATUS = 'query Status($failed: ' . self::TYPE_RUN_FILTER . ') {
  lanes { name slots busy queued oldestQueuedAgeSeconds }
  runs(filter: $failed, first: 10) { totalCount nodes { id jobCode lane status scheduledAt error } }
}';

    /**
     * The timeline page's only query; view/adminhtml/web/js/timeline.js holds the same text (a unit test
     * compares them). The timeline proxy controller runs this copy, never a document from the browser.
     */
    public const TIMELINE = 'query Timeline($from: DateTime!, $to: DateTime!, $jobCodes: [String!]) {
  timeline(from: $from, to: $to, jobCodes: $jobCodes) {
    jobCode
    runs { id jobCode lane status trigger attempt scheduledAt startedAt finishedAt durationMs exitCode error count killRequested }
  }
}';

    /** Everything the dashboard shows, in one round trip (Model/Dashboard/DashboardData). */
    public const DASHBOARD = 'query Dashboard($errors: ' . self::TYPE_RUN_FILTER . ', $errorLimit: Int, $alertLimit: Int) {
  lanes { name slots busy queued oldestQueuedAt oldestQueuedAgeSeconds }
  queues { name lane depth consumers }
  consumers { name queue lane running pid restarts startedAt }
  alerts(filter: {state: OPEN}, first: $alertLimit) {
    totalCount
    nodes { id rule kind subject jobCode lane severity acknowledged summary runId openedAt }
  }
  runs(filter: $errors, first: $errorLimit) {
    totalCount
    nodes { id jobCode lane status attempt scheduledAt finishedAt exitCode error }
  }
}';

    public const WHOAMI = '{ me { subject role } }';

    private function __construct()
    {
    }
}
