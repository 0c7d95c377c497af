//! Lane queue depths for the API's `queues`: for every configured lane, how
//! many runs wait (`ready`), how many are being worked (`in_flight`) and how
//! many consumers serve it.
//!
//! - AMQP: `ready` and `consumers` come from the broker by passive declare (no
//!   management plugin needed). AMQP 0-9-1 does not report unacknowledged
//!   messages, so `in_flight` is the lane's RUNNING runs in the store: a worker
//!   holds one unacknowledged message per run it runs.
//! - Embedded: the queue is the store: `ready` is the lane's QUEUED runs,
//!   `in_flight` its RUNNING ones, and `consumers` the live worker processes
//!   that work the lane.
//!
//! A broker that cannot be reached leaves `ready` and `consumers` unknown
//! (`None`) rather than failing the whole answer.

use crate::config::Config;
use crate::domain::EpochMs;
use crate::store::{self, instances, Store};

use super::{amqp, Dispatch};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneQueue {
    /// The broker queue (`cronkeeper.lane.default`), or the lane's name when embedded.
    pub name: String,
    pub lane: String,
    /// `amqp` or `embedded`.
    pub transport: &'static str,
    pub ready: Option<i64>,
    pub in_flight: Option<i64>,
    pub consumers: Option<i64>,
}

/// One entry per configured lane, in configuration order.
pub async fn lane_queues(dispatch: &Dispatch, store: &Store, config: &Config, now: EpochMs) -> store::Result<Vec<LaneQueue>> {
    let figures = store::runs::lane_figures(store).await?;
    let figure = |lane: &str| figures.iter().find(|f| f.lane == lane).cloned().unwrap_or_default();
    let lanes: Vec<String> = config.lanes.iter().map(|l| l.name.to_string()).collect();
    match dispatch {
        Dispatch::Embedded => {
            let expiry = config.heartbeat_expiry.as_millis() as i64;
            let live: Vec<_> = instances::list_recent(store, now - expiry).await?.into_iter().filter(|i| i.status(now, expiry) == instances::InstanceStatus::Active).collect();
            Ok(lanes
                .into_iter()
                .map(|lane| {
                    let f = figure(&lane);
                    let consumers = live.iter().filter(|i| i.lane_slots.iter().any(|(l, _)| *l == lane)).count() as i64;
                    LaneQueue { name: lane.clone(), lane, transport: "embedded", ready: Some(f.queued), in_flight: Some(f.running), consumers: Some(consumers) }
                })
                .collect())
        }
        Dispatch::Amqp(broker) => {
            let mut out = Vec::with_capacity(lanes.len());
            for lane in lanes {
                let name = broker.lane_queue(&lane);
                let state = inspect(broker, &name).await;
                let f = figure(&lane);
                out.push(LaneQueue {
                    name,
                    lane,
                    transport: "amqp",
                    ready: state.map(|(ready, _)| ready as i64),
                    in_flight: Some(f.running),
                    consumers: state.map(|(_, consumers)| consumers as i64),
                });
            }
            Ok(out)
        }
    }
}

/// (ready, consumers) of `queue`, on a channel of its own (a passive declare
/// of a missing queue closes its channel); `None` when unknown.
async fn inspect(broker: &amqp::Broker, queue: &str) -> Option<(u32, u32)> {
    let session = broker.current()?;
    let looked = async {
        let channel = session.connection.create_channel().await?;
        let state = amqp::topology::inspect(&channel, queue).await;
        let _ = channel.close(200, "inspected".into()).await;
        state
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), looked).await {
        Ok(Ok(state)) => state,
        Ok(Err(e)) => {
            tracing::warn!(queue, error = %e, "cannot read a lane queue's depth");
            None
        }
        Err(_) => {
            tracing::warn!(queue, "reading a lane queue's depth timed out");
            None
        }
    }
}
