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

    /** The job edit form: one job and the lanes it may move to. */
    public const JOB_FOR_EDIT = 'query JobForEdit($code: String!) {
  job(code: $code) {
    code source group lane schedule configPath timeoutSeconds effectiveTimeoutSeconds maxRetries
    concurrencyPolicy paused description overrides warnings
  }
  lanes { name }
}';

    public const UPSERT_JOB = 'mutation UpsertJob($input: JobInput!) {
  upsertJob(input: $input) { code lane schedule timeoutSeconds maxRetries concurrencyPolicy overrides }
}';

    /** The run page: one run and the runs of its job since its first attempt (for the attempt chain). */
    public const RUN_DETAILS = 'query RunDetails($id: ID!) {
  run(id: $id) {
    id jobCode lane status trigger attempt retryOf scheduledAt queuedAt startedAt finishedAt durationMs
    exitCode output error worker count killRequested
  }
}';

    public const RUN_ATTEMPTS = 'query RunAttempts($filter: ' . self::TYPE_RUN_FILTER . ', $first: Int) {
  runs(filter: $filter, first: $first, sort: { field: SCHEDULED_AT, direction: ASC }) {
    nodes { id attempt retryOf status scheduledAt startedAt finishedAt }
  }
}';

    public const KILL_RUN = 'mutation KillRun($id: ID!) { killRun(id: $id) { id status killRequested } }';
    public const RETRY_RUN = 'mutation RetryRun($id: ID!) { retryRun(id: $id) { id status attempt retryOf } }';

    public const QUEUES_AND_CONSUMERS = '{
  queues { name transport ready inFlight consumers }
  consumers {
    name lane desiredInstances maxMessages onlyWhenMessages watchQueue source state
    processes { pid node startedAt restarts lastExitCode lastExitReason outputTail }
  }
}';

    public const START_CONSUMER = 'mutation StartConsumer($name: String!) { startConsumer(name: $name) { name state desiredInstances } }';
    public const STOP_CONSUMER = 'mutation StopConsumer($name: String!) { stopConsumer(name: $name) { name state desiredInstances } }';
    public const RESTART_CONSUMER = 'mutation RestartConsumer($name: String!) { restartConsumer(name: $name) { name state desiredInstances } }';
    public const SET_CONSUMER_INSTANCES = 'mutation SetConsumerInstances($name: String!, $instances: Int!) {
  setConsumerInstances(name: $name, instances: $instances) { name state desiredInstances }
}';

    public const SYNC_MAGENTO_CONSUMERS = 'mutation SyncConsumers($consumers: [MagentoConsumerInput!]!, $removeMissing: Boolean!) {
  syncMagentoConsumers(consumers: $consumers, removeMissing: $removeMissing) { created updated unchanged removed }
}';

    private const ALERT_FIELDS = 'id rule kind subject jobCode lane severity state acknowledged summary error runId
      openedAt acknowledgedAt acknowledgedBy resolvedAt reminders
      notifications { channel event status attempts lastError }';

    /** The alerts page: open alerts, the most recent ones, rules and channels. */
    public const ALERTS_PAGE = 'query AlertsPage($recent: Int) {
  open: alerts(filter: { state: OPEN }, first: 100) { totalCount nodes { ' . self::ALERT_FIELDS . ' } }
  recent: alerts(first: $recent) { totalCount nodes { ' . self::ALERT_FIELDS . ' } }
  alertRules {
    name when evaluated channels severity statuses count duration factor openAfter resolveAfter remindEvery
    enabled source scope { jobs lanes queues }
  }
  alertChannels { name kind maskedUrl signed source usedBy updatedAt }
}';

    public const ACKNOWLEDGE_ALERT = 'mutation Ack($id: ID!) { acknowledgeAlert(id: $id) { id acknowledged acknowledgedBy } }';
    public const UPSERT_ALERT_RULE = 'mutation UpsertRule($input: AlertRuleInput!) { upsertAlertRule(input: $input) { name when enabled source } }';
    public const DELETE_ALERT_RULE = 'mutation DeleteRule($name: String!) { deleteAlertRule(name: $name) }';
    public const TEST_ALERT_CHANNEL = 'mutation TestChannel($name: String!) { testAlertChannel(name: $name) }';
    private const CHANNEL_FIELDS = 'name kind maskedUrl signed source usedBy updatedAt';
    public const CREATE_ALERT_CHANNEL = 'mutation CreateChannel($input: AlertChannelInput!) { createAlertChannel(input: $input) { '
        . self::CHANNEL_FIELDS . ' } }';
    public const UPDATE_ALERT_CHANNEL = 'mutation UpdateChannel($input: AlertChannelChanges!) { updateAlertChannel(input: $input) { '
        . self::CHANNEL_FIELDS . ' } }';
    public const DELETE_ALERT_CHANNEL = 'mutation DeleteChannel($name: String!) { deleteAlertChannel(name: $name) }';

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

    /**
     * The timeline at wide zoom (24 h, 7 d): runs folded by the service into spans of one status, so the
     * answer stays small however many runs the window holds; as parallel lists (spanColumns), which the
     * service produces and the browser parses far faster than thousands of span objects.
     * timeline.js holds the same text (SPANS_QUERY).
     */
    public const TIMELINE_SPANS = 'query TimelineSpans($from: DateTime!, $to: DateTime!, $jobCodes: [String!], $resolutionSeconds: Int) {
  timeline(from: $from, to: $to, jobCodes: $jobCodes, resolutionSeconds: $resolutionSeconds) {
    jobCode
    spanColumns { status start end count firstRunId lastRunId }
  }
}';

    /**
     * The timeline's rows: one page of job codes (code order, narrowed by the filter box), whose runs the
     * page then asks for with jobCodes, so a shop with thousands of jobs never fetches them all at once.
     * timeline.js holds the same text (JOBS_QUERY).
     */
    public const TIMELINE_JOBS = 'query TimelineJobs($filter: ' . self::TYPE_JOB_FILTER . ', $first: Int, $after: String) {
  jobs(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { code }
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
