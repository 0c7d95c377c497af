//! Capacity and who is working: lanes (slots, busy, queued, oldest queued age)
//! and the cronkeeper instances (`workers`). Queues and their consumers are in
//! [`super::consumers`].

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{datetime, state};
use crate::api::errors::IntoGql;
use crate::store::instances::InstanceStatus;

#[derive(SimpleObject)]
pub struct Lane {
    pub name: String,
    /// Runs the lane may run at once.
    pub slots: i32,
    /// Runs RUNNING now.
    pub busy: i64,
    /// Runs QUEUED and waiting for a slot.
    pub queued: i64,
    pub oldest_queued_at: Option<DateTime<Utc>>,
    /// Seconds the oldest queued run has waited; null when none waits.
    pub oldest_queued_age_seconds: Option<f64>,
    /// The lane's default run timeout, if it has its own.
    pub default_timeout_seconds: Option<i64>,
}

/// A cronkeeper process that has been heard from recently.
#[derive(SimpleObject)]
pub struct Worker {
    /// `node:pid:start_ticks:boot`: unique for one process life.
    pub id: String,
    /// The configured node name (`node`, the host name by default).
    pub node: String,
    /// The machine's host name.
    pub host: String,
    pub pid: i32,
    /// `serve` (all-in-one) or `worker` (`cronkeeper worker`).
    pub role: String,
    /// The cronkeeper version it runs.
    pub version: String,
    /// The lanes it works, in the order it was given them.
    pub lanes: Vec<String>,
    /// Its slots across all its lanes.
    pub slots: i32,
    /// Runs it holds RUNNING now.
    pub busy: i64,
    /// Slots and busy runs per lane.
    pub lane_slots: Vec<WorkerLane>,
    pub status: WorkerStatus,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// Same as `heartbeatAt`.
    pub last_heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Heartbeat within the expiry window and not stopped (status ACTIVE).
    pub alive: bool,
}

/// One lane of a worker.
#[derive(SimpleObject)]
pub struct WorkerLane {
    pub lane: String,
    pub slots: i32,
    pub busy: i64,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WorkerStatus {
    /// Heartbeating.
    Active,
    /// Shut down cleanly (deregistered).
    Stopped,
    /// No heartbeat for longer than `heartbeat_expiry`: its runs are closed
    /// INTERRUPTED by recovery and retried per policy.
    Lost,
}

#[derive(Default)]
pub struct LanesQuery;

#[Object]
impl LanesQuery {
    /// Every configured lane with its current load.
    async fn lanes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Lane>> {
        let st = state(ctx);
        let now = st.clock.now_ms();
        let figures = crate::store::runs::lane_figures(&st.store).await.gql()?;
        Ok(st
            .config
            .lanes
            .iter()
            .map(|l| {
                let f = figures.iter().find(|f| f.lane == l.name.as_str()).cloned().unwrap_or_default();
                Lane {
                    name: l.name.to_string(),
                    slots: l.slots as i32,
                    busy: f.running,
                    queued: f.queued,
                    oldest_queued_at: f.oldest_queued_at.map(datetime),
                    oldest_queued_age_seconds: f.oldest_queued_at.map(|t| (now - t).max(0) as f64 / 1000.0),
                    default_timeout_seconds: l.default_timeout.map(|d| d.as_secs() as i64),
                }
            })
            .collect())
    }

    /// cronkeeper instances heard from in the last hour, newest first.
    async fn workers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Worker>> {
        let st = state(ctx);
        let now = st.clock.now_ms();
        let expiry = st.config.heartbeat_expiry.as_millis() as i64;
        let found = crate::store::instances::list_recent(&st.store, now - 3_600_000).await.gql()?;
        let running = crate::store::runs::running_by_worker(&st.store).await.gql()?;
        Ok(found
            .into_iter()
            .map(|i| {
                let held = |lane: Option<&str>| running.iter().filter(|(w, l, _)| *w == i.id && lane.map_or(true, |lane| lane == l)).map(|(_, _, n)| n).sum::<i64>();
                let status = match i.status(now, expiry) {
                    InstanceStatus::Active => WorkerStatus::Active,
                    InstanceStatus::Stopped => WorkerStatus::Stopped,
                    InstanceStatus::Lost => WorkerStatus::Lost,
                };
                Worker {
                    alive: status == WorkerStatus::Active,
                    busy: held(None),
                    lanes: i.lane_slots.iter().map(|(l, _)| l.clone()).collect(),
                    slots: i.lane_slots.iter().map(|(_, n)| *n as i32).sum(),
                    lane_slots: i.lane_slots.iter().map(|(l, n)| WorkerLane { lane: l.clone(), slots: *n as i32, busy: held(Some(l)) }).collect(),
                    status,
                    node: i.node,
                    host: i.host,
                    pid: i.pid,
                    role: i.role,
                    version: i.version,
                    started_at: datetime(i.started_at),
                    heartbeat_at: datetime(i.heartbeat_at),
                    last_heartbeat_at: datetime(i.heartbeat_at),
                    stopped_at: i.stopped_at.map(datetime),
                    id: i.id,
                }
            })
            .collect())
    }
}
