//! Alerting: someone is told when business-critical work breaks.
//!
//! - [`rule`]: rules as operators write them and their validation.
//! - [`model`]: subjects, observations, alerts, notifications and the pure
//!   lifecycle step (open after N bad, resolve after M good).
//! - [`evaluate`]: run outcomes and a periodic pass turned into observations.
//! - store side: `store::alerts` (trackers, alerts and the outbox, changed together).
//! - [`deliver`]: the outbox deliverer (retries, backoff, Retry-After, fencing).
//! - [`channel`]: Slack Block Kit and the signed generic webhook.
//! - [`deadman`]: pings an outside check while the scheduler ticks.
//!
//! The GraphQL API calls the store functions (`store::alerts::{list_rules,
//! upsert_rule, delete_rule, list_alerts, list_notifications, enqueue_test}`),
//! [`acknowledge`] (which also broadcasts) and subscribes to [`AlertEvents`].

pub mod channel;
pub mod deadman;
pub mod deliver;
pub mod evaluate;
pub mod model;
pub mod queues;
pub mod rule;

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::domain::EpochMs;
use crate::events::Events;
use crate::store::{self, alerts as astore, Store};
pub use model::{Alert, AlertMessage, AlertState, DeliveryStatus, Detail, Notification, NotifyEvent, Observation, Subject};
pub use rule::{Rule, RuleError, RuleInput, RuleKind, Severity};

/// What the `alertEvents` subscription streams.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    Opened(Alert),
    Reminded(Alert),
    Acknowledged(Alert),
    Resolved(Alert),
    NotificationDelivered(Notification),
    /// Gave up on a notification: after its last attempt or a permanent refusal.
    NotificationFailed(Notification),
}

impl AlertEvent {
    pub fn from_change(c: astore::Change) -> Self {
        match c.event {
            NotifyEvent::Opened | NotifyEvent::Test => AlertEvent::Opened(c.alert),
            NotifyEvent::Reminder => AlertEvent::Reminded(c.alert),
            NotifyEvent::Resolved => AlertEvent::Resolved(c.alert),
        }
    }
}

/// In-process fan-out of alert changes; slow listeners lag rather than block.
#[derive(Debug, Clone)]
pub struct AlertEvents {
    tx: broadcast::Sender<AlertEvent>,
}

impl Default for AlertEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl AlertEvents {
    pub fn new() -> Self {
        Self { tx: broadcast::channel(1024).0 }
    }
    pub fn send(&self, e: AlertEvent) {
        let _ = self.tx.send(e);
    }
    pub fn subscribe(&self) -> broadcast::Receiver<AlertEvent> {
        self.tx.subscribe()
    }
}

/// `acknowledgeAlert`: records who took the alert and broadcasts it.
pub async fn acknowledge(store: &Store, events: &AlertEvents, id: i64, by: &str, now: EpochMs) -> store::Result<Option<Alert>> {
    let alert = astore::acknowledge(store, id, by, now).await?;
    if let Some(a) = &alert {
        events.send(AlertEvent::Acknowledged(a.clone()));
    }
    Ok(alert)
}

/// At start: the file's rules and channels are saved (the file is the source of
/// truth for the rules and channels it declares, even over API ones of the
/// same name).
pub async fn apply_config(store: &Store, config: &Config, now: EpochMs) -> store::Result<()> {
    let alerts = &config.alerts;
    for name in store::alert_channels::save_config_channels(store, &alerts.channels, now).await? {
        tracing::warn!(channel = %name, "an alert channel made over the API was replaced by the one the configuration file declares under its name");
    }
    for name in astore::save_config_rules(store, &alerts.rules, now).await? {
        tracing::info!(rule = %name, "deleted an alert rule no longer declared in the configuration file");
    }
    Ok(())
}

/// What [`spawn`] needs from the application.
pub struct Wiring {
    pub store: Store,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub run_events: Events,
    /// A subscription taken before start-up recovery, so the runs it closes
    /// INTERRUPTED reach the evaluator (a later subscription would miss them).
    pub early_run_events: Option<tokio::sync::broadcast::Receiver<crate::events::RunEvent>>,
    pub alert_events: AlertEvents,
    /// The scheduler's last tick, on nodes that run it: enables the periodic
    /// pass, leader_lost and the dead man's switch.
    pub scheduler_tick: Option<Arc<AtomicI64>>,
}

/// Starts the outbox deliverer and the run-outcome evaluator on every node,
/// and the periodic pass and the dead man's switch on scheduler nodes.
pub fn spawn(tasks: &mut JoinSet<()>, w: Wiring, stop: CancellationToken) {
    let deliverer = deliver::Deliverer::new(w.store.clone(), w.clock.clone(), &w.config.alerts, w.alert_events.clone());
    let evaluator = Arc::new(evaluate::Evaluator {
        store: w.store.clone(),
        clock: w.clock.clone(),
        events: w.alert_events.clone(),
        outbox: deliverer.waker(),
        lanes: w.config.lanes.iter().map(|l| (l.name.to_string(), l.slots)).collect(),
        heartbeat_expiry: w.config.heartbeat_expiry,
        scheduler_tick: w.scheduler_tick.clone(),
        depth: Some(crate::consumers::DepthSources::shared(&w.config)),
    });
    tasks.spawn(deliverer.run(stop.clone()));
    let runs = w.early_run_events.unwrap_or_else(|| w.run_events.subscribe_runs());
    tasks.spawn(evaluator.clone().run_events(runs, stop.clone()));
    if let Some(tick) = w.scheduler_tick {
        tasks.spawn(evaluator.run_periodic(w.config.alerts.evaluate_every, stop.clone()));
        if let Some(url) = w.config.alerts.dead_mans_switch_url.clone() {
            let ping = deadman::DeadMansSwitch::new(url, w.config.alerts.dead_mans_switch_every, w.clock.clone(), tick);
            tasks.spawn(ping.run(stop));
        }
    }
}

#[cfg(test)]
mod tests;
