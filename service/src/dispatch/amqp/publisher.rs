//! The publisher: puts the id of every QUEUED run on its lane queue, the
//! transactional-outbox way. The store says which runs are QUEUED and not yet
//! published (`runs.published_at` NULL); each is published as a persistent
//! message, and marked published only once the broker has confirmed it. A
//! broker that is down, a connection that drops mid-batch, a crash between
//! the confirm and the mark: each leaves runs unmarked, and they are published
//! on a later pass. At worst a run is published twice, which is harmless (the
//! second message finds the run no longer waiting and is dropped).
//!
//! Now and then it also publishes again the QUEUED runs published long ago:
//! a minute ago when their lane queue is empty (the message cannot be waiting
//! in it), ten minutes ago in any case. That covers messages the broker lost
//! (a queue deleted by hand, a broker that lost its disk) without trusting it.
//!
//! One process publishes at a time, the holder of the `dispatch` lease, so a
//! run queued once is published once; the lease moves like the scheduler's.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::Channel;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{message, topology, Broker};
use crate::clock::SharedClock;
use crate::domain::{EpochMs, RunId};
use crate::scheduler::leader::Leader;
use crate::store::publish::{self, ToPublish};
use crate::store::Store;

/// The lease that makes one process the publisher.
pub const DISPATCH_LEASE: &str = "dispatch";
/// Runs published per batch; a full batch is followed by the next at once.
const BATCH: i64 = 500;
/// How often the store is looked at when nothing woke the publisher (runs
/// queued by other processes: retries on worker nodes, API calls elsewhere).
const POLL: Duration = Duration::from_millis(200);
const LEASE_EVERY_MS: i64 = 1_000;
const SWEEP_EVERY_MS: i64 = 30_000;
/// Republished when still QUEUED this long after publishing, with the lane queue empty.
const REPUBLISH_IDLE_MS: i64 = 60_000;
/// Republished when still QUEUED this long after publishing, whatever the queue holds.
const REPUBLISH_ANYWAY_MS: i64 = 600_000;

pub struct Publisher {
    pub broker: Arc<Broker>,
    pub store: Store,
    pub clock: SharedClock,
    /// Poked when this process queues a run (`Wakeups::any_lane`).
    pub wake: Arc<Notify>,
    /// This process's instance id, the lease holder's name.
    pub instance: String,
    /// Lanes swept for lost messages, besides the ones published to.
    pub lanes: Vec<String>,
}

/// The confirm-mode channel of one session, and the lane queues it declared.
struct Outlet {
    generation: u64,
    channel: Channel,
    declared: HashSet<String>,
}

impl Publisher {
    pub async fn run(self, stop: CancellationToken) {
        let mut leader = Leader::new(self.store.clone(), DISPATCH_LEASE, self.instance.clone());
        let mut leading = false;
        let mut lease_checked: EpochMs = 0;
        let mut last_sweep: EpochMs = self.clock.now_ms();
        let mut outlet: Option<Outlet> = None;
        while !stop.is_cancelled() {
            let now = self.clock.now_ms();
            if now - lease_checked >= LEASE_EVERY_MS {
                // A lease that cannot be renewed is not held: publish nothing
                // until the database answers again (the runs wait as unpublished).
                leading = match leader.check(now).await {
                    Ok(held) => held,
                    Err(e) => {
                        tracing::warn!(error = %e, "renewing the dispatch lease failed; not publishing until it works");
                        false
                    }
                };
                lease_checked = now;
            }
            let mut more = false;
            if leading {
                match self.pass(&mut outlet, now, &mut last_sweep).await {
                    Ok(full) => more = full,
                    Err(e) => {
                        tracing::warn!(error = %e, "publishing runs failed; they stay unpublished and are sent on a later pass");
                        if let Some(o) = outlet.take() {
                            self.broker.report_broken(o.generation);
                        }
                    }
                }
            }
            if more {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        leader.release().await;
    }

    /// One pass; true when a full batch went out and more may be waiting.
    async fn pass(&self, outlet: &mut Option<Outlet>, now: EpochMs, last_sweep: &mut EpochMs) -> anyhow::Result<bool> {
        let Some(out) = self.outlet(outlet).await? else { return Ok(false) };
        let batch = publish::unpublished(&self.store, BATCH).await?;
        let sent = self.publish(out, &batch).await?;
        publish::mark_published(&self.store, &sent, now).await?;
        if now - *last_sweep >= SWEEP_EVERY_MS {
            *last_sweep = now;
            self.sweep(out, now).await?;
        }
        Ok(batch.len() as i64 == BATCH)
    }

    /// The channel for the live session, opened in confirm mode; `None` while
    /// the broker is unreachable.
    async fn outlet<'a>(&self, outlet: &'a mut Option<Outlet>) -> lapin::Result<Option<&'a mut Outlet>> {
        let Some(session) = self.broker.current() else {
            *outlet = None;
            return Ok(None);
        };
        if outlet.as_ref().map(|o| o.generation) != Some(session.generation) {
            let channel = session.connection.create_channel().await?;
            channel.confirm_select(ConfirmSelectOptions::default()).await?;
            *outlet = Some(Outlet { generation: session.generation, channel, declared: HashSet::new() });
        }
        Ok(outlet.as_mut())
    }

    /// Publishes the runs' ids and returns those the broker confirmed.
    async fn publish(&self, out: &mut Outlet, runs: &[ToPublish]) -> lapin::Result<Vec<RunId>> {
        let mut pending = Vec::with_capacity(runs.len());
        for run in runs {
            if !out.declared.contains(&run.lane) {
                topology::declare_lane(&out.channel, self.broker.prefix(), &run.lane).await?;
                out.declared.insert(run.lane.clone());
            }
            let queue = self.broker.lane_queue(&run.lane);
            // Mandatory: a message no queue takes comes back instead of vanishing.
            let options = BasicPublishOptions { mandatory: true, ..Default::default() };
            let confirm = out.channel.basic_publish("".into(), queue.as_str().into(), options, &message::body(run.id), message::properties(run.id, run.priority)).await?;
            pending.push((run.id, confirm));
        }
        let mut confirmed = Vec::with_capacity(pending.len());
        for (id, confirm) in pending {
            let confirmation = confirm.await?;
            let acked = confirmation.is_ack();
            match confirmation.take_message() {
                None if acked => confirmed.push(id),
                Some(returned) => tracing::warn!(run = id, reply = %returned.reply_text, "the broker returned a run's message; it will be published again"),
                None => tracing::warn!(run = id, "the broker refused a run's message; it will be published again"),
            }
        }
        Ok(confirmed)
    }

    /// Publishes again the runs that still wait long after their message went out.
    async fn sweep(&self, out: &mut Outlet, now: EpochMs) -> anyhow::Result<()> {
        let mut lanes: Vec<String> = self.lanes.clone();
        lanes.extend(out.declared.iter().filter(|l| !self.lanes.contains(l)).cloned());
        let Some(session) = self.broker.current() else { return Ok(()) };
        for lane in lanes {
            // A channel per look: a passive declare of a missing queue closes it.
            let probe = session.connection.create_channel().await?;
            let ready = topology::inspect(&probe, &self.broker.lane_queue(&lane)).await?.map(|(ready, _)| ready);
            let _ = probe.close(200, "inspected".into()).await;
            let after = if ready.unwrap_or(0) == 0 { REPUBLISH_IDLE_MS } else { REPUBLISH_ANYWAY_MS };
            let stale = publish::published_before(&self.store, &lane, now - after, BATCH).await?;
            if stale.is_empty() {
                continue;
            }
            let sent = self.publish(out, &stale).await?;
            publish::mark_published(&self.store, &sent, now).await?;
            tracing::warn!(lane = %lane, runs = sent.len(), waited_s = after / 1000, "published again runs still queued long after their message went out");
        }
        Ok(())
    }
}
