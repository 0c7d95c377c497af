//! Runs: materialisation, the embedded queue (claiming from a lane), fenced
//! state changes, kill requests, history queries and retention.
//!
//! Every change to a RUNNING run is fenced on `(id, claim)`: `claim` is bumped
//! when a worker takes the run, so a late worker or a recovery pass that holds
//! an old claim changes nothing.

use std::collections::HashMap;

use sqlx::Row as _;
use tracing::instrument;

use super::rows::{self, RUN_COLUMNS};
use super::{bind, Backend, Direction, Page, Result, Store, StoreError, Value, Where};
use crate::domain::{EpochMs, Run, RunId, RunStatus, Trigger};

/// A run about to be created.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub job_code: String,
    pub lane: String,
    pub status: RunStatus,
    pub trigger: Trigger,
    pub attempt: u32,
    pub retry_of: Option<RunId>,
    pub priority: i32,
    /// The schedule fire time it stands for; makes materialisation idempotent.
    pub fire_key: Option<EpochMs>,
    pub scheduled_at: EpochMs,
    pub missed_count: u32,
    pub error: Option<String>,
}

impl NewRun {
    /// A first attempt asked for by hand (run now, or at a given time when
    /// `status` is PENDING): no fire time, so it never collides with the schedule.
    pub fn manual(job_code: &str, lane: &str, status: RunStatus, at: EpochMs) -> Self {
        Self {
            job_code: job_code.into(),
            lane: lane.into(),
            status,
            trigger: Trigger::Manual,
            attempt: 1,
            retry_of: None,
            priority: 0,
            fire_key: None,
            scheduled_at: at,
            missed_count: 0,
            error: None,
        }
    }
}

/// A run a worker has taken, with the fencing token for its later updates.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub run: Run,
    pub claim: i64,
}

#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub job_code: Option<String>,
    pub job_codes: Option<Vec<String>>,
    pub statuses: Option<Vec<RunStatus>>,
    pub lane: Option<String>,
    /// Scheduled at or after.
    pub from: Option<EpochMs>,
    /// Scheduled before.
    pub to: Option<EpochMs>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunSort {
    Id,
    #[default]
    ScheduledAt,
    StartedAt,
    FinishedAt,
    Status,
    JobCode,
    Lane,
}

impl RunSort {
    fn column(self) -> &'static str {
        match self {
            RunSort::Id => "id",
            RunSort::ScheduledAt => "scheduled_at",
            RunSort::StartedAt => "started_at",
            RunSort::FinishedAt => "finished_at",
            RunSort::Status => "status",
            RunSort::JobCode => "job_code",
            RunSort::Lane => "lane",
        }
    }
}

fn filter_sql(f: &RunFilter) -> Where {
    let mut w = Where::default();
    if let Some(code) = &f.job_code {
        w.and("job_code = ?", [Value::from(code.as_str())]);
    }
    if let Some(codes) = &f.job_codes {
        w.and_in("job_code", codes);
    }
    if let Some(statuses) = &f.statuses {
        let names: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        w.and_in("status", &names);
    }
    if let Some(lane) = &f.lane {
        w.and("lane = ?", [Value::from(lane.as_str())]);
    }
    if let Some(from) = f.from {
        w.and("scheduled_at >= ?", [Value::from(from)]);
    }
    if let Some(to) = f.to {
        w.and("scheduled_at < ?", [Value::from(to)]);
    }
    w
}

const INSERT_COLUMNS: &str = "INTO runs (job_code, lane, status, trigger_kind, attempt, retry_of, priority, fire_key, scheduled_at, \
    queued_at, finished_at, missed_count, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

fn insert_values(r: &NewRun, now: EpochMs) -> Vec<Value> {
    let queued_at = (r.status == RunStatus::Queued).then_some(now);
    let finished_at = r.status.is_terminal().then_some(now);
    vec![
        r.job_code.as_str().into(),
        r.lane.as_str().into(),
        r.status.as_str().into(),
        r.trigger.as_str().into(),
        (r.attempt as i64).into(),
        r.retry_of.into(),
        (r.priority as i64).into(),
        r.fire_key.into(),
        r.scheduled_at.into(),
        queued_at.into(),
        finished_at.into(),
        (r.missed_count as i64).into(),
        r.error.clone().into(),
    ]
}

/// Creates one run; `None` when its (job, fire time) already exists.
#[instrument(skip(store, new), fields(job = %new.job_code))]
pub async fn insert(store: &Store, new: &NewRun, now: EpochMs) -> Result<Option<RunId>> {
    let mut conn = store.writer().acquire().await?;
    insert_on(store, &mut conn, new, now).await
}

/// Inserts on a given connection; `None` when the (job, fire time) exists.
/// MySQL has no `RETURNING`, so it reports the id through `last_insert_id`.
async fn insert_on(store: &Store, conn: &mut sqlx::AnyConnection, new: &NewRun, now: EpochMs) -> Result<Option<RunId>> {
    let sql = store.insert_ignore(INSERT_COLUMNS);
    let values = insert_values(new, now);
    if store.backend() == super::Backend::MySql {
        let done = bind(sqlx::query(&sql), &values).execute(&mut *conn).await?;
        return Ok(if done.rows_affected() == 1 { done.last_insert_id() } else { None });
    }
    let sql = format!("{sql} RETURNING id");
    let sql = store.sql(&sql);
    let row = bind(sqlx::query(&sql), &values).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.try_get::<i64, _>("id")).transpose()?)
}

/// Creates the runs for one job's fire times and moves its fire cursor, in one
/// transaction: a crash between the two can neither lose nor double a fire time.
/// Returns the ids of the runs created (existing fire times are left alone).
#[instrument(skip(store, news), fields(job = %code, n = news.len()))]
pub async fn materialise(
    store: &Store,
    code: &str,
    news: &[NewRun],
    last_fire_at: Option<EpochMs>,
    next_fire_at: Option<EpochMs>,
    now: EpochMs,
) -> Result<Vec<RunId>> {
    let mut tx = store.writer().begin().await?;
    let mut ids = Vec::new();
    for new in news {
        let Some(id) = insert_on(store, &mut tx, new, now).await? else { continue };
        // A MISSED record right after another MISSED one of the job folds into
        // it. The row just inserted claimed its fire key first: a second
        // scheduler materialising the same fire times finds it taken and adds
        // nothing, and the key moves to the entry it folds into.
        if new.status == RunStatus::Missed && is_scheduled(new.trigger) {
            if let Some(target) = collapse_target(store, &mut tx, code, RunStatus::Missed, id).await? {
                let total = target.count + new.missed_count.max(1) as i64;
                sqlx::query(&store.sql("DELETE FROM runs WHERE id = ?")).bind(id).execute(&mut *tx).await?;
                let error = format!("{total} fire time(s) passed without a run (scheduler down or late)");
                sqlx::query(&store.sql("UPDATE runs SET missed_count = ?, finished_at = ?, error = ?, fire_key = ? WHERE id = ?"))
                    .bind(total)
                    .bind(now)
                    .bind(error)
                    .bind(new.fire_key)
                    .bind(target.id)
                    .execute(&mut *tx)
                    .await?;
                ids.push(target.id);
                continue;
            }
        }
        ids.push(id);
    }
    sqlx::query(&store.sql("UPDATE jobs SET last_fire_at = ?, next_fire_at = ? WHERE code = ?"))
        .bind(last_fire_at)
        .bind(next_fire_at)
        .bind(code)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ids)
}

#[instrument(skip(store))]
pub async fn get(store: &Store, id: RunId) -> Result<Option<Run>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?");
    let row = sqlx::query(&store.sql(&sql)).bind(id).fetch_optional(store.reader()).await?;
    row.as_ref().map(rows::run).transpose()
}

pub async fn require(store: &Store, id: RunId) -> Result<Run> {
    get(store, id).await?.ok_or_else(|| StoreError::NotFound(format!("run {id}")))
}

#[instrument(skip(store))]
pub async fn list(store: &Store, filter: &RunFilter, sort: RunSort, dir: Direction, page: Page) -> Result<Vec<Run>> {
    let w = filter_sql(filter);
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs{} ORDER BY {} {}, id {} LIMIT {} OFFSET {}",
        w.sql(),
        sort.column(),
        dir.sql(),
        dir.sql(),
        page.limit.max(0),
        page.offset.max(0)
    );
    let sql = store.sql(&sql);
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    found.iter().map(rows::run).collect()
}

pub async fn count(store: &Store, filter: &RunFilter) -> Result<i64> {
    let w = filter_sql(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM runs{}", w.sql());
    let sql = store.sql(&sql);
    Ok(bind(sqlx::query(&sql), &w.binds).fetch_one(store.reader()).await?.try_get::<i64, _>("n")?)
}

/// Moves PENDING runs whose time has come into their lane's queue.
pub async fn promote_due(store: &Store, now: EpochMs) -> Result<u64> {
    let sql = store.sql("UPDATE runs SET status = 'QUEUED', queued_at = ? WHERE status = 'PENDING' AND scheduled_at <= ?");
    Ok(sqlx::query(&sql).bind(now).bind(now).execute(store.writer()).await?.rows_affected())
}

/// What a claim found.
#[derive(Debug)]
pub enum ClaimOutcome {
    /// Nothing queued in the lane.
    Empty,
    /// A run to start.
    Run(Box<Claimed>),
    /// The next run was closed SKIPPED (forbid: an earlier run is still going);
    /// call again for the one after it.
    Skipped(RunId),
}

/// Takes the next queued run of a lane: highest priority first, then earliest
/// due. The job's concurrency policy is applied here, inside the claiming
/// transaction, so two free slots can never start two runs of a `forbid` job.
///
/// On PostgreSQL and MySQL many processes claim at once: the candidate is
/// selected `FOR UPDATE SKIP LOCKED`, so each claimer gets a different row and
/// none waits for another's, and the job row is then locked `FOR UPDATE` before
/// the RUNNING runs are counted, so two claimers of the same job take turns and
/// the second counts the first one's run. On SQLite the single write
/// connection already serialises claims.
#[instrument(skip(store))]
pub async fn claim_next(store: &Store, lane: &str, worker: &str, now: EpochMs) -> Result<ClaimOutcome> {
    if store.backend() == Backend::Sqlite {
        if let Some(claimed) = claim_unblocked_on_sqlite(store, lane, worker, now).await? {
            return Ok(ClaimOutcome::Run(Box::new(claimed)));
        }
    }
    let mut tx = store.writer().begin().await?;
    let Some(row) = sqlx::query(&claim_candidate_sql(store)).bind(lane).fetch_optional(&mut *tx).await? else {
        // Ended here, not on drop: a dropped transaction is only rolled back
        // when its connection is next used, and until then it would hold its
        // locks (MySQL: a metadata lock on `runs`) in the pool.
        tx.rollback().await?;
        return Ok(ClaimOutcome::Empty);
    };
    let candidate = Candidate::from_row(&row)?;
    take(store, tx, candidate, worker, now).await
}

/// The order in which a lane's QUEUED runs are claimed: that of the
/// `runs_claimable` index, so a claim reads one index entry however long the
/// backlog.
const CLAIM_ORDER: &str = "ORDER BY priority DESC, scheduled_at ASC, id ASC LIMIT 1";

/// The lane's next QUEUED run.
pub(super) fn claim_candidate_sql(store: &Store) -> String {
    store.sql(&format!(
        "SELECT id, job_code, claim, trigger_kind FROM runs WHERE lane = ? AND status = 'QUEUED' {CLAIM_ORDER}{}",
        store.for_update_skip_locked()
    ))
    .into_owned()
}

/// SQLite's claim of the lane's next run in one statement, for the common
/// case: its job has no RUNNING run, or its policy is `allow`. Anything else
/// (a `forbid` run to close SKIPPED, a `replace` kill to request) answers
/// `None` and is left to the transaction of [`claim_next`].
///
/// Why a second path: on SQLite every statement is a round trip to the
/// driver's connection thread, and the transaction above costs seven of them
/// (BEGIN, three reads, the update, the read-back, COMMIT) on the one writer
/// connection, which is what limited the `true` throughput bench. One
/// statement is atomic on SQLite (a single writer: nothing runs between its
/// read and its write), so the policy check inside it is as safe as the
/// transaction's. PostgreSQL and MySQL keep the transaction: there, claimers
/// run concurrently, and only the job row lock makes the RUNNING count exact.
pub(super) fn claim_unblocked_sql() -> &'static str {
    // Built once: it is on every claim's path.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "UPDATE runs SET status = 'RUNNING', claim = claim + 1, started_at = ?, heartbeat_at = ?, worker = ? \
             WHERE id = (SELECT id FROM runs WHERE lane = ? AND status = 'QUEUED' {CLAIM_ORDER}) AND status = 'QUEUED' \
             AND (COALESCE((SELECT concurrency FROM jobs WHERE code = runs.job_code), 'forbid') = 'allow' \
                  OR NOT EXISTS (SELECT 1 FROM runs AS other WHERE other.job_code = runs.job_code AND other.status = 'RUNNING')) \
             RETURNING {RUN_COLUMNS}, claim"
        )
    });
    &SQL
}

async fn claim_unblocked_on_sqlite(store: &Store, lane: &str, worker: &str, now: EpochMs) -> Result<Option<Claimed>> {
    let row = sqlx::query(claim_unblocked_sql()).bind(now).bind(now).bind(worker).bind(lane).fetch_optional(store.writer()).await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Claimed { run: rows::run(&row)?, claim: row.try_get("claim")? }))
}

/// What a claim of one given run found (AMQP dispatch: a message names the run).
#[derive(Debug)]
pub enum ClaimById {
    /// The run is now RUNNING for this worker, or was closed SKIPPED
    /// (`forbid`), as with [`claim_next`].
    Claimed(ClaimOutcome),
    /// No run has this id (never existed, or purged).
    Unknown,
    /// The run no longer waits: it started, ended or was closed by someone
    /// else (a redelivered message, or a duplicate publish).
    NotWaiting(RunStatus),
    /// The run waits in another lane than the one asked for.
    OtherLane(String),
    /// Another transaction holds the run's row (a concurrent claim of the same
    /// id): ask again shortly, when it will have been taken or let go.
    Locked,
}

/// Takes the QUEUED run `id` of `lane`, with the same fencing and concurrency
/// policy as [`claim_next`]. The row is selected `FOR UPDATE SKIP LOCKED`, so
/// two workers handed the same id never wait on each other: one claims, the
/// other is told [`ClaimById::Locked`] and asks again.
#[instrument(skip(store))]
pub async fn claim_by_id(store: &Store, id: RunId, lane: &str, worker: &str, now: EpochMs) -> Result<ClaimById> {
    let mut tx = store.writer().begin().await?;
    let sql = format!("SELECT id, job_code, claim, trigger_kind, lane FROM runs WHERE id = ? AND status = 'QUEUED'{}", store.for_update_skip_locked());
    let Some(row) = sqlx::query(&store.sql(&sql)).bind(id).fetch_optional(&mut *tx).await? else {
        tx.rollback().await?;
        // Not waiting, absent, or locked by another claimer: a plain read tells which.
        let found = sqlx::query(&store.sql("SELECT status FROM runs WHERE id = ?")).bind(id).fetch_optional(store.reader()).await?;
        let Some(found) = found else { return Ok(ClaimById::Unknown) };
        let status: String = found.try_get("status")?;
        return Ok(match RunStatus::parse(&status) {
            Some(RunStatus::Queued) => ClaimById::Locked,
            Some(other) => ClaimById::NotWaiting(other),
            None => ClaimById::Unknown,
        });
    };
    let run_lane: String = row.try_get("lane")?;
    if run_lane != lane {
        tx.rollback().await?;
        return Ok(ClaimById::OtherLane(run_lane));
    }
    let candidate = Candidate::from_row(&row)?;
    Ok(ClaimById::Claimed(take(store, tx, candidate, worker, now).await?))
}

/// The QUEUED run a claim has selected and locked.
struct Candidate {
    id: RunId,
    code: String,
    claim: i64,
    trigger: String,
}

impl Candidate {
    fn from_row(row: &super::Row) -> Result<Self> {
        Ok(Self { id: row.try_get("id")?, code: row.try_get("job_code")?, claim: row.try_get("claim")?, trigger: row.try_get("trigger_kind")? })
    }
}

/// Starts the selected run inside the claiming transaction `tx`, or closes it
/// SKIPPED when its job is `forbid` and already running. The job row is locked
/// `FOR UPDATE` before the RUNNING runs are counted, so two claimers of the
/// same job take turns and the second counts the first one's run.
async fn take(store: &Store, mut tx: sqlx::Transaction<'static, sqlx::Any>, c: Candidate, worker: &str, now: EpochMs) -> Result<ClaimOutcome> {
    let Candidate { id, code, claim, trigger } = c;
    let sql = format!("SELECT concurrency FROM jobs WHERE code = ?{}", store.for_update());
    let policy = sqlx::query(&store.sql(&sql))
        .bind(&code)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<String, _>("concurrency"))
        .transpose()?
        .unwrap_or_else(|| "forbid".into());
    let running: i64 = sqlx::query(&store.sql("SELECT COUNT(*) AS n FROM runs WHERE job_code = ? AND status = 'RUNNING'"))
        .bind(&code)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if running > 0 && policy == "forbid" {
        let skipped = sqlx::query(&store.sql(
            "UPDATE runs SET status = 'SKIPPED', finished_at = ?, error = ? WHERE id = ? AND status = 'QUEUED' AND claim = ?",
        ))
        .bind(now)
        .bind("skipped: an earlier run of this job was still running (concurrency policy forbid)")
        .bind(id)
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        let scheduled = Trigger::parse(&trigger).is_some_and(is_scheduled);
        let mut entry = id;
        // A scheduled run skipped right after another skipped one folds into
        // that entry (its count grows) instead of adding a row of history.
        if skipped.rows_affected() == 1 && scheduled {
            if let Some(target) = collapse_target(store, &mut tx, &code, RunStatus::Skipped, id).await? {
                sqlx::query(&store.sql("UPDATE runs SET missed_count = ?, finished_at = ? WHERE id = ?"))
                    .bind(target.count + 1)
                    .bind(now)
                    .bind(target.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&store.sql("DELETE FROM runs WHERE id = ?")).bind(id).execute(&mut *tx).await?;
                entry = target.id;
            }
        }
        tx.commit().await?;
        return Ok(ClaimOutcome::Skipped(entry));
    }
    if running > 0 && policy == "replace" {
        sqlx::query(&store.sql("UPDATE runs SET kill_requested = 1 WHERE job_code = ? AND status = 'RUNNING'"))
            .bind(&code)
            .execute(&mut *tx)
            .await?;
    }
    let taken = sqlx::query(&store.sql(
        "UPDATE runs SET status = 'RUNNING', claim = claim + 1, started_at = ?, heartbeat_at = ?, worker = ? \
         WHERE id = ? AND status = 'QUEUED' AND claim = ?",
    ))
    .bind(now)
    .bind(now)
    .bind(worker)
    .bind(id)
    .bind(claim)
    .execute(&mut *tx)
    .await?;
    if taken.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(ClaimOutcome::Empty);
    }
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?");
    let run = rows::run(&sqlx::query(&store.sql(&sql)).bind(id).fetch_one(&mut *tx).await?)?;
    tx.commit().await?;
    Ok(ClaimOutcome::Run(Box::new(Claimed { run, claim: claim + 1 })))
}

/// The history entry a new SKIPPED or MISSED run folds into: the job's latest
/// finished run other than `except`, when it has that same status and was
/// scheduled (manual runs and retries are never folded: someone asked for
/// them). `count` is how many occurrences it stands for so far.
fn is_scheduled(t: Trigger) -> bool {
    matches!(t, Trigger::Schedule | Trigger::CatchUp)
}

struct CollapseTarget {
    id: RunId,
    count: i64,
}

async fn collapse_target(store: &Store, conn: &mut sqlx::AnyConnection, code: &str, status: RunStatus, except: RunId) -> Result<Option<CollapseTarget>> {
    let sql = store.sql(
        "SELECT id, status, trigger_kind, missed_count FROM runs WHERE job_code = ? AND id <> ? \
         AND status NOT IN ('PENDING', 'QUEUED', 'RUNNING') ORDER BY COALESCE(finished_at, 0) DESC, id DESC LIMIT 1",
    );
    let Some(row) = sqlx::query(&sql).bind(code).bind(except).fetch_optional(&mut *conn).await? else { return Ok(None) };
    let found: String = row.try_get("status")?;
    let trigger: String = row.try_get("trigger_kind")?;
    if found != status.as_str() || !Trigger::parse(&trigger).is_some_and(is_scheduled) {
        return Ok(None);
    }
    Ok(Some(CollapseTarget { id: row.try_get("id")?, count: row.try_get::<i64, _>("missed_count")?.max(1) }))
}

/// Records the process a run started, so recovery can find it by pid and start time.
pub async fn set_process(store: &Store, id: RunId, claim: i64, pid: i32, pid_start: i64) -> Result<bool> {
    let sql = store.sql("UPDATE runs SET pid = ?, pid_start = ? WHERE id = ? AND claim = ? AND status = 'RUNNING'");
    let done = sqlx::query(&sql).bind(pid as i64).bind(pid_start).bind(id).bind(claim).execute(store.writer()).await?;
    Ok(done.rows_affected() == 1)
}

/// The outcome of a run, as a worker reports it.
#[derive(Debug, Clone)]
pub struct Finish {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub output: Option<String>,
    pub error: Option<String>,
}

/// Closes a RUNNING run; false if the claim is stale (someone else closed it).
#[instrument(skip(store, finish), fields(status = finish.status.as_str()))]
pub async fn finish(store: &Store, id: RunId, claim: i64, finish: &Finish, now: EpochMs) -> Result<bool> {
    debug_assert!(finish.status.is_terminal());
    let sql = store.sql(
        "UPDATE runs SET status = ?, finished_at = ?, exit_code = ?, output = ?, error = ? WHERE id = ? AND claim = ? AND status = 'RUNNING'",
    );
    let done = sqlx::query(&sql)
        .bind(finish.status.as_str())
        .bind(now)
        .bind(finish.exit_code.map(|c| c as i64))
        .bind(finish.output.clone())
        .bind(finish.error.clone())
        .bind(id)
        .bind(claim)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Stamps the heartbeat of the runs a worker holds and returns those an
/// operator (or a `replace` policy) asked to kill.
pub async fn heartbeat(store: &Store, held: &[(RunId, i64)], now: EpochMs) -> Result<Vec<RunId>> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.writer().begin().await?;
    let sql = store.sql("UPDATE runs SET heartbeat_at = ? WHERE id = ? AND claim = ? AND status = 'RUNNING'");
    for (id, claim) in held {
        sqlx::query(&sql).bind(now).bind(*id).bind(*claim).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    kill_requested(store, held).await
}

pub async fn kill_requested(store: &Store, held: &[(RunId, i64)]) -> Result<Vec<RunId>> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; held.len()].join(", ");
    let sql = format!("SELECT id FROM runs WHERE kill_requested = 1 AND status = 'RUNNING' AND id IN ({marks})");
    let sql = store.sql(&sql);
    let mut q = sqlx::query(&sql);
    for (id, _) in held {
        q = q.bind(*id);
    }
    q.fetch_all(store.reader()).await?.iter().map(|r| Ok(r.try_get::<i64, _>("id")?)).collect()
}

/// Asks for a run to end. A run that has not started is closed KILLED at once;
/// a RUNNING one is flagged, and the worker holding it ends its process group.
/// Returns the run as it is afterwards.
pub async fn request_kill(store: &Store, id: RunId, now: EpochMs) -> Result<Run> {
    let sql = store.sql(
        "UPDATE runs SET status = 'KILLED', finished_at = ?, error = 'killed by an operator before it started' \
         WHERE id = ? AND status IN ('PENDING', 'QUEUED')",
    );
    sqlx::query(&sql).bind(now).bind(id).execute(store.writer()).await?;
    let sql = store.sql("UPDATE runs SET kill_requested = 1 WHERE id = ? AND status = 'RUNNING'");
    sqlx::query(&sql).bind(id).execute(store.writer()).await?;
    require(store, id).await
}

/// RUNNING runs with their claims, for recovery.
pub async fn running(store: &Store) -> Result<Vec<Claimed>> {
    let sql = format!("SELECT {RUN_COLUMNS}, claim FROM runs WHERE status = 'RUNNING' ORDER BY id");
    let found = sqlx::query(&sql).fetch_all(store.reader()).await?;
    found.iter().map(|r| Ok(Claimed { run: rows::run(r)?, claim: r.try_get("claim")? })).collect()
}

/// Runs of a job that are currently RUNNING.
pub async fn running_of_job(store: &Store, code: &str) -> Result<Vec<Run>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE job_code = ? AND status = 'RUNNING'");
    let found = sqlx::query(&store.sql(&sql)).bind(code).fetch_all(store.reader()).await?;
    found.iter().map(rows::run).collect()
}

/// Per-lane queue figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaneFigures {
    pub lane: String,
    pub running: i64,
    pub queued: i64,
    pub oldest_queued_at: Option<EpochMs>,
}

pub async fn lane_figures(store: &Store) -> Result<Vec<LaneFigures>> {
    let sql = format!(
        "SELECT lane, {} AS running, {} AS queued, MIN(CASE WHEN status = 'QUEUED' THEN scheduled_at END) AS oldest \
         FROM runs WHERE status IN ('RUNNING', 'QUEUED') GROUP BY lane",
        store.sum_int("CASE WHEN status = 'RUNNING' THEN 1 ELSE 0 END"),
        store.sum_int("CASE WHEN status = 'QUEUED' THEN 1 ELSE 0 END"),
    );
    let found = sqlx::query(&sql).fetch_all(store.reader()).await?;
    found
        .iter()
        .map(|r| {
            Ok(LaneFigures {
                lane: r.try_get("lane")?,
                running: r.try_get::<Option<i64>, _>("running")?.unwrap_or(0),
                queued: r.try_get::<Option<i64>, _>("queued")?.unwrap_or(0),
                oldest_queued_at: r.try_get("oldest")?,
            })
        })
        .collect()
}

/// RUNNING runs per (worker instance, lane), for the `workers` and `queues` queries.
pub async fn running_by_worker(store: &Store) -> Result<Vec<(String, String, i64)>> {
    let sql = "SELECT worker, lane, COUNT(*) AS n FROM runs WHERE status = 'RUNNING' AND worker IS NOT NULL GROUP BY worker, lane";
    let found = sqlx::query(sql).fetch_all(store.reader()).await?;
    found.iter().map(|r| Ok((r.try_get("worker")?, r.try_get("lane")?, r.try_get("n")?))).collect()
}

/// Counts of a job's runs by status since `since`.
pub async fn status_counts(store: &Store, code: &str, since: EpochMs) -> Result<Vec<(RunStatus, i64)>> {
    let sql = store.sql("SELECT status, COUNT(*) AS n FROM runs WHERE job_code = ? AND scheduled_at >= ? GROUP BY status");
    let found = sqlx::query(&sql).bind(code).bind(since).fetch_all(store.reader()).await?;
    found
        .iter()
        .filter_map(|r| {
            let status: String = r.try_get("status").ok()?;
            Some(Ok((RunStatus::parse(&status)?, r.try_get::<i64, _>("n").ok()?)))
        })
        .collect()
}

/// The most recent run of a job that has started or ended (not PENDING/QUEUED).
pub async fn last_run(store: &Store, code: &str) -> Result<Option<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE job_code = ? AND status NOT IN ('PENDING', 'QUEUED') ORDER BY scheduled_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(&store.sql(&sql)).bind(code).fetch_optional(store.reader()).await?;
    row.as_ref().map(rows::run).transpose()
}

/// [`status_counts`] for many jobs in one query (a page of the jobs grid).
#[instrument(skip(store, codes), fields(jobs = codes.len()))]
pub async fn status_counts_of(store: &Store, codes: &[String], since: EpochMs) -> Result<HashMap<String, Vec<(RunStatus, i64)>>> {
    let mut w = Where::default();
    w.and_in("job_code", codes);
    w.and("scheduled_at >= ?", [Value::from(since)]);
    let sql = store.sql(&format!("SELECT job_code, status, COUNT(*) AS n FROM runs{} GROUP BY job_code, status", w.sql())).into_owned();
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    let mut out: HashMap<String, Vec<(RunStatus, i64)>> = HashMap::new();
    for r in &found {
        let status = rows::text(r, "status")?;
        let status = RunStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("run status `{status}`")))?;
        out.entry(rows::text(r, "job_code")?).or_default().push((status, r.try_get::<i64, _>("n")?));
    }
    Ok(out)
}

/// [`last_run`] for many jobs in one query: per job, the id of its latest
/// started run is looked up on `runs_job_time` (newest first, a few entries
/// each), then those runs are read.
#[instrument(skip(store, codes), fields(jobs = codes.len()))]
pub async fn last_runs_of(store: &Store, codes: &[String]) -> Result<HashMap<String, Run>> {
    let mut w = Where::default();
    w.and_in("code", codes);
    // A derived table rather than `id IN (SELECT ...)`: MySQL refuses LIMIT under IN.
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs JOIN (SELECT (SELECT r.id FROM runs r WHERE r.job_code = jobs.code \
           AND r.status NOT IN ('PENDING', 'QUEUED') ORDER BY r.scheduled_at DESC, r.id DESC LIMIT 1) AS last_id \
           FROM jobs{}) latest ON runs.id = latest.last_id",
        w.sql()
    );
    let sql = store.sql(&sql).into_owned();
    let found = bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?;
    found.iter().map(|r| rows::run(r).map(|run| (run.job_code.clone(), run))).collect()
}

/// Deletes at most `batch` finished runs with one of `statuses` scheduled before
/// `before`. Small batches keep each write short so the scheduler never waits long.
pub async fn purge_batch(store: &Store, before: EpochMs, statuses: &[RunStatus], batch: i64) -> Result<u64> {
    let names: Vec<String> = statuses.iter().filter(|s| s.is_terminal()).map(|s| s.as_str().to_string()).collect();
    let mut w = Where::default();
    w.and_in("status", &names);
    w.and("scheduled_at < ?", [Value::from(before)]);
    store.purge_batch("runs", &w, batch).await
}

/// Closes a RUNNING run whose supervisor is gone; fenced like `finish`.
pub async fn interrupt(store: &Store, id: RunId, claim: i64, reason: &str, now: EpochMs) -> Result<bool> {
    finish(store, id, claim, &Finish { status: RunStatus::Interrupted, exit_code: None, output: None, error: Some(reason.into()) }, now)
        .await
}

/// A run a bulk close ended, for its run event (alert rules judge those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub id: RunId,
    pub job_code: String,
    pub lane: String,
}

impl Closed {
    /// The event announcing it ended `status` at `at`.
    pub fn event(&self, status: RunStatus, at: EpochMs) -> crate::events::RunEvent {
        crate::events::RunEvent { run_id: self.id, job_code: self.job_code.clone(), lane: self.lane.clone(), status, at }
    }
}

/// Closes the runs `select` finds (`id, job_code, lane`) with `update`, whose
/// last placeholder is the id, in one transaction with the rows locked, so a
/// worker claiming one of them meanwhile is either before (the run is not
/// closed, nor reported) or after (it finds the run closed). Returns the runs
/// closed.
async fn close_selected(store: &Store, select: &str, select_binds: &[Value], update: &str, update_binds: &[Value]) -> Result<Vec<Closed>> {
    let mut tx = store.writer().begin().await?;
    let sql = format!("{select}{}", store.for_update());
    let found = bind(sqlx::query(&store.sql(&sql)), select_binds).fetch_all(&mut *tx).await?;
    let mut closed = Vec::with_capacity(found.len());
    for r in &found {
        let id: RunId = r.try_get("id")?;
        let mut binds = update_binds.to_vec();
        binds.push(Value::from(id));
        if bind(sqlx::query(&store.sql(update)), &binds).execute(&mut *tx).await?.rows_affected() == 1 {
            closed.push(Closed { id, job_code: rows::text(r, "job_code")?, lane: rows::text(r, "lane")? });
        }
    }
    tx.commit().await?;
    Ok(closed)
}

/// Closes QUEUED/PENDING runs of a job as SKIPPED; used when a job is deleted.
pub async fn cancel_waiting(store: &Store, code: &str, reason: &str, now: EpochMs) -> Result<Vec<Closed>> {
    close_selected(
        store,
        "SELECT id, job_code, lane FROM runs WHERE job_code = ? AND status IN ('PENDING', 'QUEUED')",
        &[Value::from(code)],
        "UPDATE runs SET status = 'SKIPPED', finished_at = ?, error = ? WHERE status IN ('PENDING', 'QUEUED') AND id = ?",
        &[Value::from(now), Value::from(reason)],
    )
    .await
}

/// Returns true if the job has a RUNNING run, or a run waiting to start.
pub async fn has_active(store: &Store, code: &str) -> Result<bool> {
    let sql = store.sql("SELECT COUNT(*) AS n FROM runs WHERE job_code = ? AND status IN ('PENDING', 'QUEUED', 'RUNNING')");
    Ok(sqlx::query(&sql).bind(code).fetch_one(store.reader()).await?.try_get::<i64, _>("n")? > 0)
}

/// Creates the next attempt of a run that ended retryably, due after `delay_ms`.
/// Idempotent per attempt: a retry that already exists is not created again.
pub async fn insert_retry(store: &Store, failed: &Run, delay_ms: i64, now: EpochMs) -> Result<Option<RunId>> {
    let first = failed.retry_of.unwrap_or(failed.id);
    let sql = store.sql("SELECT COUNT(*) AS n FROM runs WHERE retry_of = ? AND attempt = ?");
    let exists: i64 = sqlx::query(&sql).bind(first).bind(failed.attempt as i64 + 1).fetch_one(store.reader()).await?.try_get("n")?;
    if exists > 0 {
        return Ok(None);
    }
    let new = NewRun {
        job_code: failed.job_code.clone(),
        lane: failed.lane.to_string(),
        status: if delay_ms <= 0 { RunStatus::Queued } else { RunStatus::Pending },
        trigger: Trigger::Retry,
        attempt: failed.attempt + 1,
        retry_of: Some(first),
        priority: failed.priority,
        fire_key: None,
        scheduled_at: now + delay_ms.max(0),
        missed_count: 0,
        error: None,
    };
    insert(store, &new, now).await
}

/// Closes scheduled runs that waited in their lane's queue past their job's
/// starting deadline as MISSED (Magento's `schedule_lifetime` does the same to
/// pending jobs), so a lane that was saturated or drained for a while does not
/// work through a pile of stale fire times afterwards. Manual runs and retries
/// never expire: someone asked for them.
pub async fn expire_stale_queued(store: &Store, default_deadline_ms: i64, min_deadline_ms: i64, now: EpochMs) -> Result<Vec<Closed>> {
    // No run younger than the shortest deadline of any job (the caller knows
    // it), nor than a minute (the misfire plan's on-time window), can be
    // stale: that bound is a range on the `runs_queued_time` index, so only
    // the candidates get the per-row deadline lookup.
    let young = now - min_deadline_ms.max(60_000);
    close_selected(
        store,
        "SELECT id, job_code, lane FROM runs WHERE status = 'QUEUED' AND trigger_kind IN ('schedule', 'catch_up') AND scheduled_at < ? \
         AND scheduled_at < ? - COALESCE((SELECT starting_deadline_ms FROM jobs WHERE jobs.code = runs.job_code), ?) ORDER BY id",
        &[Value::from(young), Value::from(now), Value::from(default_deadline_ms)],
        "UPDATE runs SET status = 'MISSED', finished_at = ?, missed_count = 1, \
         error = 'waited in its lane longer than its starting deadline' WHERE status = 'QUEUED' AND id = ?",
        &[Value::from(now)],
    )
    .await
}

/// How many runs the store holds per lane and status, for `/metrics`. Served
/// from the `runs_claimable` index (lane, status, ...) without touching rows.
pub async fn counts_by_lane_status(store: &Store) -> Result<Vec<(String, RunStatus, i64)>> {
    let sql = "SELECT lane, status, COUNT(*) AS n FROM runs GROUP BY lane, status ORDER BY lane, status";
    let found = sqlx::query(sql).fetch_all(store.reader()).await?;
    found
        .iter()
        .filter_map(|r| {
            let status: String = r.try_get("status").ok()?;
            Some(Ok((r.try_get::<String, _>("lane").ok()?, RunStatus::parse(&status)?, r.try_get::<i64, _>("n").ok()?)))
        })
        .collect()
}
