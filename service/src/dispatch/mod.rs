//! Dispatch: how a QUEUED run reaches a worker with a free slot in its lane.
//!
//! Two transports stand behind one interface, a [`LaneFeed`] per lane that the
//! worker pool asks for the next run whenever it has a free slot:
//!
//! - [`embedded`] (the default): the store is the queue. The feed claims the
//!   lane's next QUEUED run from the `runs` table (`FOR UPDATE SKIP LOCKED` on
//!   the database servers), woken by the scheduler in-process and polling for
//!   runs queued elsewhere.
//! - [`amqp`] (`amqp_url` set): one durable RabbitMQ queue per lane carries run
//!   ids. The leader's publisher puts every QUEUED run's id on its lane queue
//!   with publisher confirms; workers consume with a prefetch of their slots,
//!   claim the run named in the store with the same fenced claim, and
//!   acknowledge only after its outcome is stored.
//!
//! Either way the store remains the source of truth for a run's state: a
//! message only says "run N may be waiting", and a worker handed a run that no
//! longer waits drops the message. So a lost message delays a run (the
//! publisher sends it again) and a duplicate one changes nothing.
//!
//! [`queues`] reports each lane queue's depth for the API. On PostgreSQL,
//! [`pg_wakeups`] wakes idle lanes and the publisher of every process when a run
//! is queued anywhere (LISTEN/NOTIFY); elsewhere they poll.

pub mod amqp;
pub mod embedded;
pub mod pg_wakeups;
pub mod queues;

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::domain::RunId;
use crate::store::runs::Claimed;
use crate::worker::WorkerContext;

pub use queues::{lane_queues, LaneQueue};

/// The transport this process dispatches runs with.
#[derive(Clone, Default)]
pub enum Dispatch {
    /// The store is the queue.
    #[default]
    Embedded,
    /// RabbitMQ lane queues carry run ids.
    Amqp(Arc<amqp::Broker>),
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.transport())
    }
}

impl Dispatch {
    /// The transport `config` asks for. Nothing connects until the AMQP
    /// broker's upkeep task runs ([`amqp::Broker::run`]).
    pub fn from_config(config: &Config, instance: &str) -> Self {
        match &config.amqp {
            None => Dispatch::Embedded,
            Some(amqp) => {
                let lanes = config.lanes.iter().map(|l| l.name.to_string()).collect();
                Dispatch::Amqp(amqp::Broker::new(amqp.clone(), instance, lanes))
            }
        }
    }

    /// `embedded` or `amqp`, as the API names it.
    pub fn transport(&self) -> &'static str {
        match self {
            Dispatch::Embedded => "embedded",
            Dispatch::Amqp(_) => "amqp",
        }
    }

    /// The feed a worker pool takes `lane`'s runs from, with `slots` slots.
    pub fn feed(&self, ctx: &WorkerContext, lane: &str, slots: usize) -> Box<dyn LaneFeed> {
        match self {
            Dispatch::Embedded => Box::new(embedded::EmbeddedFeed::new(ctx.clone(), lane)),
            Dispatch::Amqp(broker) => Box::new(amqp::AmqpFeed::new(broker.clone(), ctx.clone(), lane, slots)),
        }
    }
}

/// What a lane feed has for a free slot.
pub enum Next {
    /// A run claimed for this worker: start it, store its outcome, then
    /// settle the ticket.
    Run(Box<Claimed>, Ticket),
    /// The next run was closed SKIPPED (`forbid`, an earlier run is going);
    /// the slot stays free.
    Skipped(RunId),
    /// Nothing came for a while: check the drain flag and ask again.
    Idle,
    /// `stop` was cancelled.
    Stopped,
}

/// A source of runs for one lane of one worker process.
#[async_trait]
pub trait LaneFeed: Send {
    /// Waits, with a slot reserved, for the next run of the lane. Returns
    /// [`Next::Idle`] now and then so the caller can look at its drain flag.
    async fn next(&mut self, stop: &CancellationToken) -> Next;
}

/// What the worker owes the transport once a run's outcome is stored.
pub enum Ticket {
    /// The embedded queue: the stored outcome is all there is.
    Store,
    /// The AMQP delivery that named the run, acknowledged after its outcome.
    Amqp(lapin::Acker),
}

impl Ticket {
    /// Called after the run's outcome was written (`stored`), or after giving
    /// up on writing it. An AMQP message is acknowledged in the first case; in
    /// the second it is returned to its queue, and whoever gets it next finds
    /// the run no longer waiting (recovery closes it) and drops it. If the
    /// connection it came on has gone, the broker has already requeued it,
    /// with the same result.
    pub async fn settle(self, stored: bool) {
        match self {
            Ticket::Store => {}
            Ticket::Amqp(acker) => amqp::settle(&acker, stored).await,
        }
    }
}
