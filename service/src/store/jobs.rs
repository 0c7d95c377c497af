//! Jobs: saving, reading, filtering, pausing, and the scheduler's fire cursor.

use std::collections::HashMap;

use sqlx::Row as _;
use tracing::instrument;

use super::rows::{self, JOB_COLUMNS};
use super::{bind, Direction, Page, Result, Store, StoreError, Value, Where};
use crate::domain::{EpochMs, Job, JobSource};

#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub codes: Option<Vec<String>>,
    pub lane: Option<String>,
    pub group: Option<String>,
    /// Substring of code, description, group or instance.
    pub search: Option<String>,
    pub paused: Option<bool>,
    pub source: Option<JobSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobSort {
    #[default]
    Code,
    Lane,
    Group,
    Schedule,
    Priority,
    NextRunAt,
    UpdatedAt,
}

impl JobSort {
    fn column(self) -> &'static str {
        match self {
            JobSort::Code => "code",
            JobSort::Lane => "lane",
            JobSort::Group => "grp",
            JobSort::Schedule => "schedule",
            JobSort::Priority => "priority",
            JobSort::NextRunAt => "next_fire_at",
            JobSort::UpdatedAt => "updated_at",
        }
    }
}

fn filter_sql(f: &JobFilter) -> Where {
    let mut w = Where::default();
    if let Some(codes) = &f.codes {
        w.and_in("code", codes);
    }
    if let Some(lane) = &f.lane {
        w.and("lane = ?", [Value::from(lane.as_str())]);
    }
    if let Some(group) = &f.group {
        w.and("grp = ?", [Value::from(group.as_str())]);
    }
    if let Some(paused) = f.paused {
        w.and("paused = ?", [Value::from(paused as i64)]);
    }
    if let Some(source) = f.source {
        w.and("source = ?", [Value::from(source.as_str())]);
    }
    if let Some(search) = f.search.as_deref().filter(|s| !s.trim().is_empty()) {
        // `!` escapes LIKE's wildcards: Magento codes are full of `_`, which must
        // match itself. (`!` rather than `\`, which MySQL string literals treat differently.)
        let escaped = search.trim().to_lowercase().replace('!', "!!").replace('%', "!%").replace('_', "!_");
        let like = format!("%{escaped}%");
        w.and(
            "(LOWER(code) LIKE ? ESCAPE '!' OR LOWER(COALESCE(description, '')) LIKE ? ESCAPE '!' \
             OR LOWER(COALESCE(grp, '')) LIKE ? ESCAPE '!' OR LOWER(COALESCE(instance, '')) LIKE ? ESCAPE '!')",
            (0..4).map(|_| Value::from(like.clone())),
        );
    }
    w
}

#[instrument(skip(store))]
pub async fn get(store: &Store, code: &str) -> Result<Option<Job>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE code = ?");
    let row = sqlx::query(&store.sql(&sql)).bind(code).fetch_optional(store.reader()).await?;
    row.as_ref().map(rows::job).transpose()
}

pub async fn require(store: &Store, code: &str) -> Result<Job> {
    get(store, code).await?.ok_or_else(|| StoreError::NotFound(format!("job `{code}`")))
}

#[instrument(skip(store))]
pub async fn list(store: &Store, filter: &JobFilter, sort: JobSort, dir: Direction, page: Page) -> Result<Vec<Job>> {
    let w = filter_sql(filter);
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs{} ORDER BY {} {}, code ASC LIMIT {} OFFSET {}",
        w.sql(),
        sort.column(),
        dir.sql(),
        page.limit.max(0),
        page.offset.max(0)
    );
    let sql = store.sql(&sql);
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    found.iter().map(rows::job).collect()
}

pub async fn count(store: &Store, filter: &JobFilter) -> Result<i64> {
    let w = filter_sql(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM jobs{}", w.sql());
    let sql = store.sql(&sql);
    Ok(bind(sqlx::query(&sql), &w.binds).fetch_one(store.reader()).await?.try_get::<i64, _>("n")?)
}

/// Every job, for the scheduler's view of what is due.
pub async fn all(store: &Store) -> Result<Vec<Job>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY code");
    let found = sqlx::query(&sql).fetch_all(store.reader()).await?;
    found.iter().map(rows::job).collect()
}

/// Inserts or fully replaces a job (callers merge partial updates first).
/// A changed schedule, time zone or pause state resets the fire cursor so the
/// scheduler computes the next fire time afresh.
#[instrument(skip(store, job), fields(code = %job.code))]
pub async fn save(store: &Store, job: &Job, now: EpochMs) -> Result<()> {
    save_all(store, std::slice::from_ref(job), &[], now).await
}

/// Saves `jobs` and deletes `remove` in one transaction: an import either
/// lands whole or not at all.
pub async fn save_all(store: &Store, jobs: &[Job], remove: &[String], now: EpochMs) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    for job in jobs {
        save_on(store, &mut tx, job, now).await?;
    }
    if !remove.is_empty() {
        let mut w = Where::default();
        w.and_in("code", remove);
        let sql = format!("DELETE FROM jobs{}", w.sql());
        let sql = store.sql(&sql);
        bind(sqlx::query(&sql), &w.binds).execute(&mut *tx).await?;
    }
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the jobs as changed; see [`version`].
async fn bump_version(conn: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::query("UPDATE change_counters SET version = version + 1 WHERE name = 'jobs'").execute(conn).await?;
    Ok(())
}

/// A number that changes whenever any job is saved, deleted, paused or
/// resumed (not when the scheduler moves a fire cursor).
pub async fn version(store: &Store) -> Result<i64> {
    Ok(sqlx::query("SELECT version FROM change_counters WHERE name = 'jobs'").fetch_one(store.reader()).await?.try_get("version")?)
}

async fn save_on(store: &Store, tx: &mut sqlx::AnyConnection, job: &Job, now: EpochMs) -> Result<()> {
    let existing = sqlx::query(&store.sql("SELECT schedule, timezone, paused FROM jobs WHERE code = ?"))
        .bind(&job.code)
        .fetch_optional(&mut *tx)
        .await?;
    let executor = serde_json::to_string(&job.executor).expect("executor serialises");
    let backoff = serde_json::to_string(&job.retry.backoff).expect("backoff serialises");
    let overrides = serde_json::to_string(&job.overrides).expect("overrides serialise");
    let values: Vec<Value> = vec![
        job.source.as_str().into(),
        job.group.clone().into(),
        job.lane.as_str().into(),
        job.schedule.clone().into(),
        job.config_path.clone().into(),
        job.timezone.clone().into(),
        executor.into(),
        job.timeout.map(|d| d.as_millis() as i64).into(),
        (job.retry.max_retries as i64).into(),
        backoff.into(),
        job.concurrency.as_str().into(),
        job.misfire.as_str().into(),
        job.starting_deadline.map(|d| d.as_millis() as i64).into(),
        (job.paused as i64).into(),
        (job.business_critical as i64).into(),
        (job.priority as i64).into(),
        job.description.clone().into(),
        job.instance.clone().into(),
        job.method.clone().into(),
        overrides.into(),
    ];
    match existing {
        None => {
            let sql = "INSERT INTO jobs (source, grp, lane, schedule, config_path, timezone, executor, timeout_ms, max_retries, backoff, \
                concurrency, misfire, starting_deadline_ms, paused, business_critical, priority, description, instance, method, overrides, \
                code, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            let sql = store.sql(sql);
            bind(sqlx::query(&sql), &values).bind(&job.code).bind(now).bind(now).execute(&mut *tx).await?;
        }
        Some(row) => {
            let timing_changed = row.try_get::<Option<String>, _>("schedule")? != job.schedule
                || row.try_get::<Option<String>, _>("timezone")? != job.timezone
                || (row.try_get::<i64, _>("paused")? != 0) != job.paused;
            let reset = if timing_changed { ", last_fire_at = NULL, next_fire_at = NULL" } else { "" };
            let sql = format!(
                "UPDATE jobs SET source = ?, grp = ?, lane = ?, schedule = ?, config_path = ?, timezone = ?, executor = ?, timeout_ms = ?, \
                 max_retries = ?, backoff = ?, concurrency = ?, misfire = ?, starting_deadline_ms = ?, paused = ?, business_critical = ?, \
                 priority = ?, description = ?, instance = ?, method = ?, overrides = ?, updated_at = ?{reset} WHERE code = ?"
            );
            let sql = store.sql(&sql);
            bind(sqlx::query(&sql), &values).bind(now).bind(&job.code).execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// Deletes jobs; their runs stay in history. Returns how many existed.
pub async fn delete(store: &Store, codes: &[String]) -> Result<u64> {
    let mut w = Where::default();
    w.and_in("code", codes);
    let sql = format!("DELETE FROM jobs{}", w.sql());
    let sql = store.sql(&sql);
    let mut tx = store.writer().begin().await?;
    let n = bind(sqlx::query(&sql), &w.binds).execute(&mut *tx).await?.rows_affected();
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// Pauses or resumes; resuming resets the fire cursor so the time spent paused
/// is not caught up as misfires.
pub async fn set_paused(store: &Store, codes: &[String], paused: bool, now: EpochMs) -> Result<u64> {
    let mut w = Where::default();
    w.and_in("code", codes);
    let sql = format!("UPDATE jobs SET paused = ?, updated_at = ?, last_fire_at = NULL, next_fire_at = NULL{}", w.sql());
    let sql = store.sql(&sql);
    let mut tx = store.writer().begin().await?;
    let q = sqlx::query(&sql).bind(paused as i64).bind(now);
    let n = bind(q, &w.binds).execute(&mut *tx).await?.rows_affected();
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// The scheduler's bookkeeping for one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireCursor {
    /// The last fire time materialised (or recorded missed).
    pub last_fire_at: Option<EpochMs>,
    /// The next fire time after it, cached so a tick does not recompute it.
    pub next_fire_at: Option<EpochMs>,
}

pub async fn cursors(store: &Store) -> Result<Vec<(String, FireCursor)>> {
    let found = sqlx::query("SELECT code, last_fire_at, next_fire_at FROM jobs").fetch_all(store.reader()).await?;
    found
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("code")?,
                FireCursor { last_fire_at: r.try_get("last_fire_at")?, next_fire_at: r.try_get("next_fire_at")? },
            ))
        })
        .collect()
}

/// The scheduler's next fire time of each job that has one (a page of the grid).
#[instrument(skip(store, codes), fields(jobs = codes.len()))]
pub async fn next_fires(store: &Store, codes: &[String]) -> Result<HashMap<String, EpochMs>> {
    let mut w = Where::default();
    w.and_in("code", codes);
    w.and("next_fire_at IS NOT NULL", []);
    let sql = store.sql(&format!("SELECT code, next_fire_at FROM jobs{}", w.sql())).into_owned();
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    found.iter().map(|r| Ok((rows::text(r, "code")?, r.try_get::<i64, _>("next_fire_at")?))).collect()
}

pub async fn next_fire(store: &Store, code: &str) -> Result<Option<EpochMs>> {
    let row = sqlx::query(&store.sql("SELECT next_fire_at FROM jobs WHERE code = ?")).bind(code).fetch_optional(store.reader()).await?;
    Ok(row.map(|r| r.try_get::<Option<i64>, _>("next_fire_at")).transpose()?.flatten())
}
