//! What the API (and alerting) show: each consumer with its processes and an
//! overall state, and each queue with its depth and the consumers on it. Read
//! from the store (shared by every node) and the depth sources.

use super::definition::StoredConsumer;
use super::depth::{DepthSources, QueueDepth, Transport};
use crate::store::consumers::{self as store_consumers, Slot};
use crate::store::{self, Store};

/// A consumer's state, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerState {
    /// All wanted processes are running.
    Running,
    /// Fewer processes than wanted, none of them backing off.
    Starting,
    /// A process failed and waits out its backoff.
    Backoff,
    /// No process: waiting for messages (only-when-messages or idle).
    Waiting,
    /// Stopped by an operator.
    Stopped,
    /// Parked after a crash loop; `startConsumer` brings it back.
    Parked,
    /// Zero instances wanted.
    Disabled,
    /// `cronkeeper drain` is in effect: processes are ended and none started
    /// until `cronkeeper resume`.
    Drained,
}

impl ConsumerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Starting => "starting",
            Self::Backoff => "backoff",
            Self::Waiting => "waiting",
            Self::Stopped => "stopped",
            Self::Parked => "parked",
            Self::Disabled => "disabled",
            Self::Drained => "drained",
        }
    }
}

pub struct ConsumerView {
    pub consumer: StoredConsumer,
    /// Slots held by a cronkeeper process (running, starting or backing off).
    pub processes: Vec<Slot>,
    pub state: ConsumerState,
}

pub fn state_of(c: &StoredConsumer, held: &[Slot], draining: bool) -> ConsumerState {
    if c.parked_at.is_some() {
        return ConsumerState::Parked;
    }
    if c.stopped {
        return ConsumerState::Stopped;
    }
    if c.definition.instances == 0 {
        return ConsumerState::Disabled;
    }
    if draining {
        return ConsumerState::Drained;
    }
    let running = held
        .iter()
        .filter(|s| s.state == "running" && s.pid.is_some())
        .count() as u32;
    if running >= c.definition.instances {
        return ConsumerState::Running;
    }
    if held.iter().any(|s| s.state == "backoff") {
        return ConsumerState::Backoff;
    }
    if held.is_empty() && (c.definition.only_when_messages || c.definition.idle_timeout.is_some()) {
        return ConsumerState::Waiting;
    }
    ConsumerState::Starting
}

pub async fn consumers(store: &Store) -> store::Result<Vec<ConsumerView>> {
    let consumers = store_consumers::list(store).await?;
    let slots = store_consumers::slots(store).await?;
    let draining = store::settings::is_draining(store).await?;
    Ok(consumers
        .into_iter()
        .map(|c| {
            let held: Vec<Slot> = slots
                .iter()
                .filter(|s| s.consumer == c.name() && s.holder.is_some())
                .cloned()
                .collect();
            let state = state_of(&c, &held, draining);
            ConsumerView {
                consumer: c,
                processes: held,
                state,
            }
        })
        .collect())
}

pub struct QueueView {
    pub depth: QueueDepth,
    /// The lane of the first consumer watching the queue.
    pub lane: Option<String>,
    /// Consumers on the queue: the broker's count for AMQP, else the
    /// supervised processes of the consumers that watch it.
    pub consumers: i64,
}

/// Every queue a consumer watches, and every queue in Magento's MySQL queue.
pub async fn queues(store: &Store, sources: &DepthSources) -> store::Result<Vec<QueueView>> {
    let views = consumers(store).await?;
    let watched: Vec<(String, Transport, &ConsumerView)> = views
        .iter()
        .filter_map(|v| {
            let q = v.consumer.definition.watch_queue.clone()?;
            let transport = sources
                .transport_for(v.consumer.definition.connection.as_deref())
                .unwrap_or(match v.consumer.definition.connection.as_deref() {
                    Some("db") => Transport::Mysql,
                    _ => Transport::Amqp,
                });
            Some((q, transport, v))
        })
        .collect();
    let mut wanted: Vec<(String, Transport)> =
        watched.iter().map(|(q, t, _)| (q.clone(), *t)).collect();
    wanted.sort();
    wanted.dedup();
    let depths = sources.read(&wanted, true).await;
    Ok(depths
        .into_iter()
        .map(|depth| {
            let on_it: Vec<&ConsumerView> = watched
                .iter()
                .filter(|(q, t, _)| *q == depth.name && *t == depth.transport)
                .map(|(_, _, v)| *v)
                .collect();
            let supervised = on_it
                .iter()
                .map(|v| v.processes.iter().filter(|s| s.pid.is_some()).count() as i64)
                .sum();
            QueueView {
                lane: on_it
                    .first()
                    .map(|v| v.consumer.definition.lane.to_string()),
                consumers: depth.broker_consumers.unwrap_or(supervised),
                depth,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumers::definition::{ConsumerDefinition, ConsumerSource};

    fn slot(state: &str, pid: Option<i64>) -> Slot {
        Slot {
            state: state.into(),
            pid,
            holder: Some("me".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_state_summarises_switches_and_processes() {
        let mut c = StoredConsumer::new(ConsumerDefinition::new("x"), ConsumerSource::Magento, 0);
        c.definition.instances = 2;
        assert_eq!(
            state_of(
                &c,
                &[slot("running", Some(1)), slot("running", Some(2))],
                false
            ),
            ConsumerState::Running
        );
        assert_eq!(
            state_of(&c, &[slot("running", Some(1))], false),
            ConsumerState::Starting
        );
        assert_eq!(
            state_of(
                &c,
                &[slot("running", Some(1)), slot("backoff", None)],
                false
            ),
            ConsumerState::Backoff
        );
        c.definition.only_when_messages = true;
        assert_eq!(state_of(&c, &[], false), ConsumerState::Waiting);
        assert_eq!(
            state_of(&c, &[slot("running", Some(1))], true),
            ConsumerState::Drained,
            "a drain shows, also while its processes are being ended"
        );
        c.stopped = true;
        assert_eq!(state_of(&c, &[], false), ConsumerState::Stopped);
        c.parked_at = Some(5);
        assert_eq!(state_of(&c, &[], false), ConsumerState::Parked);
        c.parked_at = None;
        c.stopped = false;
        c.definition.instances = 0;
        assert_eq!(state_of(&c, &[], false), ConsumerState::Disabled);
        assert_eq!(state_of(&c, &[], true), ConsumerState::Disabled);
    }
}
