//! Running cronkeeper processes ("instances"): who holds which runs, and
//! whether they are still alive. A run's `worker` column names its instance.

use sqlx::Row as _;

use super::{Result, Store};
use crate::domain::EpochMs;

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// `node:pid:start_ticks:boot`: unique for one process life, even across pid reuse and reboots.
    pub id: String,
    pub node: String,
    pub pid: i32,
    pub pid_start: i64,
    pub role: String,
    pub started_at: EpochMs,
    pub heartbeat_at: EpochMs,
    pub stopped_at: Option<EpochMs>,
}

pub async fn register(store: &Store, i: &Instance) -> Result<()> {
    let sql = store.sql(
        "INSERT INTO instances (id, node, pid, pid_start, role, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    sqlx::query(&sql)
        .bind(&i.id)
        .bind(&i.node)
        .bind(i.pid as i64)
        .bind(i.pid_start)
        .bind(&i.role)
        .bind(i.started_at)
        .bind(i.heartbeat_at)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub async fn heartbeat(store: &Store, id: &str, now: EpochMs) -> Result<()> {
    sqlx::query(&store.sql("UPDATE instances SET heartbeat_at = ? WHERE id = ?")).bind(now).bind(id).execute(store.writer()).await?;
    Ok(())
}

pub async fn mark_stopped(store: &Store, id: &str, now: EpochMs) -> Result<()> {
    sqlx::query(&store.sql("UPDATE instances SET stopped_at = ? WHERE id = ?")).bind(now).bind(id).execute(store.writer()).await?;
    Ok(())
}

pub async fn get(store: &Store, id: &str) -> Result<Option<Instance>> {
    let sql = store.sql("SELECT id, node, pid, pid_start, role, started_at, heartbeat_at, stopped_at FROM instances WHERE id = ?");
    let row = sqlx::query(&sql).bind(id).fetch_optional(store.reader()).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Instances seen alive since `since` (the workers list).
pub async fn list_recent(store: &Store, since: EpochMs) -> Result<Vec<Instance>> {
    let sql = store.sql(
        "SELECT id, node, pid, pid_start, role, started_at, heartbeat_at, stopped_at FROM instances WHERE heartbeat_at >= ? ORDER BY started_at DESC",
    );
    sqlx::query(&sql).bind(since).fetch_all(store.reader()).await?.iter().map(from_row).collect()
}

/// Forgets instances not heard from since `before`.
pub async fn prune(store: &Store, before: EpochMs) -> Result<u64> {
    let sql = store.sql("DELETE FROM instances WHERE heartbeat_at < ?");
    Ok(sqlx::query(&sql).bind(before).execute(store.writer()).await?.rows_affected())
}

fn from_row(r: &super::Row) -> Result<Instance> {
    Ok(Instance {
        id: r.try_get("id")?,
        node: r.try_get("node")?,
        pid: r.try_get::<i64, _>("pid")? as i32,
        pid_start: r.try_get("pid_start")?,
        role: r.try_get("role")?,
        started_at: r.try_get("started_at")?,
        heartbeat_at: r.try_get("heartbeat_at")?,
        stopped_at: r.try_get("stopped_at")?,
    })
}
