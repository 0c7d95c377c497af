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
use crate::domain::{EpochMs, LaneName, Run, RunId, RunStatus, Trigger};

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
    let w = window(from, to, codes, now);
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

/// The runs of `[from, to)`: one day back on `runs_job_time` for runs that
/// started before the window, then those that ended inside it or still run.
fn window(from: EpochMs, to: EpochMs, codes: Option<&[String]>, now: EpochMs) -> Where {
    let mut w = Where::default();
    w.and("scheduled_at >= ?", [Value::from(from - 86_400_000)]);
    w.and("scheduled_at < ?", [Value::from(to)]);
    w.and("COALESCE(finished_at, ?) >= ?", [Value::from(now), Value::from(from)]);
    if let Some(codes) = codes {
        w.and_in("job_code", codes);
    }
    w
}

/// Consecutive runs of one job with one status, drawn as one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub job_code: String,
    pub status: RunStatus,
    /// The first run's start (`started_at`, else `scheduled_at`).
    pub start: EpochMs,
    /// The latest end among its runs: `finished_at`; `now` for a run still
    /// running; the start for one that never ran (queued, missed, skipped).
    pub end: EpochMs,
    /// Occurrences, as `Run.count` counts them (a folded MISSED entry counts
    /// each fire time it stands for).
    pub count: i64,
    /// Lowest and highest run id in the span.
    pub first_run: RunId,
    pub last_run: RunId,
}

/// One row of the [`spans`] query on a database server: one job's runs of one
/// status in one bucket (SQLite's come packed, see [`unpack_bucket`]).
fn decode_bucket(row: &super::Row) -> Result<Span> {
    let status = super::rows::text(row, "status")?;
    Ok(Span {
        job_code: super::rows::text(row, "job_code")?,
        status: RunStatus::parse(&status).ok_or_else(|| corrupt("run status", &status))?,
        start: row.try_get(2)?,
        end: row.try_get(3)?,
        count: row.try_get(4)?,
        first_run: row.try_get(5)?,
        last_run: row.try_get(6)?,
    })
}

/// The runs [`timeline`] would return, folded into spans of one status: in
/// time order per job, runs join the span before them while they have its
/// status and start at most `gap_ms` after it ended. Ordered by job, then time.
///
/// Two steps, so that neither the driver nor the GraphQL layer handles a row
/// per run (at ~17 µs a run, 10,000 runs alone would miss a 50 ms target):
/// 1. the database groups each job's runs by status within buckets of
///    `gap_ms` (a plain `GROUP BY` on the `runs_job_time` range: no window
///    functions, which cost SQLite several times the read itself: ~28 ms for
///    one `LAG` over 10,000 runs against ~5 ms for the read);
/// 2. [`fold`] joins neighbouring buckets of one status in one pass.
///
/// Inside one bucket a success and a failure both come out, each as its own
/// span; they may overlap by less than `gap_ms`, which the client cannot tell
/// apart anyway, and the failure is never absorbed.
pub async fn spans(store: &Store, from: EpochMs, to: EpochMs, codes: Option<&[String]>, now: EpochMs, gap_ms: i64) -> Result<Vec<Span>> {
    let gap_ms = gap_ms.max(1);
    let w = window(from, to, codes, now);
    let start = "COALESCE(started_at, scheduled_at)";
    let bucket = match store.backend() {
        super::Backend::MySql => format!("{start} DIV ?"),
        _ => format!("{start} / ?"),
    };
    let sql = format!(
        "SELECT job_code, status, MIN({start}) AS span_start, \
           MAX(COALESCE(finished_at, CASE WHEN status = 'RUNNING' THEN ? ELSE {start} END)) AS span_end, \
           {n} AS n, MIN(id) AS first_id, MAX(id) AS last_id \
         FROM runs{where_} GROUP BY job_code, {bucket}, status",
        where_ = w.sql(),
        n = store.sum_int("CASE WHEN status IN ('MISSED', 'SKIPPED') AND missed_count > 1 THEN missed_count ELSE 1 END"),
    );
    let mut binds = Vec::with_capacity(w.binds.len() + 3);
    binds.push(Value::from(now));
    binds.extend(w.binds.iter().cloned());
    binds.push(Value::from(gap_ms));
    let mut buckets: Vec<Span> = if let Some(pool) = store.sqlite_reader() {
        // Packed into one row: sqlx's SQLite driver hands every row over from its
        // worker thread, which for thousands of buckets cost more than the GROUP BY.
        let packed = format!(
            "SELECT group_concat(job_code || ' ' || status || ' ' || span_start || ' ' || span_end || ' ' || n || ' ' || first_id || ' ' || last_id, char(10)) FROM ({sql})"
        );
        let row = super::query::bind_sqlite(sqlx::query(&packed), &binds).fetch_one(pool).await?;
        let text: Option<String> = row.try_get(0)?;
        text.as_deref().unwrap_or("").lines().map(unpack_bucket).collect::<Result<_>>()?
    } else {
        let sql = store.sql(&sql);
        let found = bind(sqlx::query(&sql), &binds).fetch_all(store.reader()).await?;
        found.iter().map(decode_bucket).collect::<Result<_>>()?
    };
    // Sorted here rather than by an ORDER BY, which would cost SQLite a second
    // temporary B-tree. A bucket's pieces start inside it, so by start is by bucket.
    buckets.sort_unstable_by(|a, b| (&a.job_code, a.start, a.status.as_str()).cmp(&(&b.job_code, b.start, b.status.as_str())));
    Ok(fold(buckets, gap_ms))
}

/// One line of the packed SQLite answer: `code status start end count first last`
/// (job codes and statuses hold no spaces).
fn unpack_bucket(line: &str) -> Result<Span> {
    let bad = || corrupt("timeline bucket", line);
    let mut f = line.split(' ');
    let (Some(code), Some(status)) = (f.next(), f.next()) else { return Err(bad()) };
    let mut num = || f.next().and_then(|v| v.parse::<i64>().ok()).ok_or_else(bad);
    let (start, end, count, first_run, last_run) = (num()?, num()?, num()?, num()?, num()?);
    Ok(Span {
        job_code: code.to_string(),
        status: RunStatus::parse(status).ok_or_else(|| corrupt("run status", status))?,
        start,
        end,
        count,
        first_run,
        last_run,
    })
}

/// Joins consecutive pieces of one job with one status whose gap is at most
/// `gap_ms`; anything else starts a new span. `pieces` come ordered by job,
/// then time, and so do the spans.
pub fn fold(pieces: impl IntoIterator<Item = Span>, gap_ms: i64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for piece in pieces {
        match out.last_mut() {
            Some(open) if open.job_code == piece.job_code && open.status == piece.status && piece.start - open.end <= gap_ms => {
                open.end = open.end.max(piece.end);
                open.count += piece.count;
                open.first_run = open.first_run.min(piece.first_run);
                open.last_run = open.last_run.max(piece.last_run);
            }
            _ => out.push(piece),
        }
    }
    out
}

fn decode_any_lean(row: &super::Row) -> Result<Run> {
    decode_lean!(row)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}
