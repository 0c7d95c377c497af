//! The timeline's read path: every run of some jobs in a window, often ten
//! thousand rows per request (a day of a few every-minute jobs). At that size
//! the cost is in moving rows through the driver, not in SQLite (the query
//! itself is ~15 ms on a million-run table), so this path differs from the
//! other run queries in two ways (docs/performance.md, "API (issue 3)"):
//!
//! - it reads only the columns a timeline draws: never `output` (up to 64 KiB
//!   a run), and `error`/`worker` only when the request asks for them;
//! - on SQLite it reads through the native SQLite driver instead of `Any`,
//!   whose row conversion allocates again for every column of every row.

use sqlx::Row as _;

use super::{bind, Result, Store, StoreError, Value, Where};
use crate::domain::{EpochMs, LaneName, Run, RunStatus, Trigger};

/// Which optional columns a caller needs besides the ones every block draws.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimelineDetail {
    /// `error` and `worker` (hover details that show them).
    pub error_and_worker: bool,
}

/// Decodes the [`LEAN`] columns, by position, from either driver's row type.
/// A macro, not a generic function: the two row types share method names but
/// a generic bound over sqlx's decode traits would be longer than this.
macro_rules! decode_lean {
    ($row:expr) => {{
        let row = $row;
        let status: String = row.try_get(3)?;
        let trigger: String = row.try_get(4)?;
        let lane: String = row.try_get(2)?;
        Ok::<Run, StoreError>(Run {
            id: row.try_get(0)?,
            job_code: row.try_get(1)?,
            lane: LaneName::parse(&lane).map_err(|_| corrupt("lane", &lane))?,
            status: RunStatus::parse(&status).ok_or_else(|| corrupt("run status", &status))?,
            trigger: Trigger::parse(&trigger).ok_or_else(|| corrupt("run trigger", &trigger))?,
            attempt: row.try_get::<i64, _>(5)?.max(1) as u32,
            retry_of: row.try_get(6)?,
            priority: row.try_get::<i64, _>(7)? as i32,
            scheduled_at: row.try_get(8)?,
            queued_at: row.try_get(9)?,
            started_at: row.try_get(10)?,
            finished_at: row.try_get(11)?,
            heartbeat_at: None,
            exit_code: row.try_get::<Option<i64>, _>(12)?.map(|c| c as i32),
            output: None,
            error: None,
            worker: None,
            pid: None,
            pid_start: None,
            missed_count: row.try_get::<i64, _>(13)?.max(0) as u32,
            kill_requested: row.try_get::<i64, _>(14)? != 0,
        })
    }};
}

/// The native SQLite row, with the two optional columns after [`LEAN`].
macro_rules! decode {
    ($row:expr) => {{
        let row = $row;
        let mut run = decode_lean!(row)?;
        run.error = row.try_get(15)?;
        run.worker = row.try_get(16)?;
        Ok::<Run, StoreError>(run)
    }};
}

const LEAN: &str = "id, job_code, lane, status, trigger_kind, attempt, retry_of, priority, scheduled_at, \
    queued_at, started_at, finished_at, exit_code, missed_count, kill_requested";

/// Runs that overlap `[from, to)`, ordered by job then time. Runs longer than
/// a day that started before the window are cut off: the timeline is for
/// operations, and reading one day back keeps the query on the
/// `runs_job_time` index. `output` is always `None`.
pub async fn timeline(
    store: &Store,
    from: EpochMs,
    to: EpochMs,
    codes: Option<&[String]>,
    now: EpochMs,
    detail: TimelineDetail,
) -> Result<Vec<Run>> {
    let mut w = Where::default();
    w.and("scheduled_at >= ?", [Value::from(from - 86_400_000)]);
    w.and("scheduled_at < ?", [Value::from(to)]);
    w.and("COALESCE(finished_at, ?) >= ?", [Value::from(now), Value::from(from)]);
    if let Some(codes) = codes {
        w.and_in("job_code", codes);
    }
    let extra = if detail.error_and_worker { ", error, worker" } else { ", NULL AS error, NULL AS worker" };
    let sql = format!("SELECT {LEAN}{extra} FROM runs{} ORDER BY job_code, scheduled_at LIMIT 50000", w.sql());
    if let Some(pool) = store.sqlite_reader() {
        let found = super::query::bind_sqlite(sqlx::query(&sql), &w.binds).fetch_all(pool).await?;
        return found.iter().map(|r| decode!(r)).collect();
    }
    let sql = store.sql(&sql);
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    // MySQL hands TEXT back as bytes through `Any`: the shared helper copes.
    found
        .iter()
        .map(|r| {
            let mut run = decode_any_lean(r)?;
            run.error = super::rows::opt_text(r, "error")?;
            run.worker = super::rows::opt_text(r, "worker")?;
            Ok(run)
        })
        .collect()
}

fn decode_any_lean(row: &super::Row) -> Result<Run> {
    decode_lean!(row)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}
