//! Queue consumers: their definitions (`consumers`), the process slots
//! (`consumer_slots`) and the sampled queue depths (`queue_depth_samples`).
//!
//! A slot is a lease like the scheduler's: `holder` (an instance id) keeps it
//! until `expires_at` by renewing. Every change of holder bumps `fence`, and a
//! holder's writes are conditional on the fence it took, so an instance that
//! lost its slot (it stalled past the expiry and another took over) finds out
//! at its next write and stops its process instead of running a duplicate.

use sqlx::Row as _;

use super::{rows, Result, Store, StoreError};
use crate::consumers::definition::{ConsumerDefinition, ConsumerSource, StoredConsumer};
use crate::domain::EpochMs;

const CONSUMER_COLUMNS: &str = "name, source, definition, overrides, stopped, restart_generation, parked_at, parked_reason, created_at, updated_at";

pub async fn list(store: &Store) -> Result<Vec<StoredConsumer>> {
    let sql = format!("SELECT {CONSUMER_COLUMNS} FROM consumers ORDER BY name");
    sqlx::query(&sql)
        .fetch_all(store.reader())
        .await?
        .iter()
        .map(consumer_from_row)
        .collect()
}

pub async fn get(store: &Store, name: &str) -> Result<Option<StoredConsumer>> {
    let sql = store
        .sql(&format!(
            "SELECT {CONSUMER_COLUMNS} FROM consumers WHERE name = ?"
        ))
        .into_owned();
    sqlx::query(&sql)
        .bind(name)
        .fetch_optional(store.reader())
        .await?
        .as_ref()
        .map(consumer_from_row)
        .transpose()
}

/// Writes `save` (insert or full update) and deletes `remove`, in one transaction.
pub async fn save_all(store: &Store, save: &[StoredConsumer], remove: &[String]) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    for c in save {
        let definition = serde_json::to_string(&c.definition).expect("definitions serialise");
        let overrides = serde_json::to_string(&c.overrides).expect("names serialise");
        let update = store.sql(
            "UPDATE consumers SET source = ?, definition = ?, overrides = ?, stopped = ?, restart_generation = ?, parked_at = ?, parked_reason = ?, updated_at = ? WHERE name = ?",
        );
        let done = sqlx::query(&update)
            .bind(c.source.as_str())
            .bind(&definition)
            .bind(&overrides)
            .bind(c.stopped as i64)
            .bind(c.restart_generation)
            .bind(c.parked_at)
            .bind(c.parked_reason.as_deref())
            .bind(c.updated_at)
            .bind(c.name())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let insert = store.sql(&format!("INSERT INTO consumers ({CONSUMER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")).into_owned();
            sqlx::query(&insert)
                .bind(c.name())
                .bind(c.source.as_str())
                .bind(&definition)
                .bind(&overrides)
                .bind(c.stopped as i64)
                .bind(c.restart_generation)
                .bind(c.parked_at)
                .bind(c.parked_reason.as_deref())
                .bind(c.created_at)
                .bind(c.updated_at)
                .execute(&mut *tx)
                .await?;
        }
    }
    for name in remove {
        sqlx::query(&store.sql("DELETE FROM consumers WHERE name = ?"))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&store.sql("DELETE FROM consumer_slots WHERE consumer = ? AND holder IS NULL"))
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `stopConsumer` (true) / `startConsumer` (false). Starting also unparks the
/// consumer and clears its slots' failure streaks.
pub async fn set_stopped(store: &Store, name: &str, stopped: bool, now: EpochMs) -> Result<bool> {
    let mut tx = store.writer().begin().await?;
    let sql = if stopped {
        "UPDATE consumers SET stopped = 1, updated_at = ? WHERE name = ?"
    } else {
        "UPDATE consumers SET stopped = 0, parked_at = NULL, parked_reason = NULL, updated_at = ? WHERE name = ?"
    };
    let found = sqlx::query(&store.sql(sql))
        .bind(now)
        .bind(name)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if found && !stopped {
        sqlx::query(&store.sql(
            "UPDATE consumer_slots SET failures = 0, next_start_at = NULL WHERE consumer = ?",
        ))
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(found)
}

/// Asks every process of `name` (or of every consumer) to be replaced by a
/// fresh one; returns how many consumers were affected.
pub async fn bump_generation(store: &Store, name: Option<&str>, now: EpochMs) -> Result<u64> {
    let done = match name {
        Some(name) => {
            let sql = store.sql("UPDATE consumers SET restart_generation = restart_generation + 1, updated_at = ? WHERE name = ?");
            sqlx::query(&sql)
                .bind(now)
                .bind(name)
                .execute(store.writer())
                .await?
        }
        None => {
            let sql = store.sql(
                "UPDATE consumers SET restart_generation = restart_generation + 1, updated_at = ?",
            );
            sqlx::query(&sql).bind(now).execute(store.writer()).await?
        }
    };
    Ok(done.rows_affected())
}

/// Parks a crash-looping consumer (first reason wins); true if this call parked it.
pub async fn park(store: &Store, name: &str, reason: &str, now: EpochMs) -> Result<bool> {
    let sql = store.sql("UPDATE consumers SET parked_at = ?, parked_reason = ? WHERE name = ? AND parked_at IS NULL");
    Ok(sqlx::query(&sql)
        .bind(now)
        .bind(reason)
        .bind(name)
        .execute(store.writer())
        .await?
        .rows_affected()
        == 1)
}

fn consumer_from_row(r: &super::Row) -> Result<StoredConsumer> {
    let source_text = rows::text(r, "source")?;
    let source = ConsumerSource::parse(&source_text)
        .ok_or_else(|| StoreError::Corrupt(format!("consumer source `{source_text}`")))?;
    let definition: ConsumerDefinition = serde_json::from_str(&rows::text(r, "definition")?)
        .map_err(|e| StoreError::Corrupt(format!("consumer definition: {e}")))?;
    let overrides: Vec<String> = serde_json::from_str(&rows::text(r, "overrides")?)
        .map_err(|e| StoreError::Corrupt(format!("consumer overrides: {e}")))?;
    Ok(StoredConsumer {
        definition,
        source,
        overrides,
        stopped: r.try_get::<i64, _>("stopped")? != 0,
        restart_generation: r.try_get("restart_generation")?,
        parked_at: r.try_get("parked_at")?,
        parked_reason: rows::opt_text(r, "parked_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

// ------------------------------------------------------------------ slots

/// One process slot of a consumer, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slot {
    pub consumer: String,
    pub slot: i64,
    pub holder: Option<String>,
    pub fence: i64,
    pub expires_at: EpochMs,
    /// free, starting, running, backoff, waiting, stopping.
    pub state: String,
    pub node: Option<String>,
    pub pid: Option<i64>,
    pub pid_start: Option<i64>,
    pub boot: Option<String>,
    pub started_at: Option<EpochMs>,
    pub generation: i64,
    pub restarts: i64,
    pub failures: i64,
    pub next_start_at: Option<EpochMs>,
    pub last_exit_code: Option<i64>,
    pub last_exit_reason: Option<String>,
    pub last_exit_at: Option<EpochMs>,
    pub output_tail: Option<String>,
}

const SLOT_COLUMNS: &str = "consumer, slot, holder, fence, expires_at, state, node, pid, pid_start, boot, started_at, generation, \
    restarts, failures, next_start_at, last_exit_code, last_exit_reason, last_exit_at, output_tail";

/// A slot a holder took: its key and the fence its writes must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub consumer: String,
    pub slot: i64,
    pub holder: String,
    pub fence: i64,
}

pub async fn slots(store: &Store) -> Result<Vec<Slot>> {
    let sql = format!("SELECT {SLOT_COLUMNS} FROM consumer_slots ORDER BY consumer, slot");
    sqlx::query(&sql)
        .fetch_all(store.reader())
        .await?
        .iter()
        .map(slot_from_row)
        .collect()
}

pub async fn slots_of(store: &Store, consumer: &str) -> Result<Vec<Slot>> {
    let sql = store
        .sql(&format!(
            "SELECT {SLOT_COLUMNS} FROM consumer_slots WHERE consumer = ? ORDER BY slot"
        ))
        .into_owned();
    sqlx::query(&sql)
        .bind(consumer)
        .fetch_all(store.writer())
        .await?
        .iter()
        .map(slot_from_row)
        .collect()
}

/// Takes slot `slot` of `consumer` for `holder` until `now + ttl_ms` if it is
/// free, expired, or held by `dead_holder` (a holder the caller verified is
/// gone). One compare-and-swap on `fence`: two contenders can never both win.
/// Returns the slot as it was before the take, and the new hold.
pub async fn try_claim(
    store: &Store,
    consumer: &str,
    slot: i64,
    holder: &str,
    dead_holder: Option<&str>,
    ttl_ms: i64,
    now: EpochMs,
) -> Result<Option<(Slot, Held)>> {
    let create = store.insert_ignore("INTO consumer_slots (consumer, slot, fence, expires_at, state, generation, restarts, failures) VALUES (?, ?, 0, 0, 'free', 0, 0, 0)");
    sqlx::query(&store.sql(&create))
        .bind(consumer)
        .bind(slot)
        .execute(store.writer())
        .await?;
    let sql = store
        .sql(&format!(
            "SELECT {SLOT_COLUMNS} FROM consumer_slots WHERE consumer = ? AND slot = ?"
        ))
        .into_owned();
    let Some(row) = sqlx::query(&sql)
        .bind(consumer)
        .bind(slot)
        .fetch_optional(store.writer())
        .await?
    else {
        return Ok(None);
    };
    let before = slot_from_row(&row)?;
    let free = match &before.holder {
        None => true,
        Some(h) => before.expires_at < now || dead_holder == Some(h.as_str()),
    };
    if !free {
        return Ok(None);
    }
    let sql = store.sql("UPDATE consumer_slots SET holder = ?, fence = ?, expires_at = ?, state = 'starting' WHERE consumer = ? AND slot = ? AND fence = ?");
    let done = sqlx::query(&sql)
        .bind(holder)
        .bind(before.fence + 1)
        .bind(now + ttl_ms.max(1))
        .bind(consumer)
        .bind(slot)
        .bind(before.fence)
        .execute(store.writer())
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let held = Held {
        consumer: consumer.into(),
        slot,
        holder: holder.into(),
        fence: before.fence + 1,
    };
    Ok(Some((before, held)))
}

/// Extends the lease; false if the slot is no longer ours.
pub async fn renew(store: &Store, h: &Held, ttl_ms: i64, now: EpochMs) -> Result<bool> {
    let sql = store.sql("UPDATE consumer_slots SET expires_at = ? WHERE consumer = ? AND slot = ? AND holder = ? AND fence = ?");
    let done = sqlx::query(&sql)
        .bind(now + ttl_ms.max(1))
        .bind(&h.consumer)
        .bind(h.slot)
        .bind(&h.holder)
        .bind(h.fence)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A process was started in the slot.
pub struct Started<'a> {
    pub node: &'a str,
    pub pid: i64,
    pub pid_start: i64,
    pub boot: &'a str,
    pub generation: i64,
    /// A start after an exit in the same slot counts as a restart.
    pub restart: bool,
}

pub async fn record_start(store: &Store, h: &Held, s: &Started<'_>, now: EpochMs) -> Result<bool> {
    let sql = store.sql(
        "UPDATE consumer_slots SET state = 'running', node = ?, pid = ?, pid_start = ?, boot = ?, started_at = ?, generation = ?, \
         restarts = restarts + ?, next_start_at = NULL, output_tail = NULL WHERE consumer = ? AND slot = ? AND holder = ? AND fence = ?",
    );
    let done = sqlx::query(&sql)
        .bind(s.node)
        .bind(s.pid)
        .bind(s.pid_start)
        .bind(s.boot)
        .bind(now)
        .bind(s.generation)
        .bind(s.restart as i64)
        .bind(&h.consumer)
        .bind(h.slot)
        .bind(&h.holder)
        .bind(h.fence)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The output of the slot's running process so far (its tail).
pub async fn record_output(store: &Store, h: &Held, output_tail: &str) -> Result<bool> {
    let sql = store.sql(
        "UPDATE consumer_slots SET output_tail = ? WHERE consumer = ? AND slot = ? AND holder = ? AND fence = ? AND pid IS NOT NULL",
    );
    let done = sqlx::query(&sql)
        .bind(output_tail)
        .bind(&h.consumer)
        .bind(h.slot)
        .bind(&h.holder)
        .bind(h.fence)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How a process ended, and what the slot does next.
pub struct Exited<'a> {
    pub code: Option<i64>,
    pub reason: &'a str,
    pub output_tail: &'a str,
    pub failures: i64,
    /// running (replaced at once), backoff, waiting, stopping...
    pub state: &'a str,
    pub next_start_at: Option<EpochMs>,
}

pub async fn record_exit(store: &Store, h: &Held, e: &Exited<'_>, now: EpochMs) -> Result<bool> {
    let sql = store.sql(
        "UPDATE consumer_slots SET state = ?, pid = NULL, pid_start = NULL, last_exit_code = ?, last_exit_reason = ?, last_exit_at = ?, \
         output_tail = ?, failures = ?, next_start_at = ? WHERE consumer = ? AND slot = ? AND holder = ? AND fence = ?",
    );
    let done = sqlx::query(&sql)
        .bind(e.state)
        .bind(e.code)
        .bind(e.reason)
        .bind(now)
        .bind(e.output_tail)
        .bind(e.failures)
        .bind(e.next_start_at)
        .bind(&h.consumer)
        .bind(h.slot)
        .bind(&h.holder)
        .bind(h.fence)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the slot up (its process has ended), so any node may take it.
pub async fn release(store: &Store, h: &Held) -> Result<bool> {
    let sql = store.sql(
        "UPDATE consumer_slots SET holder = NULL, expires_at = 0, state = 'free', pid = NULL, pid_start = NULL, node = NULL, started_at = NULL \
         WHERE consumer = ? AND slot = ? AND holder = ? AND fence = ?",
    );
    let done = sqlx::query(&sql)
        .bind(&h.consumer)
        .bind(h.slot)
        .bind(&h.holder)
        .bind(h.fence)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Slots a live holder still has (its lease not expired): processes running,
/// being ended, or about to be. `cronkeeper drain --wait` waits for none.
pub async fn held_slots(store: &Store, now: EpochMs) -> Result<i64> {
    let sql = store.sql("SELECT COUNT(*) AS n FROM consumer_slots WHERE holder IS NOT NULL AND expires_at >= ?");
    let row = sqlx::query(&sql).bind(now).fetch_one(store.writer()).await?;
    Ok(row.try_get("n")?)
}

/// Forgets free slots beyond what any consumer wants (after instances went
/// down, or the consumer was removed).
pub async fn delete_free_slots_from(store: &Store, consumer: &str, from_slot: i64) -> Result<u64> {
    let sql =
        store.sql("DELETE FROM consumer_slots WHERE consumer = ? AND slot >= ? AND holder IS NULL");
    Ok(sqlx::query(&sql)
        .bind(consumer)
        .bind(from_slot)
        .execute(store.writer())
        .await?
        .rows_affected())
}

fn slot_from_row(r: &super::Row) -> Result<Slot> {
    Ok(Slot {
        consumer: rows::text(r, "consumer")?,
        slot: r.try_get("slot")?,
        holder: rows::opt_text(r, "holder")?,
        fence: r.try_get("fence")?,
        expires_at: r.try_get("expires_at")?,
        state: rows::text(r, "state")?,
        node: rows::opt_text(r, "node")?,
        pid: r.try_get("pid")?,
        pid_start: r.try_get("pid_start")?,
        boot: rows::opt_text(r, "boot")?,
        started_at: r.try_get("started_at")?,
        generation: r.try_get("generation")?,
        restarts: r.try_get("restarts")?,
        failures: r.try_get("failures")?,
        next_start_at: r.try_get("next_start_at")?,
        last_exit_code: r.try_get("last_exit_code")?,
        last_exit_reason: rows::opt_text(r, "last_exit_reason")?,
        last_exit_at: r.try_get("last_exit_at")?,
        output_tail: rows::opt_text(r, "output_tail")?,
    })
}

// ------------------------------------------------------------ depth history

/// One sampled depth of one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthSample {
    pub queue: String,
    pub transport: String,
    pub at: EpochMs,
    pub ready: Option<i64>,
    pub in_flight: Option<i64>,
    pub errored: Option<i64>,
}

pub async fn insert_samples(store: &Store, samples: &[DepthSample]) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    let sql = store.sql("INSERT INTO queue_depth_samples (queue, transport, at, ready, in_flight, errored) VALUES (?, ?, ?, ?, ?, ?)");
    for s in samples {
        sqlx::query(&sql)
            .bind(&s.queue)
            .bind(&s.transport)
            .bind(s.at)
            .bind(s.ready)
            .bind(s.in_flight)
            .bind(s.errored)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The samples of `queue` taken at or after `since`, oldest first (at most `limit`).
pub async fn samples(
    store: &Store,
    queue: &str,
    since: EpochMs,
    limit: i64,
) -> Result<Vec<DepthSample>> {
    let sql = store.sql(
        "SELECT queue, transport, at, ready, in_flight, errored FROM queue_depth_samples WHERE queue = ? AND at >= ? ORDER BY at, id LIMIT ?",
    );
    let found = sqlx::query(&sql)
        .bind(queue)
        .bind(since)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(store.reader())
        .await?;
    found
        .iter()
        .map(|r| {
            Ok(DepthSample {
                queue: rows::text(r, "queue")?,
                transport: rows::text(r, "transport")?,
                at: r.try_get("at")?,
                ready: r.try_get("ready")?,
                in_flight: r.try_get("in_flight")?,
                errored: r.try_get("errored")?,
            })
        })
        .collect()
}

/// Deletes samples taken before `before`.
pub async fn purge_samples(store: &Store, before: EpochMs) -> Result<u64> {
    let sql = store.sql("DELETE FROM queue_depth_samples WHERE at < ?");
    Ok(sqlx::query(&sql)
        .bind(before)
        .execute(store.writer())
        .await?
        .rows_affected())
}
