//! The consumer supervisor, one per cronkeeper process with the worker role.
//! Once a second it reads every consumer and every slot from the store and
//! makes this process's share of the world match them:
//!
//! - A consumer wanting `n` processes has slots `0..n`. Each slot is a fenced
//!   lease in `consumer_slots`; this process takes free ones (or ones whose
//!   holder is gone) and runs one process in each ([`super::slot`]). Two
//!   processes, on one node or many, can never hold the same slot, so there
//!   are never more than `n` processes, the thing `consumers_runner` gets wrong.
//! - Slots at or beyond `n` (instances lowered, consumer stopped, parked or
//!   removed) are ended and given up.
//! - `restartConsumer` / `cronkeeper consumers restart` bump the consumer's
//!   generation; processes of an older one are replaced.
//! - Only-when-messages and the idle timeout gate starts and stops on the
//!   watched queue's depth ([`super::idle`]).
//! - `cronkeeper drain` (the store's drain flag) ends every process and takes
//!   no slot until `cronkeeper resume`, so a deployment replaces no code under
//!   a running consumer; `drain --wait` waits for their slots to be released.
//! - Leases are renewed every `heartbeat_interval` and expire after
//!   `heartbeat_expiry`; a lost lease ends the process.
//! - On shutdown every process is ended (TERM, `kill_grace`, KILL of its group)
//!   and its slot released.
//!
//! After a crash (`kill -9`) of cronkeeper, its consumer processes die with it
//! (they are tethered, [`crate::worker::tether`]), so a node that takes the
//! slots after the lease expired never runs beside them. The next cronkeeper
//! on the same node sees the dead holder at once, **ends** any recorded
//! process still there (checked by pid and start time, as run recovery does)
//! and starts a fresh one in the slot. It does not adopt it: the dead
//! supervisor took the output pipe and the exit status with it, so an adopted
//! process could not be watched or judged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::depth::{DepthSources, Transport};
use super::idle::{self, Activity, Gate};
use super::restart::EndReason;
use super::slot::{self, Orders, SlotEnv};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::store::consumers::{self as store_consumers, Held, Slot};
use crate::store::Store;
use crate::worker::context::{current_boot, parse_instance};
use crate::worker::{is_alive, terminate_group, GroupTermination};

const TICK: Duration = Duration::from_secs(1);

struct Running {
    held: Held,
    orders: watch::Sender<Orders>,
    task: JoinHandle<()>,
}

pub struct Supervisor {
    store: Store,
    config: Arc<Config>,
    clock: SharedClock,
    instance: String,
    sources: DepthSources,
    running: HashMap<(String, i64), Running>,
    activity: HashMap<String, Activity>,
    last_renewal: i64,
}

impl Supervisor {
    pub fn new(
        store: Store,
        config: Arc<Config>,
        clock: SharedClock,
        instance: String,
        sources: DepthSources,
    ) -> Self {
        Self {
            store,
            config,
            clock,
            instance,
            sources,
            running: HashMap::new(),
            activity: HashMap::new(),
            last_renewal: 0,
        }
    }

    /// Supervises until `shutdown`, then ends every process it runs.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "consumer supervision pass failed; retrying");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(TICK) => {}
            }
        }
        tracing::info!(
            processes = self.running.len(),
            "stopping consumer processes"
        );
        for r in self.running.values() {
            r.orders.send_modify(|o| o.end = Some(EndReason::Shutdown));
        }
        for (_, r) in self.running.drain() {
            let _ = r.task.await;
        }
    }

    async fn tick(&mut self) -> crate::store::Result<()> {
        let now = self.clock.now_ms();
        self.running.retain(|_, r| !r.task.is_finished());
        let consumers = store_consumers::list(&self.store).await?;
        let slots = store_consumers::slots(&self.store).await?;
        let draining = crate::store::settings::is_draining(&self.store).await?;
        let gates = self.gates(&consumers, now).await;
        let by_name: BTreeMap<&str, _> = consumers.iter().map(|c| (c.name(), c)).collect();

        // Our processes first: end what is no longer wanted, pass on orders.
        for ((name, slot_no), r) in &self.running {
            let end = match by_name.get(name.as_str()) {
                _ if draining => Some(EndReason::Drain),
                None => Some(EndReason::Stop),
                Some(c)
                    if *slot_no >= c.wanted() as i64
                        || !c.definition.runs_on(&self.config.node) =>
                {
                    Some(EndReason::Stop)
                }
                Some(_) if gates.get(name.as_str()).is_some_and(|g| g.stop_idle) => {
                    Some(EndReason::Idle)
                }
                Some(_) => None,
            };
            let consumer = by_name.get(name.as_str());
            r.orders.send_if_modified(|o| {
                let before = o.clone();
                if let Some(c) = consumer {
                    o.definition = c.definition.clone();
                    o.generation = c.restart_generation;
                }
                o.may_start = gates.get(name.as_str()).map_or(true, |g| g.may_start);
                if o.end.is_none() {
                    o.end = end;
                }
                *o != before
            });
        }

        // Then free slots this process may take.
        for c in &consumers {
            let def = &c.definition;
            let wanted = c.wanted() as i64;
            let gate = gates.get(c.name()).copied().unwrap_or(idle::OPEN);
            if draining || wanted == 0 || !gate.may_start || !def.runs_on(&self.config.node) {
                continue;
            }
            for slot_no in 0..wanted {
                if self.running.contains_key(&(c.name().to_string(), slot_no)) {
                    continue;
                }
                let row = slots
                    .iter()
                    .find(|s| s.consumer == c.name() && s.slot == slot_no);
                let dead = row
                    .and_then(|s| s.holder.as_deref())
                    .filter(|h| self.holder_is_dead(h));
                let takeable = match row {
                    None => true,
                    Some(s) => s.holder.is_none() || s.expires_at < now || dead.is_some(),
                };
                if !takeable {
                    continue;
                }
                let ttl = self.config.heartbeat_expiry.as_millis() as i64;
                let Some((previous, held)) = store_consumers::try_claim(
                    &self.store,
                    c.name(),
                    slot_no,
                    &self.instance,
                    dead,
                    ttl,
                    now,
                )
                .await?
                else {
                    continue;
                };
                self.end_leftover(&previous).await;
                let orders = Orders {
                    definition: def.clone(),
                    generation: c.restart_generation,
                    may_start: true,
                    end: None,
                };
                let (tx, rx) = watch::channel(orders);
                let env = SlotEnv {
                    store: self.store.clone(),
                    config: self.config.clone(),
                    clock: self.clock.clone(),
                    node: self.config.node.clone(),
                    boot: current_boot(),
                };
                let task = tokio::spawn(slot::run(env, held.clone(), previous, rx));
                self.running.insert(
                    (c.name().to_string(), slot_no),
                    Running {
                        held,
                        orders: tx,
                        task,
                    },
                );
            }
        }

        // Slots nobody needs any more are forgotten once free.
        for c in &consumers {
            if slots.iter().any(|s| {
                s.consumer == c.name() && s.slot >= c.wanted() as i64 && s.holder.is_none()
            }) {
                store_consumers::delete_free_slots_from(&self.store, c.name(), c.wanted() as i64)
                    .await?;
            }
        }
        for s in slots
            .iter()
            .filter(|s| s.holder.is_none() && !by_name.contains_key(s.consumer.as_str()))
        {
            store_consumers::delete_free_slots_from(&self.store, &s.consumer, 0).await?;
        }

        self.renew(now).await;
        Ok(())
    }

    /// Depth gates for consumers that watch a queue with a known transport.
    async fn gates(
        &mut self,
        consumers: &[crate::consumers::definition::StoredConsumer],
        now: i64,
    ) -> HashMap<String, Gate> {
        let watched: Vec<(String, String, Transport)> = consumers
            .iter()
            .filter(|c| {
                c.wanted() > 0
                    && (c.definition.only_when_messages || c.definition.idle_timeout.is_some())
            })
            .filter_map(|c| {
                let queue = c.definition.watch_queue.clone()?;
                let transport = self
                    .sources
                    .transport_for(c.definition.connection.as_deref())?;
                Some((c.name().to_string(), queue, transport))
            })
            .collect();
        self.activity
            .retain(|name, _| watched.iter().any(|(n, _, _)| n == name));
        if watched.is_empty() {
            return HashMap::new();
        }
        let wanted: Vec<(String, Transport)> =
            watched.iter().map(|(_, q, t)| (q.clone(), *t)).collect();
        let depths = self.sources.read(&wanted, false).await;
        let mut gates = HashMap::new();
        for (name, queue, transport) in watched {
            let c = consumers
                .iter()
                .find(|c| c.name() == name)
                .expect("listed above");
            let d = depths
                .iter()
                .find(|d| d.name == queue && d.transport == transport);
            let activity = self
                .activity
                .entry(name.clone())
                .or_insert_with(|| Activity::new(now));
            let gate = idle::gate(
                &c.definition,
                d.and_then(|d| d.ready),
                d.and_then(|d| d.in_flight),
                now,
                activity,
            );
            gates.insert(name, gate);
        }
        gates
    }

    /// A holder on this node whose process is gone (a crash, `kill -9`): its
    /// slots can be taken at once instead of after the lease expires.
    fn holder_is_dead(&self, holder: &str) -> bool {
        if holder == self.instance {
            return false;
        }
        match parse_instance(holder) {
            Some(p) if p.node == self.config.node => {
                p.boot != current_boot() || !is_alive(p.pid, p.start_ticks)
            }
            _ => false,
        }
    }

    /// Ends the process a dead holder left running in a slot on this node and
    /// boot, identified by pid and start time (a reused pid is never signalled).
    async fn end_leftover(&self, previous: &Slot) {
        let (Some(pid), Some(start)) = (previous.pid, previous.pid_start) else {
            return;
        };
        let here = previous.node.as_deref() == Some(self.config.node.as_str())
            && previous.boot.as_deref() == Some(current_boot().as_str());
        if !here {
            return;
        }
        if let GroupTermination::Ended(end) =
            terminate_group(pid as i32, start as u64, self.config.kill_grace).await
        {
            tracing::warn!(consumer = %previous.consumer, slot = previous.slot, pid, signalled = end.signalled, "ended a consumer process left by a previous cronkeeper");
        }
    }

    async fn renew(&mut self, now: i64) {
        if now - self.last_renewal < self.config.heartbeat_interval.as_millis() as i64 {
            return;
        }
        self.last_renewal = now;
        let ttl = self.config.heartbeat_expiry.as_millis() as i64;
        for r in self.running.values() {
            match store_consumers::renew(&self.store, &r.held, ttl, now).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(consumer = %r.held.consumer, slot = r.held.slot, "lost a consumer slot to another instance; ending its process");
                    r.orders.send_modify(|o| o.end = Some(EndReason::LostSlot));
                }
                Err(e) => {
                    tracing::warn!(consumer = %r.held.consumer, error = %e, "could not renew a consumer slot")
                }
            }
        }
    }
}
