//! Jobs over GraphQL: the `Job` type with what the admin needs to judge a job
//! at a glance (next run, last run, recent outcomes, schedule warnings), the
//! `jobs`/`job` queries, and the job mutations. Input is translated into
//! [`actions::JobChanges`]; the rules live in [`crate::actions`].

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, OneofObject, SimpleObject, Union};
use chrono::{DateTime, Utc};

use super::job_page::JobPage;
use super::runs::{RunObject, RunStatusGql};
use super::{datetime, page_complexity, state, SortDirection};
use crate::actions::{self, BackoffChanges, Change, JobChanges};
use crate::api::audit::{is_secret_name, mutation, redact_url};
use crate::api::auth::Role;
use crate::api::connection::{connection, page};
use crate::api::errors::{ApiError, IntoGql};
use crate::cron::Schedule;
use crate::domain::{ConcurrencyPolicy, Executor, Job, JobSource, MisfirePolicy};
use crate::store::jobs::{JobFilter, JobSort};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "JobSource", remote = "JobSource")]
pub enum JobSourceGql {
    /// Declared in a Magento `crontab.xml`; kept in step by `syncMagentoJobs`.
    Magento,
    /// Created over the API or in the config file.
    User,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ConcurrencyPolicy", remote = "ConcurrencyPolicy")]
pub enum ConcurrencyPolicyGql {
    /// A run due while another is running is recorded SKIPPED (Magento's behaviour).
    Forbid,
    /// Runs overlap.
    Allow,
    /// The running one is killed and the new one starts.
    Replace,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "MisfirePolicy", remote = "MisfirePolicy")]
pub enum MisfirePolicyGql {
    /// Fire times missed while down are recorded MISSED.
    Skip,
    /// Missed fire times collapse into one catch-up run (within the starting deadline).
    RunOnce,
}

connection!(JobConnection, JobEdge, JobObject);

/// A job as the API shows it; in a `jobs` page, with the page its per-job
/// facts are read for ([`JobPage`]).
#[derive(Clone)]
pub struct JobObject(pub Job, Option<Arc<JobPage>>);

impl From<Job> for JobObject {
    fn from(job: Job) -> Self {
        JobObject(job, None)
    }
}

#[derive(SimpleObject, Clone)]
pub struct Backoff {
    pub initial_seconds: f64,
    pub factor: f64,
    pub max_seconds: f64,
    /// Fraction of the delay added at random (0..1).
    pub jitter: f64,
}

#[derive(SimpleObject, Clone)]
pub struct StatusCount {
    pub status: RunStatusGql,
    pub count: i64,
}

/// An environment variable of a command job; values of secret-looking names are redacted.
#[derive(SimpleObject, Clone)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
}

#[derive(SimpleObject, Clone)]
pub struct CommandExecutor {
    pub argv: Vec<String>,
    pub env: Vec<EnvironmentVariable>,
    pub working_dir: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct MagentoExecutor {
    /// The Magento job code to run; null means the job's own code.
    pub code: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct HttpExecutor {
    /// Credentials in the URL are redacted.
    pub url: String,
    pub method: Option<String>,
    pub timeout_seconds: Option<i64>,
}

#[derive(Union, Clone)]
pub enum JobExecutor {
    Command(CommandExecutor),
    Magento(MagentoExecutor),
    Http(HttpExecutor),
}

impl From<&Executor> for JobExecutor {
    fn from(e: &Executor) -> Self {
        match e {
            Executor::Command { argv, env, working_dir } => JobExecutor::Command(CommandExecutor {
                argv: argv.clone(),
                env: env
                    .iter()
                    .map(|(name, value)| EnvironmentVariable {
                        name: name.clone(),
                        value: if is_secret_name(name) { "[redacted]".into() } else { value.clone() },
                    })
                    .collect(),
                working_dir: working_dir.clone(),
            }),
            Executor::Magento { code } => JobExecutor::Magento(MagentoExecutor { code: code.clone() }),
            Executor::Http { url, method, timeout_secs } => JobExecutor::Http(HttpExecutor {
                url: redact_url(url),
                method: method.clone(),
                timeout_seconds: timeout_secs.map(|s| s as i64),
            }),
        }
    }
}

#[Object(name = "Job")]
impl JobObject {
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn source(&self) -> JobSourceGql {
        self.0.source.into()
    }
    /// Magento cron group (`default`, `index`, ...); free text for user jobs.
    async fn group(&self) -> Option<&str> {
        self.0.group.as_deref()
    }
    async fn lane(&self) -> &str {
        self.0.lane.as_str()
    }
    /// Cron expression or `@every <duration>`; null while a Magento job waits for its config path.
    async fn schedule(&self) -> Option<&str> {
        self.0.schedule.as_deref()
    }
    /// The Magento config path the schedule comes from, if any.
    async fn config_path(&self) -> Option<&str> {
        self.0.config_path.as_deref()
    }
    /// IANA zone the schedule is read in; null means the shop's time zone.
    async fn timezone(&self) -> Option<&str> {
        self.0.timezone.as_deref()
    }
    /// The zone actually used.
    async fn effective_timezone(&self, ctx: &Context<'_>) -> String {
        self.0.timezone.clone().unwrap_or_else(|| state(ctx).config.timezone.name().to_string())
    }
    async fn executor(&self) -> JobExecutor {
        (&self.0.executor).into()
    }
    /// The job's own timeout; null means the lane's or the global default.
    async fn timeout_seconds(&self) -> Option<i64> {
        self.0.timeout.map(|d| d.as_secs() as i64)
    }
    /// The timeout a run gets: the job's, else its lane's, else the global default.
    async fn effective_timeout_seconds(&self, ctx: &Context<'_>) -> i64 {
        state(ctx).config.timeout_for(&self.0).as_secs() as i64
    }
    async fn max_retries(&self) -> i32 {
        self.0.retry.max_retries as i32
    }
    async fn backoff(&self) -> Backoff {
        let b = self.0.retry.backoff;
        Backoff { initial_seconds: b.initial_secs, factor: b.factor, max_seconds: b.max_secs, jitter: b.jitter }
    }
    async fn concurrency_policy(&self) -> ConcurrencyPolicyGql {
        self.0.concurrency.into()
    }
    async fn misfire_policy(&self) -> MisfirePolicyGql {
        self.0.misfire.into()
    }
    /// How late a catch-up run may start after its fire time.
    async fn starting_deadline_seconds(&self) -> Option<i64> {
        self.0.starting_deadline.map(|d| d.as_secs() as i64)
    }
    async fn paused(&self) -> bool {
        self.0.paused
    }
    async fn business_critical(&self) -> bool {
        self.0.business_critical
    }
    /// Higher runs first among queued runs of the same lane.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Magento: the class that runs the job.
    async fn instance(&self) -> Option<&str> {
        self.0.instance.as_deref()
    }
    /// Magento: the method of `instance` that runs the job.
    async fn method(&self) -> Option<&str> {
        self.0.method.as_deref()
    }
    /// Fields an operator changed on a Magento job; `syncMagentoJobs` leaves them alone.
    async fn overrides(&self) -> &[String] {
        &self.0.overrides
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        datetime(self.0.updated_at)
    }
    /// The next fire time; null when paused or without a schedule.
    #[graphql(complexity = "super::STORE_READ + child_complexity")]
    async fn next_run_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DateTime<Utc>>> {
        let job = &self.0;
        let Some(expr) = job.schedule.as_deref().filter(|_| !job.paused) else { return Ok(None) };
        let st = state(ctx);
        let next_fire = match &self.1 {
            Some(page) => page.next_fire(&st.store, &job.code).await,
            None => crate::store::jobs::next_fire(&st.store, &job.code).await,
        };
        if let Some(ms) = next_fire.gql()? {
            return Ok(Some(datetime(ms)));
        }
        let Ok(schedule) = Schedule::parse(expr) else { return Ok(None) };
        let tz = job.timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(st.config.timezone);
        Ok(schedule.next_after(datetime(st.clock.now_ms()), tz))
    }
    /// The most recent run that started (or was recorded missed/skipped).
    #[graphql(complexity = "super::STORE_READ + child_complexity")]
    async fn last_run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RunObject>> {
        let store = &state(ctx).store;
        let run = match &self.1 {
            Some(page) => page.last_run(store, &self.0.code).await,
            None => crate::store::runs::last_run(store, &self.0.code).await,
        };
        Ok(run.gql()?.map(RunObject))
    }
    /// Runs by status scheduled since `since` (default: the last 24 hours).
    #[graphql(complexity = "super::STORE_READ + child_complexity")]
    async fn run_counts(&self, ctx: &Context<'_>, since: Option<DateTime<Utc>>) -> async_graphql::Result<Vec<StatusCount>> {
        let st = state(ctx);
        let now = self.1.as_ref().map_or_else(|| st.clock.now_ms(), |page| page.read_at);
        let since = since.map(|d| d.timestamp_millis()).unwrap_or(now - 86_400_000);
        let counts = match &self.1 {
            Some(page) => page.status_counts(&st.store, &self.0.code, since).await,
            None => crate::store::runs::status_counts(&st.store, &self.0.code, since).await,
        };
        let counts = counts.gql()?;
        Ok(counts.into_iter().map(|(status, count)| StatusCount { status: status.into(), count }).collect())
    }
    /// Surprises in the schedule (and a note when it waits for a config path).
    async fn warnings(&self) -> Vec<String> {
        match &self.0.schedule {
            Some(expr) => match Schedule::parse(expr) {
                Ok(s) => s.warnings(),
                Err(e) => vec![format!("the schedule does not parse: {e}")],
            },
            None => vec![match &self.0.config_path {
                Some(path) => format!("waits for its schedule from Magento config `{path}`; paused until then"),
                None => "has no schedule; it only runs when asked".to_string(),
            }],
        }
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "JobFilter")]
pub struct JobFilterInput {
    pub codes: Option<Vec<String>>,
    pub lane: Option<String>,
    pub group: Option<String>,
    /// Substring of code, description, group or Magento class.
    pub search: Option<String>,
    pub paused: Option<bool>,
    pub source: Option<JobSourceGql>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum JobSortField {
    #[default]
    Code,
    Lane,
    Group,
    Schedule,
    Priority,
    NextRunAt,
    UpdatedAt,
}

/// Default: by code, ascending.
#[derive(InputObject, Default)]
#[graphql(name = "JobSort")]
pub struct JobSortInput {
    #[graphql(default)]
    pub field: JobSortField,
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<JobSortField> for JobSort {
    fn from(f: JobSortField) -> Self {
        match f {
            JobSortField::Code => JobSort::Code,
            JobSortField::Lane => JobSort::Lane,
            JobSortField::Group => JobSort::Group,
            JobSortField::Schedule => JobSort::Schedule,
            JobSortField::Priority => JobSort::Priority,
            JobSortField::NextRunAt => JobSort::NextRunAt,
            JobSortField::UpdatedAt => JobSort::UpdatedAt,
        }
    }
}

/// The longest `filter.search` accepted.
const MAX_SEARCH: usize = 1_000;

#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// Jobs, filtered and sorted for the admin grid.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        filter: Option<JobFilterInput>,
        sort: Option<JobSortInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<JobConnection> {
        let page = page(first, after.as_deref()).gql()?;
        let f = filter.unwrap_or_default();
        // SQLite refuses LIKE patterns over 50 000 bytes with an internal error;
        // no one searches a job grid with more than a line of text.
        if let Some(search) = f.search.as_deref().filter(|s| s.len() > MAX_SEARCH) {
            return Err(ApiError::bad_input("filter.search", format!("at most {MAX_SEARCH} bytes (got {})", search.len()))).gql();
        }
        let filter = JobFilter {
            codes: f.codes,
            lane: f.lane,
            group: f.group,
            search: f.search,
            paused: f.paused,
            source: f.source.map(Into::into),
        };
        let sort = sort.unwrap_or_default();
        let st = state(ctx);
        let items = crate::store::jobs::list(&st.store, &filter, sort.field.into(), sort.direction.into(), page).await.gql()?;
        let total = crate::store::jobs::count(&st.store, &filter).await.gql()?;
        let facts = JobPage::new(items.iter().map(|j| j.code.clone()).collect(), st.clock.now_ms());
        Ok(JobConnection::new(items.into_iter().map(|job| JobObject(job, Some(facts.clone()))).collect(), page, total))
    }

    /// One job; null when no job has this code.
    async fn job(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<Option<JobObject>> {
        Ok(crate::store::jobs::get(&state(ctx).store, &code).await.gql()?.map(JobObject::from))
    }
}

#[derive(InputObject)]
pub struct BackoffInput {
    pub initial_seconds: Option<f64>,
    /// Between 1 and 10.
    pub factor: Option<f64>,
    pub max_seconds: Option<f64>,
}

#[derive(InputObject)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct CommandExecutorInput {
    /// Program and arguments, executed directly (no shell unless argv says so).
    pub argv: Vec<String>,
    /// Added to cronkeeper's environment. Names: letters, digits and `_`, not
    /// starting with a digit; `LD_*` names are refused; no NUL bytes.
    pub env: Option<Vec<EnvVar>>,
    /// An absolute path; a missing directory fails the run.
    pub working_dir: Option<String>,
}

#[derive(InputObject)]
pub struct MagentoExecutorInput {
    /// The Magento job code to run; omit for the job's own code.
    pub code: Option<String>,
}

#[derive(InputObject)]
pub struct HttpExecutorInput {
    pub url: String,
    pub method: Option<String>,
    pub timeout_seconds: Option<i32>,
}

/// Exactly one way of running the job.
#[derive(OneofObject)]
pub enum ExecutorInput {
    Command(CommandExecutorInput),
    Magento(MagentoExecutorInput),
    Http(HttpExecutorInput),
}

impl ExecutorInput {
    fn into_domain(self) -> Result<Executor, ApiError> {
        Ok(match self {
            ExecutorInput::Command(c) => Executor::Command {
                argv: c.argv,
                env: c.env.unwrap_or_default().into_iter().map(|e| (e.name, e.value)).collect(),
                working_dir: c.working_dir,
            },
            ExecutorInput::Magento(m) => Executor::Magento { code: m.code },
            ExecutorInput::Http(h) => {
                let timeout_secs = match h.timeout_seconds {
                    Some(s) if s <= 0 => {
                        return Err(ApiError::bad_input("executor.http.timeoutSeconds", format!("must be greater than zero (got {s})")))
                    }
                    other => other.map(|s| s as u64),
                };
                Executor::Http { url: h.url, method: h.method, timeout_secs }
            }
        })
    }
}

/// Creates or changes a job. On update, omitted fields keep their value and
/// `null` clears the nullable ones (timezone, group, description, timeouts).
#[derive(InputObject)]
pub struct JobInput {
    pub code: String,
    /// Cron expression (5 fields, Magento dialect) or `@every <duration>`. Required for a new job.
    pub schedule: Option<String>,
    /// IANA zone, e.g. Europe/Amsterdam; null for the shop's zone.
    pub timezone: MaybeUndefined<String>,
    /// One of the configured lanes; a new job goes to `default`.
    pub lane: Option<String>,
    pub group: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    /// Greater than zero; null for the lane's or the global default.
    pub timeout_seconds: MaybeUndefined<i32>,
    pub max_retries: Option<i32>,
    pub backoff: Option<BackoffInput>,
    pub concurrency_policy: Option<ConcurrencyPolicyGql>,
    pub misfire_policy: Option<MisfirePolicyGql>,
    pub starting_deadline_seconds: MaybeUndefined<i32>,
    pub priority: Option<i32>,
    pub paused: Option<bool>,
    pub business_critical: Option<bool>,
    /// Required for a new job.
    pub executor: Option<ExecutorInput>,
}

fn change<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Change<U> {
    match v {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(v) => Change::Set(f(v)),
    }
}

impl JobInput {
    fn into_changes(self) -> Result<JobChanges, ApiError> {
        Ok(JobChanges {
            code: self.code,
            schedule: self.schedule,
            timezone: change(self.timezone, |v| v),
            lane: self.lane,
            group: change(self.group, |v| v),
            description: change(self.description, |v| v),
            timeout_seconds: change(self.timeout_seconds, i64::from),
            max_retries: self.max_retries.map(i64::from),
            backoff: self.backoff.map(|b| BackoffChanges { initial_seconds: b.initial_seconds, factor: b.factor, max_seconds: b.max_seconds }),
            concurrency: self.concurrency_policy.map(Into::into),
            misfire: self.misfire_policy.map(Into::into),
            starting_deadline_seconds: change(self.starting_deadline_seconds, i64::from),
            priority: self.priority,
            paused: self.paused,
            business_critical: self.business_critical,
            executor: self.executor.map(ExecutorInput::into_domain).transpose()?,
        })
    }
}

#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Creates a user job or changes any job (admin). Changes to a Magento job
    /// are recorded in its `overrides` and survive later syncs.
    async fn upsert_job(&self, ctx: &Context<'_>, input: JobInput) -> async_graphql::Result<JobObject> {
        mutation(ctx, Role::Admin, |a| async move {
            let changes = input.into_changes().map_err(|e| within(e, "input"))?;
            let job = actions::upsert_job(&a, changes).await.map_err(|e| e.within("input"))?;
            Ok(JobObject::from(job))
        })
        .await
    }

    /// Deletes a job and skips its waiting runs; history stays (admin). NOT_FOUND
    /// when there is no such job. A Magento job comes back on the next sync:
    /// pause it instead to keep it from running.
    async fn delete_job(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<bool> {
        mutation(ctx, Role::Admin, |a| async move { Ok(actions::delete_jobs(&a, &[code]).await? == 1) }).await
    }

    /// Deletes several jobs; all must exist or none is deleted (admin). Returns how many.
    async fn delete_jobs(&self, ctx: &Context<'_>, codes: Vec<String>) -> async_graphql::Result<i64> {
        mutation(ctx, Role::Admin, |a| async move { Ok(actions::delete_jobs(&a, &codes).await?) }).await
    }

    /// Stops scheduling a job (operator). Running runs go on.
    async fn pause_job(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<JobObject> {
        mutation(ctx, Role::Operator, |a| async move { one(actions::set_paused(&a, &[code], true).await?) }).await
    }

    /// Schedules a paused job again from now on; the paused time is not caught up (operator).
    async fn resume_job(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<JobObject> {
        mutation(ctx, Role::Operator, |a| async move { one(actions::set_paused(&a, &[code], false).await?) }).await
    }

    /// Pauses several jobs; all must exist or none changes (operator).
    async fn pause_jobs(&self, ctx: &Context<'_>, codes: Vec<String>) -> async_graphql::Result<Vec<JobObject>> {
        mutation(ctx, Role::Operator, |a| async move { Ok(actions::set_paused(&a, &codes, true).await?.into_iter().map(JobObject::from).collect()) })
            .await
    }

    /// Resumes several jobs; all must exist or none changes (operator).
    async fn resume_jobs(&self, ctx: &Context<'_>, codes: Vec<String>) -> async_graphql::Result<Vec<JobObject>> {
        mutation(ctx, Role::Operator, |a| async move { Ok(actions::set_paused(&a, &codes, false).await?.into_iter().map(JobObject::from).collect()) })
            .await
    }
}

fn one(mut jobs: Vec<Job>) -> Result<JobObject, ApiError> {
    jobs.pop().map(JobObject::from).ok_or_else(|| ApiError::Internal("set_paused returned no job".into()))
}

fn within(e: ApiError, prefix: &str) -> ApiError {
    match e {
        ApiError::BadInput { field, message } => ApiError::BadInput { field: actions::join_field(prefix, &field), message },
        other => other,
    }
}
