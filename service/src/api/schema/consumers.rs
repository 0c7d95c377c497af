//! Magento queue consumers and queue depths: `consumers`, `queues`,
//! `queueDepthHistory`, and the mutations that start, stop, restart, resize
//! and sync consumers. Viewing is open to every role; start, stop, restart
//! and resizing need operator; the Magento sync needs admin. Every mutation
//! is audited by [`mutation`].

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{datetime, state};
use crate::api::audit::mutation;
use crate::api::auth::Role;
use crate::api::errors::{ApiError, IntoGql};
use crate::consumers::actions::{self as consumer_actions, ConsumerChanges};
use crate::consumers::depth::Transport;
use crate::consumers::overview::{self, ConsumerState, ConsumerView};
use crate::consumers::sync::MagentoConsumerDef;
use crate::consumers::{ConsumerSource, DepthSources};
use crate::store::consumers::Slot;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ConsumerSource")]
pub enum ConsumerSourceGql {
    /// `[[consumers]]` in the configuration file.
    Config,
    /// Magento's queue_consumer.xml (import or `syncMagentoConsumers`).
    Magento,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ConsumerState")]
pub enum ConsumerStateGql {
    /// Every wanted process runs.
    Running,
    /// Fewer processes than wanted, none backing off.
    Starting,
    /// A process failed and waits out its restart backoff.
    Backoff,
    /// No process: waiting for messages (only-when-messages or idle timeout).
    Waiting,
    /// Stopped by an operator (`stopConsumer`).
    Stopped,
    /// Parked after a crash loop; `startConsumer` brings it back.
    Parked,
    /// Zero instances wanted.
    Disabled,
    /// `cronkeeper drain` is in effect: no process runs until `cronkeeper resume`.
    Drained,
}

impl From<ConsumerState> for ConsumerStateGql {
    fn from(s: ConsumerState) -> Self {
        match s {
            ConsumerState::Running => Self::Running,
            ConsumerState::Starting => Self::Starting,
            ConsumerState::Backoff => Self::Backoff,
            ConsumerState::Waiting => Self::Waiting,
            ConsumerState::Stopped => Self::Stopped,
            ConsumerState::Parked => Self::Parked,
            ConsumerState::Disabled => Self::Disabled,
            ConsumerState::Drained => Self::Drained,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "QueueTransport")]
pub enum QueueTransportGql {
    /// RabbitMQ (passive declares).
    Amqp,
    /// Magento's MySQL queue (`db` connection).
    Mysql,
    /// A lane queue of cronkeeper's embedded dispatch: the lane's QUEUED runs in the store.
    Embedded,
}

impl From<Transport> for QueueTransportGql {
    fn from(t: Transport) -> Self {
        match t {
            Transport::Amqp => Self::Amqp,
            Transport::Mysql => Self::Mysql,
        }
    }
}

/// One process slot of a consumer.
#[derive(SimpleObject)]
pub struct ConsumerProcess {
    /// Slot number, 0 to instances - 1: at most one process per slot, on any node.
    pub slot: i32,
    /// Null between two processes (backoff, replacement).
    pub pid: Option<i32>,
    pub node: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// Starts after an exit in this slot since it was first filled.
    pub restarts: i32,
    pub last_exit_code: Option<i32>,
    pub last_exit_reason: Option<String>,
    pub last_exit_at: Option<DateTime<Utc>>,
    /// The last 4 KiB of the previous process's output.
    pub output_tail: Option<String>,
    /// starting, running, backoff.
    pub state: String,
    /// `--max-messages` of the process: it exits after this many and is replaced.
    pub messages_budget: i32,
    /// When a process backing off starts again.
    pub next_start_at: Option<DateTime<Utc>>,
}

/// A supervised Magento queue consumer.
#[derive(SimpleObject)]
pub struct Consumer {
    pub name: String,
    /// The queue it consumes (its watch queue, else its own name).
    pub queue: String,
    pub lane: Option<String>,
    /// At least one process runs.
    pub running: bool,
    /// The first running process's pid.
    pub pid: Option<i32>,
    /// Restarts of all its processes.
    pub restarts: i32,
    /// When the oldest running process started.
    pub started_at: Option<DateTime<Utc>>,
    /// Processes wanted across all nodes (0: disabled).
    pub desired_instances: i32,
    pub max_messages: i32,
    pub only_when_messages: bool,
    pub watch_queue: Option<String>,
    /// Magento's connection (`db`, `amqp`), when declared.
    pub connection: Option<String>,
    pub handler: Option<String>,
    pub idle_timeout_seconds: Option<i64>,
    /// Nodes it may run on; empty means any.
    pub nodes: Vec<String>,
    pub source: ConsumerSourceGql,
    /// Fields set over the API that a Magento re-import keeps.
    pub overrides: Vec<String>,
    pub state: ConsumerStateGql,
    pub stopped: bool,
    pub parked_at: Option<DateTime<Utc>>,
    pub parked_reason: Option<String>,
    pub processes: Vec<ConsumerProcess>,
}

fn process(s: &Slot, budget: u32) -> ConsumerProcess {
    ConsumerProcess {
        slot: s.slot as i32,
        pid: s.pid.map(|p| p as i32),
        node: s.node.clone(),
        started_at: s.pid.and(s.started_at).map(datetime),
        restarts: s.restarts as i32,
        last_exit_code: s.last_exit_code.map(|c| c as i32),
        last_exit_reason: s.last_exit_reason.clone(),
        last_exit_at: s.last_exit_at.map(datetime),
        output_tail: s.output_tail.clone(),
        state: s.state.clone(),
        messages_budget: budget as i32,
        next_start_at: s.next_start_at.map(datetime),
    }
}

impl From<ConsumerView> for Consumer {
    fn from(v: ConsumerView) -> Self {
        let c = v.consumer;
        let d = &c.definition;
        let live: Vec<&Slot> = v.processes.iter().filter(|s| s.pid.is_some()).collect();
        Consumer {
            name: d.name.clone(),
            queue: d.watch_queue.clone().unwrap_or_else(|| d.name.clone()),
            lane: Some(d.lane.to_string()),
            running: !live.is_empty(),
            pid: live.first().and_then(|s| s.pid).map(|p| p as i32),
            restarts: v.processes.iter().map(|s| s.restarts as i32).sum(),
            started_at: live.iter().filter_map(|s| s.started_at).min().map(datetime),
            desired_instances: d.instances as i32,
            max_messages: d.max_messages as i32,
            only_when_messages: d.only_when_messages,
            watch_queue: d.watch_queue.clone(),
            connection: d.connection.clone(),
            handler: d.handler.clone(),
            idle_timeout_seconds: d.idle_timeout.map(|t| t.as_secs() as i64),
            nodes: d.nodes.clone(),
            source: match c.source {
                ConsumerSource::Config => ConsumerSourceGql::Config,
                ConsumerSource::Magento => ConsumerSourceGql::Magento,
            },
            overrides: c.overrides.clone(),
            state: v.state.into(),
            stopped: c.stopped,
            parked_at: c.parked_at.map(datetime),
            parked_reason: c.parked_reason.clone(),
            processes: v
                .processes
                .iter()
                .map(|s| process(s, d.max_messages))
                .collect(),
        }
    }
}

/// A message queue with its depth. Figures a transport cannot tell are null.
#[derive(SimpleObject)]
pub struct Queue {
    pub name: String,
    /// The lane of the consumer that watches it.
    pub lane: Option<String>,
    /// Messages waiting (the same as `ready`); null when the transport cannot tell.
    pub depth: Option<i64>,
    /// Consumers attached: the broker's count on AMQP, supervised processes on MySQL.
    pub consumers: i32,
    pub transport: QueueTransportGql,
    /// Waiting for a consumer (MySQL: new and retry-required).
    pub ready: Option<i64>,
    /// Delivered, not finished (MySQL: in progress). AMQP: null.
    pub in_flight: Option<i64>,
    /// Given up on (MySQL: error). AMQP: null.
    pub errored: Option<i64>,
    /// Waiting for a retry (MySQL: retry required, also counted in `ready`).
    pub retrying: Option<i64>,
    /// Age of the oldest ready message (MySQL: since it was written or last retried).
    pub oldest_message_age_seconds: Option<f64>,
}

/// One sample of a queue's depth history.
#[derive(SimpleObject)]
pub struct QueueDepthSample {
    pub at: DateTime<Utc>,
    pub transport: String,
    pub ready: Option<i64>,
    pub in_flight: Option<i64>,
    pub errored: Option<i64>,
}

/// One consumer from Magento's merged queue_consumer.xml configuration.
#[derive(InputObject)]
pub struct MagentoConsumerInput {
    pub name: String,
    pub queue: Option<String>,
    /// `db` or `amqp`.
    pub connection: Option<String>,
    pub max_messages: Option<i32>,
    pub handler: Option<String>,
}

#[derive(SimpleObject)]
pub struct ConsumerSyncReport {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub removed: i64,
    pub warnings: Vec<String>,
}

async fn view(st: &crate::api::ApiState, name: &str) -> Result<Consumer, ApiError> {
    let views = overview::consumers(&st.store).await?;
    views
        .into_iter()
        .find(|v| v.consumer.name() == name)
        .map(Consumer::from)
        .ok_or_else(|| ApiError::NotFound(format!("consumer `{name}`")))
}

#[derive(Default)]
pub struct ConsumersQuery;

#[Object]
impl ConsumersQuery {
    /// Every consumer with its processes, on all nodes.
    async fn consumers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Consumer>> {
        let st = state(ctx);
        Ok(overview::consumers(&st.store)
            .await
            .gql()?
            .into_iter()
            .map(Consumer::from)
            .collect())
    }

    /// The lane queues of run dispatch, then every queue a consumer watches and
    /// every queue in Magento's MySQL queue, with their depth as the transports
    /// report it now.
    async fn queues(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Queue>> {
        let st = state(ctx);
        // First the lane queues of run dispatch (one per configured lane),
        // then Magento's queues that consumers watch.
        let lanes = crate::dispatch::lane_queues(&st.dispatch, &st.store, &st.config, st.clock.now_ms()).await.gql()?;
        let mut queues: Vec<Queue> = lanes
            .into_iter()
            .map(|q| Queue {
                name: q.name,
                lane: Some(q.lane),
                depth: q.ready,
                consumers: q.consumers.unwrap_or(0) as i32,
                transport: if q.transport == "amqp" { QueueTransportGql::Amqp } else { QueueTransportGql::Embedded },
                ready: q.ready,
                in_flight: q.in_flight,
                errored: None,
                retrying: None,
                oldest_message_age_seconds: None,
            })
            .collect();
        let sources = DepthSources::shared(&st.config);
        let found = overview::queues(&st.store, &sources).await.gql()?;
        queues.extend(found
            .into_iter()
            .map(|q| Queue {
                name: q.depth.name.clone(),
                lane: q.lane,
                depth: q.depth.ready,
                consumers: q.consumers as i32,
                transport: q.depth.transport.into(),
                ready: q.depth.ready,
                in_flight: q.depth.in_flight,
                errored: q.depth.errored,
                retrying: q.depth.retrying,
                oldest_message_age_seconds: q.depth.oldest_age_seconds.map(|s| s as f64),
            }));
        Ok(queues)
    }

    /// A queue's sampled depth since `since` (default: the last 24 hours), oldest first, at most 10 000 samples.
    async fn queue_depth_history(
        &self,
        ctx: &Context<'_>,
        name: String,
        since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<QueueDepthSample>> {
        let st = state(ctx);
        let since = since
            .map(|s| s.timestamp_millis())
            .unwrap_or_else(|| st.clock.now_ms() - 86_400_000);
        let found = crate::store::consumers::samples(&st.store, &name, since, 10_000)
            .await
            .gql()?;
        Ok(found
            .into_iter()
            .map(|s| QueueDepthSample {
                at: datetime(s.at),
                transport: s.transport,
                ready: s.ready,
                in_flight: s.in_flight,
                errored: s.errored,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ConsumersMutation;

#[Object]
impl ConsumersMutation {
    /// Lets a stopped or parked consumer run again (operator).
    async fn start_consumer(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<Consumer> {
        mutation(ctx, Role::Operator, |a| async move {
            consumer_actions::start(&a, &name).await?;
            view(state(ctx), &name).await
        })
        .await
    }

    /// Ends every process of the consumer and starts none until `startConsumer` (operator).
    async fn stop_consumer(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<Consumer> {
        mutation(ctx, Role::Operator, |a| async move {
            consumer_actions::stop(&a, &name).await?;
            view(state(ctx), &name).await
        })
        .await
    }

    /// Replaces every running process of the consumer with a fresh one (operator).
    async fn restart_consumer(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<Consumer> {
        mutation(ctx, Role::Operator, |a| async move {
            consumer_actions::restart(&a, &name).await?;
            view(state(ctx), &name).await
        })
        .await
    }

    /// Sets how many processes the consumer has across all nodes, 0 to 64 (operator).
    /// Kept when Magento's list is synced again.
    async fn set_consumer_instances(
        &self,
        ctx: &Context<'_>,
        name: String,
        instances: i32,
    ) -> async_graphql::Result<Consumer> {
        mutation(ctx, Role::Operator, |a| async move {
            consumer_actions::update(
                &a,
                &name,
                ConsumerChanges {
                    instances: Some(instances),
                    ..Default::default()
                },
            )
            .await?;
            view(state(ctx), &name).await
        })
        .await
    }

    /// Changes the lane, message budget or only-when-messages of a Magento
    /// consumer (operator). Each field given is kept when Magento's list is synced again.
    async fn update_consumer(
        &self,
        ctx: &Context<'_>,
        name: String,
        lane: Option<String>,
        max_messages: Option<i32>,
        only_when_messages: Option<bool>,
    ) -> async_graphql::Result<Consumer> {
        mutation(ctx, Role::Operator, |a| async move {
            consumer_actions::update(
                &a,
                &name,
                ConsumerChanges {
                    instances: None,
                    lane,
                    max_messages,
                    only_when_messages,
                },
            )
            .await?;
            view(state(ctx), &name).await
        })
        .await
    }

    /// Merges Magento's consumer list (admin): creates missing consumers,
    /// updates Magento's fields of known ones except what an operator
    /// overrode, and with `removeMissing` deletes Magento consumers not listed.
    async fn sync_magento_consumers(
        &self,
        ctx: &Context<'_>,
        consumers: Vec<MagentoConsumerInput>,
        #[graphql(default = true)] remove_missing: bool,
    ) -> async_graphql::Result<ConsumerSyncReport> {
        mutation(ctx, Role::Admin, |a| async move {
            let mut defs = Vec::with_capacity(consumers.len());
            for (i, c) in consumers.into_iter().enumerate() {
                let max_messages = match c.max_messages {
                    None => None,
                    Some(n) if n >= 1 => Some(n as u32),
                    Some(_) => {
                        return Err(crate::actions::ActionError::invalid(
                            format!("consumers[{i}].maxMessages"),
                            "must be at least 1",
                        )
                        .into())
                    }
                };
                defs.push(MagentoConsumerDef {
                    name: c.name,
                    queue: c.queue,
                    connection: c.connection,
                    max_messages,
                    handler: c.handler,
                    only_when_messages: None,
                });
            }
            let r = consumer_actions::sync_magento(&a, defs, remove_missing)
                .await
                .map_err(|e| e.within("consumers"))?;
            Ok(ConsumerSyncReport {
                created: r.created.len() as i64,
                updated: r.updated.len() as i64,
                unchanged: r.unchanged.len() as i64,
                removed: r.removed.len() as i64,
                warnings: r.warnings,
            })
        })
        .await
    }
}
