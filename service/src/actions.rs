//! The business operations behind the API (and later the CLI): creating and
//! changing jobs, asking for runs, killing and retrying them, purging history,
//! merging Magento's job list. The GraphQL layer only authenticates, audits and
//! translates; every rule about what a change may do lives here, once.
//!
//! Every operation validates all of its input before it writes anything, so a
//! refused call changes nothing. Errors name the field they are about (in the
//! API's camelCase spelling, `schedule`, `backoff.factor`), and the API adds the
//! argument name in front (`input.schedule`).
//!
//! Runs are only ever created here, never started: the workers pick up QUEUED
//! runs and the scheduler promotes PENDING runs when they are due. After each
//! change a [`RunEvent`] goes out on [`Events`] for subscribers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::cron::Schedule;
use crate::domain::{
    check_command, validate_job_code, ConcurrencyPolicy, EpochMs, Executor, Job, JobSource, LaneName, MisfirePolicy, Run, RunId,
    RunStatus, Trigger,
};
use crate::events::{Events, RunEvent};
use crate::store::runs::NewRun;
use crate::store::{self, Store, StoreError};

/// What an operation needs from the running service.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub store: Store,
    pub config: Arc<Config>,
    pub events: Events,
    pub clock: SharedClock,
    /// Alert changes (`acknowledgeAlert` broadcasts on it).
    pub alert_events: crate::alerts::AlertEvents,
}

impl Ctx {
    pub fn now(&self) -> EpochMs {
        self.clock.now_ms()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The input is wrong; `field` names it, `message` says why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The thing named does not exist (`job \`x\``, `run 5`).
    #[error("{0} not found")]
    NotFound(String),
    /// The store failed; not the caller's fault, never shown to them.
    #[error("store error: {0}")]
    Store(StoreError),
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ActionError::NotFound(what),
            other => ActionError::Store(other),
        }
    }
}

impl ActionError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ActionError::Invalid { field: field.into(), message: message.into() }
    }

    /// Puts the argument name in front of the field: `schedule` -> `input.schedule`.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            ActionError::Invalid { field, message } => ActionError::Invalid { field: join_field(prefix, &field), message },
            other => other,
        }
    }
}

/// `input` + `schedule` -> `input.schedule`; `input` + `[2].code` -> `input[2].code`.
pub fn join_field(prefix: &str, field: &str) -> String {
    if field.starts_with('[') {
        format!("{prefix}{field}")
    } else {
        format!("{prefix}.{field}")
    }
}

pub type Result<T> = std::result::Result<T, ActionError>;

/// A field of a partial update that can also be cleared.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(v) => Some(v),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackoffChanges {
    pub initial_seconds: Option<f64>,
    pub factor: Option<f64>,
    pub max_seconds: Option<f64>,
}

/// A create-or-update of one job. Omitted (`None`/`Keep`) fields keep their
/// current value; for a new job they take the defaults.
#[derive(Debug, Clone, Default)]
pub struct JobChanges {
    pub code: String,
    pub schedule: Option<String>,
    pub timezone: Change<String>,
    pub lane: Option<String>,
    pub group: Change<String>,
    pub description: Change<String>,
    pub timeout_seconds: Change<i64>,
    pub max_retries: Option<i64>,
    pub backoff: Option<BackoffChanges>,
    pub concurrency: Option<ConcurrencyPolicy>,
    pub misfire: Option<MisfirePolicy>,
    pub starting_deadline_seconds: Change<i64>,
    pub priority: Option<i32>,
    pub paused: Option<bool>,
    pub business_critical: Option<bool>,
    pub executor: Option<Executor>,
}

const MAX_TIMEOUT_SECS: i64 = 7 * 24 * 3600;
const MAX_RETRIES: i64 = 100;

// ---------------------------------------------------------------- jobs

/// Creates a user job, or changes an existing one. Changes an operator makes to
/// a Magento job are remembered in `overrides`, so a later sync keeps them.
pub async fn upsert_job(ctx: &Ctx, changes: JobChanges) -> Result<Job> {
    validate_job_code(&changes.code).map_err(|m| ActionError::invalid("code", m))?;
    let existing = store::jobs::get(&ctx.store, &changes.code).await?;
    let before = existing.clone();
    let mut job = match existing {
        Some(job) => job,
        None => new_user_job(ctx, &changes)?,
    };
    apply_changes(ctx, &mut job, changes)?;
    if let Some(before) = &before {
        if before.source == JobSource::Magento {
            for field in changed_fields(before, &job) {
                if !job.overrides.iter().any(|o| o == field) {
                    job.overrides.push(field.to_string());
                }
            }
        }
    }
    store::jobs::save(&ctx.store, &job, ctx.now()).await?;
    Ok(store::jobs::require(&ctx.store, &job.code).await?)
}

fn new_user_job(ctx: &Ctx, changes: &JobChanges) -> Result<Job> {
    let executor = changes.executor.clone().ok_or_else(|| {
        ActionError::invalid("executor", "required for a new job: give one of command, magento or http")
    })?;
    let schedule = changes.schedule.clone().ok_or_else(|| ActionError::invalid("schedule", "required for a new job"))?;
    let lane = match &changes.lane {
        Some(lane) => lane_named(ctx, lane)?,
        None => lane_named(ctx, "default").map_err(|_| ActionError::invalid("lane", "required: no `default` lane is configured"))?,
    };
    Ok(Job::new(changes.code.clone(), lane, Some(schedule), executor))
}

fn apply_changes(ctx: &Ctx, job: &mut Job, c: JobChanges) -> Result<()> {
    if let Some(schedule) = c.schedule {
        check_schedule(&schedule)?;
        job.schedule = Some(schedule.trim().to_string());
    }
    if let Change::Set(tz) = &c.timezone {
        parse_timezone(tz).map_err(|m| ActionError::invalid("timezone", m))?;
    }
    job.timezone = c.timezone.apply(job.timezone.take());
    if let Some(lane) = c.lane {
        job.lane = lane_named(ctx, &lane)?;
    }
    job.group = non_empty(c.group.apply(job.group.take()));
    job.description = non_empty(c.description.apply(job.description.take()));
    if let Change::Set(secs) = c.timeout_seconds {
        positive_seconds("timeoutSeconds", secs)?;
    }
    job.timeout = c.timeout_seconds.apply(job.timeout.map(|d| d.as_secs() as i64)).map(|s| Duration::from_secs(s as u64));
    if let Change::Set(secs) = c.starting_deadline_seconds {
        positive_seconds("startingDeadlineSeconds", secs)?;
    }
    job.starting_deadline = c
        .starting_deadline_seconds
        .apply(job.starting_deadline.map(|d| d.as_secs() as i64))
        .map(|s| Duration::from_secs(s as u64));
    if let Some(n) = c.max_retries {
        if !(0..=MAX_RETRIES).contains(&n) {
            return Err(ActionError::invalid("maxRetries", format!("must be between 0 and {MAX_RETRIES} (got {n})")));
        }
        job.retry.max_retries = n as u32;
    }
    if let Some(b) = c.backoff {
        let backoff = &mut job.retry.backoff;
        if let Some(v) = b.initial_seconds {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ActionError::invalid("backoff.initialSeconds", format!("must be zero or more (got {v})")));
            }
            backoff.initial_secs = v;
        }
        if let Some(v) = b.factor {
            if !(1.0..=10.0).contains(&v) {
                return Err(ActionError::invalid("backoff.factor", format!("must be between 1 and 10 (got {v})")));
            }
            backoff.factor = v;
        }
        if let Some(v) = b.max_seconds {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ActionError::invalid("backoff.maxSeconds", format!("must be zero or more (got {v})")));
            }
            backoff.max_secs = v;
        }
        if backoff.max_secs < backoff.initial_secs {
            return Err(ActionError::invalid(
                "backoff.maxSeconds",
                format!("must not be less than initialSeconds ({})", backoff.initial_secs),
            ));
        }
    }
    if let Some(p) = c.concurrency {
        job.concurrency = p;
    }
    if let Some(p) = c.misfire {
        job.misfire = p;
    }
    if let Some(p) = c.priority {
        if !(-1000..=1000).contains(&p) {
            return Err(ActionError::invalid("priority", format!("must be between -1000 and 1000 (got {p})")));
        }
        job.priority = p;
    }
    if let Some(p) = c.paused {
        job.paused = p;
    }
    if let Some(b) = c.business_critical {
        job.business_critical = b;
    }
    if let Some(executor) = c.executor {
        check_executor(&executor)?;
        job.executor = executor;
    }
    Ok(())
}

/// The override names for what an operator changed on a Magento job.
fn changed_fields(before: &Job, after: &Job) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |changed: bool, name: &'static str| {
        if changed {
            out.push(name)
        }
    };
    check(before.schedule != after.schedule, "schedule");
    check(before.timezone != after.timezone, "timezone");
    check(before.lane != after.lane, "lane");
    check(before.group != after.group, "group");
    check(before.description != after.description, "description");
    check(before.timeout != after.timeout, "timeout");
    check(before.retry != after.retry, "retry");
    check(before.concurrency != after.concurrency, "concurrency");
    check(before.misfire != after.misfire, "misfire");
    check(before.starting_deadline != after.starting_deadline, "starting_deadline");
    check(before.priority != after.priority, "priority");
    check(before.paused != after.paused, "paused");
    check(before.business_critical != after.business_critical, "business_critical");
    check(before.executor != after.executor, "executor");
    out
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn positive_seconds(field: &str, secs: i64) -> Result<()> {
    if secs <= 0 {
        return Err(ActionError::invalid(field, format!("must be greater than zero (got {secs})")));
    }
    if secs > MAX_TIMEOUT_SECS {
        return Err(ActionError::invalid(field, format!("must be at most {MAX_TIMEOUT_SECS} (7 days), got {secs}")));
    }
    Ok(())
}

fn check_schedule(expr: &str) -> Result<Schedule> {
    if expr.trim().is_empty() {
        return Err(ActionError::invalid("schedule", "must not be empty"));
    }
    Schedule::parse(expr.trim()).map_err(|e| ActionError::invalid("schedule", e.to_string()))
}

pub fn parse_timezone(tz: &str) -> std::result::Result<Tz, String> {
    tz.parse::<Tz>().map_err(|_| format!("`{tz}` is not an IANA time zone like Europe/Amsterdam"))
}

fn lane_named(ctx: &Ctx, name: &str) -> Result<LaneName> {
    let lane = LaneName::parse(name).map_err(|e| ActionError::invalid("lane", e.to_string()))?;
    if ctx.config.lane(lane.as_str()).is_none() {
        let known: Vec<&str> = ctx.config.lanes.iter().map(|l| l.name.as_str()).collect();
        return Err(ActionError::invalid("lane", format!("no lane `{lane}` is configured (lanes: {})", known.join(", "))));
    }
    Ok(lane)
}

fn check_executor(e: &Executor) -> Result<()> {
    match e {
        Executor::Command { argv, env, working_dir } => {
            check_command(argv, env, working_dir.as_deref())
                .map_err(|(field, message)| ActionError::invalid(format!("executor.command.{field}"), message))?;
        }
        Executor::Magento { code } => {
            if let Some(code) = code {
                validate_job_code(code).map_err(|m| ActionError::invalid("executor.magento.code", m))?;
            }
        }
        Executor::Http { url, method, timeout_secs } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ActionError::invalid("executor.http.url", "must start with http:// or https://"));
            }
            if let Some(m) = method {
                let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
                if !known.contains(&m.to_ascii_uppercase().as_str()) {
                    return Err(ActionError::invalid("executor.http.method", format!("`{m}` is not one of {}", known.join(", "))));
                }
            }
            if timeout_secs == &Some(0) {
                return Err(ActionError::invalid("executor.http.timeoutSeconds", "must be greater than zero"));
            }
        }
    }
    Ok(())
}

async fn require_jobs(ctx: &Ctx, codes: &[String]) -> Result<Vec<Job>> {
    if codes.is_empty() {
        return Err(ActionError::invalid("codes", "give at least one job code"));
    }
    let mut jobs = Vec::with_capacity(codes.len());
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();
    for code in codes {
        if !seen.insert(code.as_str()) {
            continue;
        }
        match store::jobs::get(&ctx.store, code).await? {
            Some(job) => jobs.push(job),
            None => missing.push(format!("`{code}`")),
        }
    }
    if !missing.is_empty() {
        return Err(ActionError::NotFound(format!("job {}", missing.join(", "))));
    }
    Ok(jobs)
}

/// Pauses or resumes jobs; all must exist or nothing changes.
pub async fn set_paused(ctx: &Ctx, codes: &[String], paused: bool) -> Result<Vec<Job>> {
    let jobs = require_jobs(ctx, codes).await?;
    let now = ctx.now();
    let mut out = Vec::with_capacity(jobs.len());
    for mut job in jobs {
        if job.paused != paused {
            job.paused = paused;
            if job.source == JobSource::Magento && !job.overrides.iter().any(|o| o == "paused") {
                job.overrides.push("paused".into());
            }
            store::jobs::save(&ctx.store, &job, now).await?;
        }
        out.push(store::jobs::require(&ctx.store, &job.code).await?);
    }
    Ok(out)
}

/// Deletes jobs (all must exist) and closes their waiting runs SKIPPED; their
/// history stays. Returns how many jobs were deleted.
pub async fn delete_jobs(ctx: &Ctx, codes: &[String]) -> Result<i64> {
    let jobs = require_jobs(ctx, codes).await?;
    let now = ctx.now();
    let mut deleted = 0;
    for job in &jobs {
        deleted += store::jobs::delete(&ctx.store, std::slice::from_ref(&job.code)).await? as i64;
        cancel_waiting_runs(ctx, &job.code, "skipped: the job was deleted", now).await?;
    }
    Ok(deleted)
}

async fn cancel_waiting_runs(ctx: &Ctx, code: &str, reason: &str, now: EpochMs) -> Result<()> {
    for run in store::runs::cancel_waiting(&ctx.store, code, reason, now).await? {
        ctx.events.run_changed(run.event(RunStatus::Skipped, now));
    }
    Ok(())
}

// ---------------------------------------------------------------- runs

fn emit(ctx: &Ctx, run: &Run, status: RunStatus, at: EpochMs) {
    ctx.events.run_changed(RunEvent {
        run_id: run.id,
        job_code: run.job_code.clone(),
        lane: run.lane.to_string(),
        status,
        at,
    });
}

async fn create_run(ctx: &Ctx, new: NewRun, now: EpochMs) -> Result<Run> {
    let id = store::runs::insert(&ctx.store, &new, now)
        .await?
        .ok_or_else(|| ActionError::Store(StoreError::Corrupt("a manual run collided with an existing fire time".into())))?;
    let run = store::runs::require(&ctx.store, id).await?;
    emit(ctx, &run, run.status, now);
    Ok(run)
}

fn manual_run(job: &Job, status: RunStatus, at: EpochMs) -> NewRun {
    NewRun {
        job_code: job.code.clone(),
        lane: job.lane.to_string(),
        status,
        trigger: Trigger::Manual,
        attempt: 1,
        retry_of: None,
        priority: job.priority,
        fire_key: None,
        scheduled_at: at,
        missed_count: 0,
        error: None,
    }
}

/// Queues a run of each job now (paused jobs too: an operator asked for it).
pub async fn run_now(ctx: &Ctx, codes: &[String]) -> Result<Vec<Run>> {
    let jobs = require_jobs(ctx, codes).await?;
    let now = ctx.now();
    let mut runs = Vec::with_capacity(jobs.len());
    for job in &jobs {
        runs.push(create_run(ctx, manual_run(job, RunStatus::Queued, now), now).await?);
    }
    Ok(runs)
}

/// How far in the past a `scheduleJobAt` time may be (a form filled in slowly).
const SCHEDULE_AT_SLACK_MS: i64 = 60_000;

/// Creates a PENDING run due at `at`; the scheduler queues it when the time comes.
pub async fn schedule_at(ctx: &Ctx, code: &str, at: EpochMs) -> Result<Run> {
    let now = ctx.now();
    if at < now - SCHEDULE_AT_SLACK_MS {
        return Err(ActionError::invalid("at", "is in the past; use runJobNow to run a job at once"));
    }
    let job = store::jobs::require(&ctx.store, code).await?;
    create_run(ctx, manual_run(&job, RunStatus::Pending, at.max(now)), now).await
}

pub async fn require_run(ctx: &Ctx, id: RunId) -> Result<Run> {
    Ok(store::runs::require(&ctx.store, id).await?)
}

/// Ends a run: one that has not started is closed KILLED at once; a RUNNING one
/// is flagged and its worker ends the process group.
pub async fn kill_run(ctx: &Ctx, id: RunId) -> Result<Run> {
    let before = require_run(ctx, id).await?;
    if before.status.is_terminal() {
        return Err(ActionError::invalid("id", format!("run {id} has already finished ({})", before.status.as_str())));
    }
    let now = ctx.now();
    let after = store::runs::request_kill(&ctx.store, id, now).await?;
    if after.status != before.status {
        emit(ctx, &after, after.status, now);
    }
    Ok(after)
}

/// Queues a new attempt of a finished run, in its job's current lane.
pub async fn retry_run(ctx: &Ctx, id: RunId) -> Result<Run> {
    let old = require_run(ctx, id).await?;
    if !old.status.is_terminal() {
        return Err(ActionError::invalid("id", format!("run {id} is {}; only finished runs can be retried", old.status.as_str())));
    }
    let job = store::jobs::get(&ctx.store, &old.job_code)
        .await?
        .ok_or_else(|| ActionError::invalid("id", format!("job `{}` of run {id} no longer exists", old.job_code)))?;
    let now = ctx.now();
    let new = NewRun {
        job_code: job.code.clone(),
        lane: job.lane.to_string(),
        status: RunStatus::Queued,
        trigger: Trigger::Retry,
        attempt: old.attempt + 1,
        retry_of: Some(old.retry_of.unwrap_or(old.id)),
        priority: job.priority,
        fire_key: None,
        scheduled_at: now,
        missed_count: 0,
        error: None,
    };
    create_run(ctx, new, now).await
}

/// Deletes finished runs scheduled before `before` with one of `statuses`
/// (every finished status when `None`), in small batches. Returns how many.
pub async fn purge_runs(ctx: &Ctx, before: EpochMs, statuses: Option<Vec<RunStatus>>) -> Result<i64> {
    let statuses = match statuses {
        Some(list) => {
            let unfinished: Vec<&str> = list.iter().filter(|s| !s.is_terminal()).map(|s| s.as_str()).collect();
            if !unfinished.is_empty() {
                return Err(ActionError::invalid("statuses", format!("only finished runs can be purged, not {}", unfinished.join(", "))));
            }
            list
        }
        None => RunStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect(),
    };
    if before > ctx.now() {
        return Err(ActionError::invalid("olderThan", "must not be in the future"));
    }
    let batch = ctx.config.retention.purge_batch;
    let mut total = 0i64;
    loop {
        let n = store::runs::purge_batch(&ctx.store, before, &statuses, batch).await? as i64;
        total += n;
        if n < batch {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

// ---------------------------------------------------------------- alerts

/// `open_after` -> `openAfter`, `channels[1]` unchanged: rule errors name the
/// config key; the API speaks camelCase.
fn camel_field(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The channels a rule may name: the config file's and the API's.
async fn declared_channels(ctx: &Ctx) -> Result<Vec<String>> {
    let mut names: Vec<String> = ctx.config.alerts.channels.iter().map(|c| c.name.clone()).collect();
    for c in store::alert_channels::list_channels(&ctx.store).await? {
        if c.source == store::alert_channels::SOURCE_API && !names.contains(&c.name) {
            names.push(c.name);
        }
    }
    Ok(names)
}

/// Creates or replaces a rule made over the API. Rules declared in the
/// configuration file are refused: the file would overwrite the change at the
/// next start, so they are changed there.
pub async fn upsert_alert_rule(ctx: &Ctx, input: &crate::alerts::RuleInput) -> Result<store::alerts::StoredRule> {
    use store::alerts as astore;
    let rule = crate::alerts::Rule::from_input(input, &declared_channels(ctx).await?).map_err(|e| ActionError::invalid(camel_field(&e.field), e.message))?;
    if let Some(existing) = astore::get_rule(&ctx.store, &rule.name).await? {
        if existing.source == astore::SOURCE_CONFIG {
            return Err(ActionError::invalid("name", format!("rule `{}` is declared in the configuration file; change it there", rule.name)));
        }
    }
    astore::upsert_rule(&ctx.store, &rule, astore::SOURCE_API, ctx.now()).await?;
    astore::get_rule(&ctx.store, &rule.name).await?.ok_or_else(|| ActionError::NotFound(format!("alert rule `{}`", rule.name)))
}

/// Deletes a rule made over the API; its open alerts close without a
/// notification. False when there is no such rule.
pub async fn delete_alert_rule(ctx: &Ctx, name: &str) -> Result<bool> {
    use store::alerts as astore;
    match astore::get_rule(&ctx.store, name).await? {
        None => Ok(false),
        Some(r) if r.source == astore::SOURCE_CONFIG => {
            Err(ActionError::invalid("name", format!("rule `{name}` is declared in the configuration file; remove it there")))
        }
        Some(_) => Ok(astore::delete_rule(&ctx.store, name, ctx.now()).await?),
    }
}

/// Queues a test notification to a declared channel; the deliverer sends it
/// like any other (retries included). Returns the notification id.
pub async fn test_alert_channel(ctx: &Ctx, name: &str) -> Result<i64> {
    if !declared_channels(ctx).await?.iter().any(|c| c == name) {
        return Err(ActionError::NotFound(format!("alert channel `{name}`")));
    }
    Ok(store::alerts::enqueue_test(&ctx.store, name, ctx.now()).await?)
}

/// An operator takes an alert: no more reminders (it still resolves by itself).
pub async fn acknowledge_alert(ctx: &Ctx, id: i64, by: &str) -> Result<crate::alerts::Alert> {
    crate::alerts::acknowledge(&ctx.store, &ctx.alert_events, id, by, ctx.now()).await?.ok_or_else(|| ActionError::NotFound(format!("alert {id}")))
}

mod alert_channels;
pub use alert_channels::{create_alert_channel, delete_alert_channel, update_alert_channel, ChannelChanges, NewChannel};

// ---------------------------------------------------------------- retention

/// At most ten years of history.
pub const MAX_RETENTION_DAYS: f64 = 3650.0;

/// The `setRetention` argument of each period, as errors name it.
fn retention_field(kept: crate::scheduler::retention::Kept) -> &'static str {
    use crate::scheduler::retention::Kept;
    match kept {
        Kept::Succeeded => "succeededDays",
        Kept::Other => "otherDays",
        Kept::Audit => "auditDays",
        Kept::ResolvedAlerts => "resolvedAlertsDays",
        Kept::Notifications => "notificationsDays",
    }
}

/// Changes retention periods: each kept, back to the config value, or set
/// (days). All are checked before any is stored.
pub async fn set_retention(
    ctx: &Ctx,
    changes: Vec<(crate::scheduler::retention::Kept, Change<f64>)>,
) -> Result<crate::scheduler::retention::Effective> {
    use crate::scheduler::retention;
    let mut writes = Vec::new();
    for (kept, change) in changes {
        match change {
            Change::Keep => {}
            Change::Clear => writes.push((kept.settings_key(), None)),
            Change::Set(days) => {
                if !(days.is_finite() && days > 0.0 && days <= MAX_RETENTION_DAYS) {
                    return Err(ActionError::invalid(retention_field(kept), format!("must be more than 0 and at most {MAX_RETENTION_DAYS} days (got {days})")));
                }
                writes.push((kept.settings_key(), Some((days * 86_400_000.0).round() as i64)));
            }
        }
    }
    for (key, ms) in writes {
        match ms {
            Some(ms) => store::settings::set(&ctx.store, key, &ms.to_string()).await?,
            None => store::settings::remove(&ctx.store, key).await?,
        }
    }
    Ok(retention::effective(&ctx.store, &ctx.config.retention).await?)
}

// ---------------------------------------------------------------- cron preview

#[derive(Debug, Clone, PartialEq)]
pub struct CronPreview {
    pub expression: String,
    pub timezone: String,
    pub next: Vec<EpochMs>,
    pub warnings: Vec<String>,
}

pub const MAX_PREVIEW: i32 = 100;

/// The next `count` fire times of an expression, in `timezone` (the shop's by default).
pub fn cron_preview(ctx: &Ctx, expression: &str, timezone: Option<&str>, count: i32) -> Result<CronPreview> {
    if !(1..=MAX_PREVIEW).contains(&count) {
        return Err(ActionError::invalid("count", format!("must be between 1 and {MAX_PREVIEW} (got {count})")));
    }
    let schedule = Schedule::parse(expression.trim()).map_err(|e| ActionError::invalid("expression", e.to_string()))?;
    let tz = match timezone {
        Some(tz) => parse_timezone(tz).map_err(|m| ActionError::invalid("timezone", m))?,
        None => ctx.config.timezone,
    };
    let mut next = Vec::new();
    let mut after = crate::domain::to_datetime(ctx.now());
    while next.len() < count as usize {
        let Some(t) = schedule.next_after(after, tz) else { break };
        next.push(t.timestamp_millis());
        after = t;
    }
    Ok(CronPreview { expression: expression.trim().to_string(), timezone: tz.name().to_string(), next, warnings: schedule.warnings() })
}

// ---------------------------------------------------------------- Magento sync

pub use crate::magento::sync::MagentoJobDef;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncResult {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub removed: i64,
    pub warnings: Vec<String>,
}

/// The module's full push of Magento's merged cron config: the same merge as
/// `cronkeeper import magento-crontab` (see `magento::sync`), plus removal of
/// Magento jobs no longer declared. A bad definition changes nothing.
pub async fn sync_magento_jobs(ctx: &Ctx, defs: Vec<MagentoJobDef>) -> Result<SyncResult> {
    use crate::magento::sync::{apply, SyncError};
    let report = apply(&ctx.store, &ctx.config, &defs, true, ctx.now()).await.map_err(|e| match e {
        SyncError::Invalid { code, field, message } => {
            let i = defs.iter().position(|d| d.code == code).unwrap_or(0);
            ActionError::invalid(format!("[{i}].{field}"), message)
        }
        SyncError::Store(e) => e.into(),
        other => ActionError::invalid("[magento.lanes]", other.to_string()),
    })?;
    for code in report.created.iter().chain(&report.updated).chain(&report.removed) {
        tracing::info!(job = %code, "magento sync changed a job");
    }
    for run in &report.closed {
        ctx.events.run_changed(run.event(RunStatus::Skipped, ctx.now()));
    }
    let mut warnings = report.warnings;
    if !report.awaiting_schedule.is_empty() {
        warnings.push(format!("paused until their config_path schedule is known: {}", report.awaiting_schedule.join(", ")));
    }
    Ok(SyncResult {
        created: report.created.len() as i64,
        updated: report.updated.len() as i64,
        unchanged: report.unchanged.len() as i64,
        removed: report.removed.len() as i64,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;


    #[test]
    fn errors_gain_the_argument_name_in_front_of_the_field() {
        let e = ActionError::invalid("schedule", "minute: bad").within("input");
        assert_eq!(e.to_string(), "input.schedule: minute: bad");
    }
}
