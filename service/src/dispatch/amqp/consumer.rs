//! A worker's feed for one lane over AMQP: a consumer on the lane queue with a
//! prefetch of the lane's slots and manual acknowledgements. Each message
//! names a run; the run is claimed in the store with the same fenced claim as
//! the embedded queue, and the message is acknowledged only after the run's
//! outcome is stored (see [`crate::dispatch::Ticket`]). Since a worker asks for
//! a message only when it has a free slot and holds each one until its run
//! ends, the broker never hands a worker more runs than it has free slots.
//!
//! A message whose run no longer waits (redelivered after a broker restart,
//! already taken by another worker, published twice) is acknowledged and
//! dropped. One that names no run, or a run of another lane, is dead-lettered.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};
use tokio_util::sync::CancellationToken;

use super::{message, topology, Broker, Session};
use crate::dispatch::{LaneFeed, Next, Ticket};
use crate::store::runs::{self, ClaimById, ClaimOutcome};
use crate::worker::WorkerContext;

/// With nothing delivered for this long, [`LaneFeed::next`] returns
/// [`Next::Idle`] so the pool can look at its drain flag.
const IDLE_AFTER: Duration = Duration::from_millis(500);
/// Before a message whose run another claimer holds locked goes back.
const LOCKED_PAUSE: Duration = Duration::from_millis(100);
/// A locked run is most often locked by the publisher stamping `published_at`
/// right after the broker confirmed the message we just got, for a millisecond
/// or two: look again this often, this many times, before the pause and requeue.
const LOCKED_RETRY: Duration = Duration::from_millis(3);
const LOCKED_RETRIES: u32 = 8;

pub struct AmqpFeed {
    broker: Arc<Broker>,
    ctx: WorkerContext,
    lane: String,
    queue: String,
    prefetch: u16,
    live: Option<Live>,
}

/// The channel and consumer of one session.
struct Live {
    generation: u64,
    _channel: Channel,
    consumer: Consumer,
}

impl AmqpFeed {
    pub fn new(broker: Arc<Broker>, ctx: WorkerContext, lane: &str, slots: usize) -> Self {
        let queue = broker.lane_queue(lane);
        Self { broker, ctx, lane: lane.to_string(), queue, prefetch: slots.clamp(1, u16::MAX as usize) as u16, live: None }
    }

    async fn open(&self, session: &Session) -> lapin::Result<Live> {
        let channel = session.connection.create_channel().await?;
        channel.basic_qos(self.prefetch, BasicQosOptions::default()).await?;
        // Declared here too: the process that connected may not know this lane.
        topology::declare_lane(&channel, self.broker.prefix(), &self.lane).await?;
        let tag = format!("{} {}", self.ctx.instance, self.lane);
        let consumer = channel.basic_consume(self.queue.as_str().into(), tag.as_str().into(), BasicConsumeOptions::default(), FieldTable::default()).await?;
        tracing::info!(lane = %self.lane, queue = %self.queue, prefetch = self.prefetch, "consuming the lane queue");
        Ok(Live { generation: session.generation, _channel: channel, consumer })
    }

    /// What to do with one delivery; `None` when it was settled here and the
    /// slot is still free.
    async fn handle(&self, delivery: lapin::message::Delivery, stop: &CancellationToken) -> Option<Next> {
        let acker = delivery.acker;
        let id = match message::parse(&delivery.data) {
            Ok(id) => id,
            Err(why) => {
                tracing::warn!(lane = %self.lane, %why, "dead-lettering a message that names no run");
                super::dead_letter(&acker).await;
                return None;
            }
        };
        let mut retries = 0;
        let claimed = loop {
            let claimed = runs::claim_by_id(&self.ctx.store, id, &self.lane, &self.ctx.instance, self.ctx.now()).await;
            if !matches!(claimed, Ok(ClaimById::Locked)) || retries == LOCKED_RETRIES || stop.is_cancelled() {
                break claimed;
            }
            retries += 1;
            tokio::time::sleep(LOCKED_RETRY).await;
        };
        match claimed {
            Ok(ClaimById::Claimed(ClaimOutcome::Run(claimed))) => return Some(Next::Run(claimed, Ticket::Amqp(acker))),
            Ok(ClaimById::Claimed(ClaimOutcome::Skipped(entry))) => {
                super::settle(&acker, true).await;
                return Some(Next::Skipped(entry));
            }
            Ok(ClaimById::NotWaiting(status)) => {
                tracing::debug!(run = id, status = status.as_str(), redelivered = delivery.redelivered, "the run no longer waits; message acknowledged");
                super::settle(&acker, true).await;
            }
            Ok(ClaimById::Unknown) => {
                tracing::warn!(run = id, lane = %self.lane, "dead-lettering a message for a run the store does not have");
                super::dead_letter(&acker).await;
            }
            Ok(ClaimById::OtherLane(lane)) => {
                tracing::warn!(run = id, queue = %self.queue, run_lane = %lane, "dead-lettering a message for a run of another lane");
                super::dead_letter(&acker).await;
            }
            Ok(ClaimById::Locked | ClaimById::Claimed(ClaimOutcome::Empty)) => {
                // Another worker is claiming it this instant: once it has, the
                // message comes back to someone who finds the run taken.
                pause(stop, LOCKED_PAUSE).await;
                super::requeue(&acker).await;
            }
            Err(e) => {
                tracing::error!(run = id, lane = %self.lane, error = %e, "claiming a run failed; its message goes back to the queue");
                pause(stop, Duration::from_secs(1)).await;
                super::requeue(&acker).await;
            }
        }
        None
    }
}

async fn pause(stop: &CancellationToken, d: Duration) {
    tokio::select! { _ = stop.cancelled() => {}, _ = tokio::time::sleep(d) => {} }
}

#[async_trait]
impl LaneFeed for AmqpFeed {
    async fn next(&mut self, stop: &CancellationToken) -> Next {
        loop {
            // A session that was replaced (a reconnect) takes its consumer with it.
            if let Some(live) = &self.live {
                if self.broker.current().map(|s| s.generation) != Some(live.generation) {
                    self.live = None;
                }
            }
            if self.live.is_none() {
                let session = tokio::select! {
                    _ = stop.cancelled() => return Next::Stopped,
                    _ = tokio::time::sleep(IDLE_AFTER) => return Next::Idle,
                    s = self.broker.connected(stop) => match s { Some(s) => s, None => return Next::Stopped },
                };
                match self.open(&session).await {
                    Ok(live) => self.live = Some(live),
                    Err(e) => {
                        tracing::warn!(lane = %self.lane, error = %e, "cannot consume the lane queue; waiting for a new connection");
                        self.broker.report_broken(session.generation);
                        pause(stop, IDLE_AFTER).await;
                        return Next::Idle;
                    }
                }
            }
            let live = self.live.as_mut().expect("opened above");
            let delivery = tokio::select! {
                _ = stop.cancelled() => return Next::Stopped,
                _ = tokio::time::sleep(IDLE_AFTER) => return Next::Idle,
                d = live.consumer.next() => d,
            };
            match delivery {
                Some(Ok(delivery)) => {
                    if let Some(next) = self.handle(delivery, stop).await {
                        return next;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(lane = %self.lane, error = %e, "the lane consumer failed");
                    self.broker.report_broken(live.generation);
                    self.live = None;
                }
                None => {
                    tracing::warn!(lane = %self.lane, "the broker cancelled the lane consumer");
                    self.broker.report_broken(live.generation);
                    self.live = None;
                }
            }
        }
    }
}
