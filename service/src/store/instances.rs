//! Running cronkeeper processes ("instances"): who holds which runs, and
//! whether they are still alive. A run's `worker` column names its instance.
//! A process with workers registers when it starts (with its host, lanes,
//! slots and version), stamps `heartbeat_at` while it lives and sets
//! `stopped_at` when it shuts down; one that stops heartbeating is taken as
//! lost ([`InstanceStatus`]) and recovery closes its runs.

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
    /// The machine's host name (`node` is the configured name, which may differ).
    pub host: String,
    /// The lanes this process works, with its slots in each, in the order given.
    pub lane_slots: Vec<(String, usize)>,
    /// The cronkeeper version it runs.
    pub version: String,
}

/// Whether an instance is working, stopped cleanly, or gone silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceStatus {
    Active,
    Stopped,
    /// No heartbeat for longer than the expiry: crashed, killed or cut off.
    Lost,
}

impl Instance {
    pub fn status(&self, now: EpochMs, expiry_ms: i64) -> InstanceStatus {
        match self.stopped_at {
            Some(_) => InstanceStatus::Stopped,
            None if now - self.heartbeat_at > expiry_ms => InstanceStatus::Lost,
            None => InstanceStatus::Active,
        }
    }
}

/// `critical=4,default=2`, as stored in `instances.lane_slots`.
pub fn format_lane_slots(lanes: &[(String, usize)]) -> String {
    lanes.iter().map(|(l, n)| format!("{l}={n}")).collect::<Vec<_>>().join(",")
}

/// The stored form back; pairs that do not parse are left out.
pub fn parse_lane_slots(text: &str) -> Vec<(String, usize)> {
    text.split(',')
        .filter_map(|pair| {
            let (lane, n) = pair.split_once('=')?;
            Some((lane.trim().to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

pub async fn register(store: &Store, i: &Instance) -> Result<()> {
    let sql = store.sql(
        "INSERT INTO instances (id, node, pid, pid_start, role, started_at, heartbeat_at, host, lane_slots, version) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    sqlx::query(&sql)
        .bind(&i.id)
        .bind(&i.node)
        .bind(i.pid as i64)
        .bind(i.pid_start)
        .bind(&i.role)
        .bind(i.started_at)
        .bind(i.heartbeat_at)
        .bind(&i.host)
        .bind(format_lane_slots(&i.lane_slots))
        .bind(&i.version)
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

const COLUMNS: &str = "id, node, pid, pid_start, role, started_at, heartbeat_at, stopped_at, host, lane_slots, version";

pub async fn get(store: &Store, id: &str) -> Result<Option<Instance>> {
    let sql = format!("SELECT {COLUMNS} FROM instances WHERE id = ?");
    let sql = store.sql(&sql);
    let row = sqlx::query(&sql).bind(id).fetch_optional(store.reader()).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Instances seen alive since `since` (the workers list).
pub async fn list_recent(store: &Store, since: EpochMs) -> Result<Vec<Instance>> {
    let sql = format!("SELECT {COLUMNS} FROM instances WHERE heartbeat_at >= ? ORDER BY started_at DESC");
    let sql = store.sql(&sql);
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
        host: r.try_get("host")?,
        lane_slots: parse_lane_slots(&r.try_get::<String, _>("lane_slots")?),
        version: r.try_get("version")?,
    })
}
