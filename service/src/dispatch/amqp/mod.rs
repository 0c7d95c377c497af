//! AMQP dispatch on RabbitMQ (lapin). [`Broker`] keeps one connection per
//! process alive: it connects, declares the lane queues and the dead-letter
//! queue, hands out the live [`Session`], and when the connection drops (a
//! broker restart, a network cut) reconnects with exponential backoff. The
//! parts that use it ([`publisher`], the [`AmqpFeed`] of each lane) notice a
//! broken session themselves, report it, and wait for the next one.
//!
//! Why nothing is lost or doubled across a reconnect: a message is only
//! acknowledged after its run's outcome is stored, so the broker requeues every
//! message whose run had not finished when the connection went; the worker
//! that gets it again finds the run RUNNING or finished in the store and only
//! acknowledges it. Runs queued while the broker was away stay unpublished in
//! the store (`runs.published_at` NULL) until the publisher can send them.

mod consumer;
pub mod message;
pub mod publisher;
pub mod topology;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use lapin::options::{BasicNackOptions, BasicRejectOptions};
use lapin::{Connection, ConnectionProperties};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::config::AmqpConfig;
pub use consumer::AmqpFeed;

/// First wait before reconnecting; doubled on each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// How often the connection's state is looked at, besides its error events.
const LIVENESS_CHECK: Duration = Duration::from_millis(500);

/// One live connection. `generation` grows with every reconnect, so a part
/// that saw session N fail never tears down session N + 1.
#[derive(Clone)]
pub struct Session {
    pub generation: u64,
    pub connection: Arc<Connection>,
}

pub struct Broker {
    config: AmqpConfig,
    /// Shown in the broker's connection list: which cronkeeper process this is.
    connection_name: String,
    /// Lanes declared at every connect (this process's configured lanes).
    lanes: Vec<String>,
    session: watch::Sender<Option<Session>>,
    broken: Notify,
}

impl Broker {
    pub fn new(config: AmqpConfig, instance: &str, lanes: Vec<String>) -> Arc<Self> {
        let (session, _) = watch::channel(None);
        Arc::new(Self { config, connection_name: format!("cronkeeper {instance}"), lanes, session, broken: Notify::new() })
    }

    pub fn prefix(&self) -> &str {
        &self.config.prefix
    }

    pub fn lane_queue(&self, lane: &str) -> String {
        topology::lane_queue(&self.config.prefix, lane)
    }

    /// The live session, if connected now.
    pub fn current(&self) -> Option<Session> {
        self.session.borrow().clone()
    }

    /// Waits for a live session; `None` once `stop` is cancelled.
    pub async fn connected(&self, stop: &CancellationToken) -> Option<Session> {
        let mut rx = self.session.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return Some(s);
            }
            tokio::select! {
                _ = stop.cancelled() => return None,
                changed = rx.changed() => if changed.is_err() { return None },
            }
        }
    }

    /// Says that session `generation` failed (a channel or consumer error), so
    /// the upkeep task reconnects at once instead of at its next check.
    pub fn report_broken(&self, generation: u64) {
        if self.current().is_some_and(|s| s.generation == generation) {
            self.broken.notify_one();
        }
    }

    /// Keeps a connection up until `stop`, then closes it (unacknowledged
    /// messages go back to their queues at once). Run this after the worker
    /// pool has drained, since acknowledgements travel on this connection.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut backoff = FIRST_BACKOFF;
        let mut generation = 0;
        loop {
            match self.connect().await {
                Ok(connection) => {
                    generation += 1;
                    backoff = FIRST_BACKOFF;
                    tracing::info!(generation, prefix = %self.config.prefix, "connected to the AMQP broker");
                    let connection = Arc::new(connection);
                    self.session.send_replace(Some(Session { generation, connection: connection.clone() }));
                    let reason = self.watch(&connection, &stop).await;
                    self.session.send_replace(None);
                    if stop.is_cancelled() {
                        let _ = connection.close(200, "cronkeeper stopping".into()).await;
                        tracing::info!("closed the AMQP connection");
                        return;
                    }
                    tracing::warn!(%reason, "lost the AMQP connection; reconnecting");
                    let _ = connection.close(200, "reconnecting".into()).await;
                }
                // lapin's errors name the host, never the URL's password.
                Err(e) => tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot connect to the AMQP broker"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(&self) -> lapin::Result<Connection> {
        let props = ConnectionProperties::default().with_connection_name(self.connection_name.as_str().into());
        let connection = Connection::connect(self.config.url.expose(), props).await?;
        let channel = connection.create_channel().await?;
        topology::declare_dead_letter(&channel, &self.config.prefix).await?;
        for lane in &self.lanes {
            topology::declare_lane(&channel, &self.config.prefix, lane).await?;
        }
        let _ = channel.close(200, "declared".into()).await;
        Ok(connection)
    }

    /// Returns why the connection is no longer usable, or when `stop` fires.
    async fn watch(&self, connection: &Connection, stop: &CancellationToken) -> String {
        let mut events = Box::pin(connection.events_listener());
        loop {
            tokio::select! {
                _ = stop.cancelled() => return "stopping".into(),
                _ = self.broken.notified() => return "a channel on it failed".into(),
                event = events.next() => match event {
                    Some(lapin::Event::Error(e)) => return e.to_string(),
                    Some(_) => {}
                    None => return "its event stream ended".into(),
                },
                _ = tokio::time::sleep(LIVENESS_CHECK) => {
                    let status = connection.status();
                    if !status.connected() {
                        let state = if status.errored() { "errored" } else if status.closed() || status.closing() { "closed" } else { "not connected" };
                        return format!("the connection is {state}");
                    }
                }
            }
        }
    }
}

/// Acknowledges a delivery whose run's outcome is stored, or returns it to its
/// queue when the outcome could not be stored. An error here means the channel
/// it came on is gone, and the broker has requeued the message already.
pub async fn settle(acker: &lapin::Acker, stored: bool) {
    let done = bounded(async {
        if stored {
            acker.ack(Default::default()).await
        } else {
            acker.nack(BasicNackOptions { requeue: true, ..Default::default() }).await
        }
    })
    .await;
    if let Err(e) = done {
        tracing::debug!(error = %e, "could not settle a delivery; the broker requeued it with its channel");
    }
}

/// Sends a message to the dead-letter queue: it names no run this store knows.
pub async fn dead_letter(acker: &lapin::Acker) {
    if let Err(e) = bounded(acker.reject(BasicRejectOptions { requeue: false })).await {
        tracing::debug!(error = %e, "could not dead-letter a delivery; the broker requeued it with its channel");
    }
}

/// How long an ack, nack or reject may take. A delivery that came on a
/// connection the broker dropped (a broker restart) can leave lapin's answer
/// pending forever; the broker has requeued that message already, and whoever
/// gets it finds the run finished and drops it, so giving up is safe, and
/// waiting would hold the worker's slot, and its shutdown, for good.
const SETTLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

async fn bounded<T>(op: impl std::future::Future<Output = lapin::Result<T>>) -> Result<(), String> {
    match tokio::time::timeout(SETTLE_WITHIN, op).await {
        Ok(done) => done.map(|_| ()).map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {SETTLE_WITHIN:?}")),
    }
}

/// Returns a delivery to its queue for another try.
pub async fn requeue(acker: &lapin::Acker) {
    settle(acker, false).await
}
