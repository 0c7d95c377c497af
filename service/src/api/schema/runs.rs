//! Runs over GraphQL: the `Run` type, the `runs`/`run` queries (the timeline is
//! in [`super::timeline`]), and
//! the mutations that ask for runs (run now, run at, kill, retry). Runs are only
//! created or flagged here; the workers and the scheduler do the rest.

use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{DateTime, Utc};

use super::jobs::JobObject;
use super::{datetime, page_complexity, state, SortDirection};
use crate::actions;
use crate::api::audit::mutation;
use crate::api::auth::Role;
use crate::api::connection::{connection, page};
use crate::api::errors::{ApiError, IntoGql};
use crate::domain::{Run, RunId, RunStatus, Trigger};
use crate::store::runs::{RunFilter, RunSort};
use crate::store::Direction;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RunStatus", remote = "RunStatus")]
pub enum RunStatusGql {
    /// Created, due in the future (scheduled for later, or a retry waiting out its backoff).
    Pending,
    /// Due, waiting for a free slot in its lane.
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    /// Ended by an operator or by a `REPLACE` concurrency policy.
    Killed,
    /// The supervising cronkeeper process went away while it ran.
    Interrupted,
    /// A fire time that passed without a run (downtime, misfire policy).
    Missed,
    /// Due while an earlier run was still going (`FORBID`), or cancelled with its job.
    Skipped,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RunTrigger", remote = "Trigger")]
pub enum TriggerGql {
    Schedule,
    CatchUp,
    Manual,
    Retry,
}

connection!(RunConnection, RunEdge, RunObject);

#[derive(Clone)]
pub struct RunObject(pub Run);

#[Object(name = "Run")]
impl RunObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn job_code(&self) -> &str {
        &self.0.job_code
    }
    /// The job, unless it has been deleted since.
    #[graphql(complexity = "super::STORE_READ + child_complexity")]
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObject>> {
        Ok(crate::store::jobs::get(&state(ctx).store, &self.0.job_code).await.gql()?.map(JobObject::from))
    }
    async fn lane(&self) -> &str {
        self.0.lane.as_str()
    }
    async fn status(&self) -> RunStatusGql {
        self.0.status.into()
    }
    async fn trigger(&self) -> TriggerGql {
        self.0.trigger.into()
    }
    /// 1 for the first attempt; each retry is a new run with attempt + 1.
    async fn attempt(&self) -> i32 {
        self.0.attempt as i32
    }
    /// The first attempt's id, for retries.
    async fn retry_of(&self) -> Option<ID> {
        self.0.retry_of.map(|id| ID(id.to_string()))
    }
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    /// The fire time, or when a manual run or retry became due.
    async fn scheduled_at(&self) -> DateTime<Utc> {
        datetime(self.0.scheduled_at)
    }
    async fn queued_at(&self) -> Option<DateTime<Utc>> {
        self.0.queued_at.map(datetime)
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at.map(datetime)
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(datetime)
    }
    async fn duration_ms(&self) -> Option<i64> {
        self.0.duration_ms()
    }
    async fn exit_code(&self) -> Option<i32> {
        self.0.exit_code
    }
    /// Capped tail of stdout and stderr.
    async fn output(&self) -> Option<&str> {
        self.0.output.as_deref()
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The cronkeeper instance that ran it.
    async fn worker(&self) -> Option<&str> {
        self.0.worker.as_deref()
    }
    /// MISSED: how many fire times this entry stands for; SKIPPED: how many
    /// skips in a row were folded into it (0 for a single skip). Prefer `count`.
    async fn missed_count(&self) -> i32 {
        self.0.missed_count as i32
    }
    /// How many occurrences this history entry stands for: consecutive MISSED
    /// fire times or consecutive SKIPPED runs of the job are folded into one
    /// entry (`scheduledAt` is the first, `finishedAt` the latest); 1 otherwise.
    async fn count(&self) -> i32 {
        match self.0.status {
            RunStatus::Missed | RunStatus::Skipped => self.0.missed_count.max(1) as i32,
            _ => 1,
        }
    }
    /// An operator asked to kill it; the worker is ending its process.
    async fn kill_requested(&self) -> bool {
        self.0.kill_requested
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "RunFilter")]
pub struct RunFilterInput {
    pub job_code: Option<String>,
    pub job_codes: Option<Vec<String>>,
    pub statuses: Option<Vec<RunStatusGql>>,
    pub lane: Option<String>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum RunSortField {
    Id,
    #[default]
    ScheduledAt,
    StartedAt,
    FinishedAt,
    Status,
    JobCode,
    Lane,
}

/// Default: newest first (`SCHEDULED_AT`, `DESC`).
#[derive(InputObject)]
#[graphql(name = "RunSort")]
pub struct RunSortInput {
    #[graphql(default)]
    pub field: RunSortField,
    #[graphql(default_with = "SortDirection::Desc")]
    pub direction: SortDirection,
}

impl From<RunSortField> for RunSort {
    fn from(f: RunSortField) -> Self {
        match f {
            RunSortField::Id => RunSort::Id,
            RunSortField::ScheduledAt => RunSort::ScheduledAt,
            RunSortField::StartedAt => RunSort::StartedAt,
            RunSortField::FinishedAt => RunSort::FinishedAt,
            RunSortField::Status => RunSort::Status,
            RunSortField::JobCode => RunSort::JobCode,
            RunSortField::Lane => RunSort::Lane,
        }
    }
}

pub(crate) fn parse_run_id(field: &str, id: &ID) -> Result<RunId, ApiError> {
    id.parse::<RunId>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::bad_input(field, format!("`{}` is not a run id", id.as_str())))
}

#[derive(Default)]
pub struct RunsQuery;

#[Object]
impl RunsQuery {
    /// Run history, filtered and sorted (newest first by default).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn runs(
        &self,
        ctx: &Context<'_>,
        filter: Option<RunFilterInput>,
        sort: Option<RunSortInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<RunConnection> {
        let page = page(first, after.as_deref()).gql()?;
        let f = filter.unwrap_or_default();
        let filter = RunFilter {
            job_code: f.job_code,
            job_codes: f.job_codes,
            statuses: f.statuses.map(|s| s.into_iter().map(Into::into).collect()),
            lane: f.lane,
            from: f.from.map(|d| d.timestamp_millis()),
            to: f.to.map(|d| d.timestamp_millis()),
        };
        let (field, direction): (RunSort, Direction) = match sort {
            Some(s) => (s.field.into(), s.direction.into()),
            None => (RunSort::ScheduledAt, Direction::Desc),
        };
        let store = &state(ctx).store;
        let items = crate::store::runs::list(store, &filter, field, direction, page).await.gql()?;
        let total = crate::store::runs::count(store, &filter).await.gql()?;
        Ok(RunConnection::new(items.into_iter().map(RunObject).collect(), page, total))
    }

    /// One run; null when there is none with this id.
    async fn run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<RunObject>> {
        let id = parse_run_id("id", &id).gql()?;
        Ok(crate::store::runs::get(&state(ctx).store, id).await.gql()?.map(RunObject))
    }
}

#[derive(Default)]
pub struct RunsMutation;

#[Object]
impl RunsMutation {
    /// Queues a run of the job now, paused or not (operator).
    async fn run_job_now(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<RunObject> {
        mutation(ctx, Role::Operator, |a| async move {
            let mut runs = actions::run_now(&a, &[code]).await?;
            runs.pop().map(RunObject).ok_or_else(|| ApiError::Internal("run_now returned no run".into()))
        })
        .await
    }

    /// Queues a run of each job now; all must exist or none is queued (operator).
    async fn run_jobs_now(&self, ctx: &Context<'_>, codes: Vec<String>) -> async_graphql::Result<Vec<RunObject>> {
        mutation(ctx, Role::Operator, |a| async move { Ok(actions::run_now(&a, &codes).await?.into_iter().map(RunObject).collect()) }).await
    }

    /// Creates a PENDING run due at `at`; it is queued when the time comes (operator).
    async fn schedule_job_at(&self, ctx: &Context<'_>, code: String, at: DateTime<Utc>) -> async_graphql::Result<RunObject> {
        mutation(ctx, Role::Operator, |a| async move { Ok(RunObject(actions::schedule_at(&a, &code, at.timestamp_millis()).await?)) }).await
    }

    /// Ends a run: one waiting is closed KILLED at once; a running one is
    /// flagged and its process group is ended by its worker (operator).
    async fn kill_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<RunObject> {
        mutation(ctx, Role::Operator, |a| async move {
            let id = parse_run_id("id", &id)?;
            Ok(RunObject(actions::kill_run(&a, id).await?))
        })
        .await
    }

    /// Queues a new attempt of a finished run (operator).
    async fn retry_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<RunObject> {
        mutation(ctx, Role::Operator, |a| async move {
            let id = parse_run_id("id", &id)?;
            Ok(RunObject(actions::retry_run(&a, id).await?))
        })
        .await
    }
}
