//! What the AMQP publisher needs from the `runs` table: the QUEUED runs whose
//! ids have not been published to their lane queue yet, the ones published
//! long ago that still wait, and marking runs published once the broker has
//! confirmed them. The store stays the source of truth: a run is never taken
//! off this list before a confirm, so a broker that is away only delays it.

use sqlx::Row as _;

use super::{Result, Store};
use crate::domain::{EpochMs, RunId};

/// A QUEUED run to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToPublish {
    pub id: RunId,
    pub lane: String,
    /// The run's priority, carried into the message's AMQP priority.
    pub priority: i32,
}

fn to_publish(rows: Vec<super::Row>) -> Result<Vec<ToPublish>> {
    rows.iter()
        .map(|r| Ok(ToPublish { id: r.try_get("id")?, lane: r.try_get("lane")?, priority: r.try_get::<i64, _>("priority")? as i32 }))
        .collect()
}

/// QUEUED runs never published, highest priority first, then oldest (index
/// `runs_unpublished` finds them; a backlog larger than `limit` is rare).
pub async fn unpublished(store: &Store, limit: i64) -> Result<Vec<ToPublish>> {
    let sql = format!(
        "SELECT id, lane, priority FROM runs WHERE status = 'QUEUED' AND published_at IS NULL ORDER BY priority DESC, id LIMIT {}",
        limit.max(1)
    );
    to_publish(sqlx::query(&sql).fetch_all(store.reader()).await?)
}

/// QUEUED runs of `lane` last published before `before`: either still behind
/// other messages, or their message was lost (a queue deleted, a broker that
/// lost its disk). Publishing them again is harmless: a worker handed a run
/// that no longer waits acknowledges the message and does nothing else.
pub async fn published_before(store: &Store, lane: &str, before: EpochMs, limit: i64) -> Result<Vec<ToPublish>> {
    let sql = format!(
        "SELECT id, lane, priority FROM runs WHERE status = 'QUEUED' AND published_at < ? AND lane = ? ORDER BY priority DESC, id LIMIT {}",
        limit.max(1)
    );
    to_publish(sqlx::query(&store.sql(&sql)).bind(before).bind(lane).fetch_all(store.reader()).await?)
}

/// Records that the broker confirmed these runs' messages.
pub async fn mark_published(store: &Store, ids: &[RunId], now: EpochMs) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!("UPDATE runs SET published_at = ? WHERE id IN ({marks})");
    let sql = store.sql(&sql);
    let mut q = sqlx::query(&sql).bind(now);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.execute(store.writer()).await?.rows_affected())
}

/// When run `id` was last published, if ever (tests and diagnostics).
pub async fn published_at(store: &Store, id: RunId) -> Result<Option<EpochMs>> {
    let row = sqlx::query(&store.sql("SELECT published_at FROM runs WHERE id = ?")).bind(id).fetch_optional(store.reader()).await?;
    Ok(row.map(|r| r.try_get::<Option<i64>, _>("published_at")).transpose()?.flatten())
}
