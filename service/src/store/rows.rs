//! Row to domain decoding. The Any driver hands back plain integers and text;
//! enums and JSON columns are parsed here, and a value we cannot parse is
//! reported as corrupt data rather than guessed at.

use std::time::Duration;

use sqlx::Row as _;

use super::{Row, StoreError};
use crate::domain::{ConcurrencyPolicy, Job, JobSource, LaneName, MisfirePolicy, RetryPolicy, Run, RunStatus, Trigger};

pub const JOB_COLUMNS: &str = "code, source, grp, lane, schedule, config_path, timezone, executor, timeout_ms, max_retries, \
    backoff, concurrency, misfire, starting_deadline_ms, paused, business_critical, priority, description, instance, method, \
    overrides, created_at, updated_at";

pub const RUN_COLUMNS: &str = "id, job_code, lane, status, trigger_kind, attempt, retry_of, priority, scheduled_at, queued_at, \
    started_at, finished_at, heartbeat_at, exit_code, output, error, worker, pid, pid_start, missed_count, kill_requested";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}

fn int(row: &Row, col: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(col)?)
}

fn opt_int(row: &Row, col: &str) -> Result<Option<i64>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn text(row: &Row, col: &str) -> Result<String, StoreError> {
    opt_text(row, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is NULL")))
}

/// Text from a text column. MySQL reports TEXT/LONGTEXT columns as BLOBs with a
/// character set, and the Any driver then hands them back as bytes that do not
/// decode as `String`: those are taken as UTF-8 here.
pub(crate) fn opt_text(row: &Row, col: &str) -> Result<Option<String>, StoreError> {
    match row.try_get::<Option<String>, _>(col) {
        Ok(v) => Ok(v),
        Err(e @ sqlx::Error::ColumnDecode { .. }) => match row.try_get::<Option<Vec<u8>>, _>(col) {
            Ok(bytes) => bytes.map(|b| String::from_utf8(b).map_err(|_| StoreError::Corrupt(format!("{col} is not UTF-8")))).transpose(),
            Err(_) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

fn lane(row: &Row) -> Result<LaneName, StoreError> {
    let s = text(row, "lane")?;
    LaneName::parse(&s).map_err(|_| corrupt("lane", &s))
}

pub fn job(row: &Row) -> Result<Job, StoreError> {
    let source = text(row, "source")?;
    let executor = text(row, "executor")?;
    let backoff = text(row, "backoff")?;
    let concurrency = text(row, "concurrency")?;
    let misfire = text(row, "misfire")?;
    let overrides = text(row, "overrides")?;
    Ok(Job {
        code: text(row, "code")?,
        source: JobSource::parse(&source).ok_or_else(|| corrupt("job source", &source))?,
        group: opt_text(row, "grp")?,
        lane: lane(row)?,
        schedule: opt_text(row, "schedule")?,
        config_path: opt_text(row, "config_path")?,
        timezone: opt_text(row, "timezone")?,
        executor: serde_json::from_str(&executor).map_err(|_| corrupt("executor", &executor))?,
        timeout: opt_int(row, "timeout_ms")?.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        retry: RetryPolicy {
            max_retries: int(row, "max_retries")?.max(0) as u32,
            backoff: serde_json::from_str(&backoff).map_err(|_| corrupt("backoff", &backoff))?,
        },
        concurrency: ConcurrencyPolicy::parse(&concurrency).ok_or_else(|| corrupt("concurrency", &concurrency))?,
        misfire: MisfirePolicy::parse(&misfire).ok_or_else(|| corrupt("misfire", &misfire))?,
        starting_deadline: opt_int(row, "starting_deadline_ms")?.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        paused: int(row, "paused")? != 0,
        business_critical: int(row, "business_critical")? != 0,
        priority: int(row, "priority")? as i32,
        description: opt_text(row, "description")?,
        instance: opt_text(row, "instance")?,
        method: opt_text(row, "method")?,
        overrides: serde_json::from_str(&overrides).map_err(|_| corrupt("overrides", &overrides))?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

pub fn run(row: &Row) -> Result<Run, StoreError> {
    let status = text(row, "status")?;
    let trigger = text(row, "trigger_kind")?;
    Ok(Run {
        id: int(row, "id")?,
        job_code: text(row, "job_code")?,
        lane: lane(row)?,
        status: RunStatus::parse(&status).ok_or_else(|| corrupt("run status", &status))?,
        trigger: Trigger::parse(&trigger).ok_or_else(|| corrupt("run trigger", &trigger))?,
        attempt: int(row, "attempt")?.max(1) as u32,
        retry_of: opt_int(row, "retry_of")?,
        priority: int(row, "priority")? as i32,
        scheduled_at: int(row, "scheduled_at")?,
        queued_at: opt_int(row, "queued_at")?,
        started_at: opt_int(row, "started_at")?,
        finished_at: opt_int(row, "finished_at")?,
        heartbeat_at: opt_int(row, "heartbeat_at")?,
        exit_code: opt_int(row, "exit_code")?.map(|c| c as i32),
        output: opt_text(row, "output")?,
        error: opt_text(row, "error")?,
        worker: opt_text(row, "worker")?,
        pid: opt_int(row, "pid")?.map(|p| p as i32),
        pid_start: opt_int(row, "pid_start")?,
        missed_count: int(row, "missed_count")?.max(0) as u32,
        kill_requested: int(row, "kill_requested")? != 0,
    })
}
