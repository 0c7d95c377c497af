//! Capacity and who is working: lanes (slots, busy, queued, oldest queued age)
//! and the cronkeeper instances (`workers`). Queues and their consumers are in
//! [`super::consumers`].

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{datetime, state};
use crate::api::errors::IntoGql;

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
    /// `node/pid/start`: unique for one process life.
    pub id: String,
    pub node: String,
    pub pid: i32,
    pub role: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Heartbeat within the expiry window and not stopped.
    pub alive: bool,
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
        Ok(found
            .into_iter()
            .map(|i| Worker {
                alive: i.stopped_at.is_none() && now - i.heartbeat_at <= expiry,
                id: i.id,
                node: i.node,
                pid: i.pid,
                role: i.role,
                started_at: datetime(i.started_at),
                heartbeat_at: datetime(i.heartbeat_at),
                stopped_at: i.stopped_at.map(datetime),
            })
            .collect())
    }
}
