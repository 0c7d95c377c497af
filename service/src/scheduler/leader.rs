//! The scheduler's leader lease: however many `serve` processes share a
//! database, only the one holding the lease `scheduler` materialises runs.
//!
//! The lease lives in the `leases` table with an expiry. The leader renews it at
//! the start of every tick (once a second) for [`LEASE_TTL`]; a follower tries
//! to take it on every tick too, and succeeds once it has expired, so a leader
//! that dies is replaced within `LEASE_TTL` plus one tick (about 11 s). A leader
//! that stops cleanly releases the lease and is replaced on the next tick.
//!
//! Overlap is harmless: should a paused leader wake up after its lease passed
//! to another node, both may materialise for a moment, and the unique
//! `(job_code, fire_key)` index and the transactional fire cursor still make
//! each fire time one run. The lease saves the duplicated work and makes "who
//! schedules" one answer. Expiry is compared with each node's own clock, so
//! nodes' clocks should agree to well under the TTL (NTP does).

use std::time::Duration;

use crate::domain::EpochMs;
use crate::store::{self, Store};
use crate::worker::context::{current_boot, parse_instance};
use crate::worker::is_alive;

/// The lease the scheduler role holds.
pub const SCHEDULER_LEASE: &str = "scheduler";
/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(10);

/// Takes or renews the lease `name` for `holder` until `now + ttl`; true if
/// `holder` holds it afterwards. Atomic on every backend: see
/// [`store::leases::try_acquire_or_renew`].
pub async fn try_acquire_or_renew(store: &Store, name: &str, holder: &str, ttl: Duration, now: EpochMs) -> store::Result<bool> {
    store::leases::try_acquire_or_renew(store, name, holder, ttl.as_millis() as i64, now).await
}

/// One process's claim on a lease, renewed by [`Leader::check`].
#[derive(Debug)]
pub struct Leader {
    store: Store,
    name: String,
    holder: String,
    ttl: Duration,
    held: bool,
}

impl Leader {
    pub fn new(store: Store, name: &str, holder: impl Into<String>) -> Self {
        Self { store, name: name.into(), holder: holder.into(), ttl: LEASE_TTL, held: false }
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether the lease was held at the last [`Leader::check`].
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Takes or renews the lease; true while this process leads. A database
    /// error stops this process leading (a leader that cannot renew must
    /// assume a follower will take over) and is returned: a store that does
    /// not answer is not a healthy follower, and readiness must say so.
    pub async fn check(&mut self, now: EpochMs) -> store::Result<bool> {
        let outcome = self.acquire(now).await;
        if let Err(e) = &outcome {
            tracing::warn!(lease = %self.name, error = %e, "cannot renew the lease; not leading until it can be");
        }
        let held = *outcome.as_ref().unwrap_or(&false);
        if held != self.held {
            if held {
                tracing::info!(lease = %self.name, holder = %self.holder, "lease taken: this process now leads");
            } else {
                tracing::warn!(lease = %self.name, holder = %self.holder, "lease lost: another process leads");
            }
        }
        self.held = held;
        outcome
    }

    async fn acquire(&self, now: EpochMs) -> store::Result<bool> {
        if try_acquire_or_renew(&self.store, &self.name, &self.holder, self.ttl, now).await? {
            return Ok(true);
        }
        // A holder that was a process on this machine, in this boot, and is no
        // longer running (a `kill -9` and restart) is taken over at once,
        // rather than after its lease runs out.
        let Some((current, _)) = store::leases::holder(&self.store, &self.name).await? else { return Ok(false) };
        if !dead_on_this_node(&self.holder, &current) {
            return Ok(false);
        }
        let taken = store::leases::take_over(&self.store, &self.name, &current, &self.holder, self.ttl.as_millis() as i64, now).await?;
        if taken {
            tracing::info!(lease = %self.name, previous = %current, "took the lease over from a process that has died");
        }
        Ok(taken)
    }

    /// Gives the lease up, if held, so a follower takes over on its next tick.
    pub async fn release(&mut self) {
        if self.held {
            if let Err(e) = store::leases::release(&self.store, &self.name, &self.holder).await {
                tracing::warn!(lease = %self.name, error = %e, "cannot release the lease; it will expire");
            }
            self.held = false;
        }
    }
}

/// True if `other` is an instance id of a process that ran on the same node as
/// `me`, in this boot, and is gone.
fn dead_on_this_node(me: &str, other: &str) -> bool {
    let (Some(me), Some(other)) = (parse_instance(me), parse_instance(other)) else { return false };
    me.node == other.node && other.boot == current_boot() && !is_alive(other.pid, other.start_ticks)
}
