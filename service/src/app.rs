//! `Application::build` wires store, dispatch, scheduler, worker pool,
//! recovery, retention and the HTTP API together; `run` drives them until a
//! shutdown signal, which is fanned out to every component through one token.
//! Which of them run is the process's [`Roles`]: `serve` is all-in-one,
//! `serve --no-workers` API and scheduler only, `worker` the workers only.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::alerts::{self, AlertEvents};
use crate::api::{ApiState, Readiness};
use crate::clock::{self, SharedClock};
use crate::config::Config;
use crate::dispatch::{amqp, Dispatch};
use crate::domain::RunStatus;
use crate::events::{Events, RunEvent};
use crate::scheduler::{retention, Scheduler};
use crate::store::{self, Store};
use crate::wakeups::Wakeups;
use crate::worker::{instance_id, recovery, Pool, WorkerContext};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub scheduler: bool,
    pub workers: bool,
    /// The HTTP listener (GraphQL, probes, metrics).
    pub api: bool,
}

impl Roles {
    /// `serve`: API, scheduler and workers.
    pub const ALL_IN_ONE: Roles = Roles { scheduler: true, workers: true, api: true };
    /// `serve --no-workers`.
    pub const NO_WORKERS: Roles = Roles { scheduler: true, workers: false, api: true };
    /// `worker`: the lane workers only.
    pub const WORKER: Roles = Roles { scheduler: false, workers: true, api: false };
}

pub struct Application {
    pub config: Arc<Config>,
    pub store: Store,
    pub events: Events,
    pub clock: SharedClock,
    pub wakeups: Wakeups,
    /// Alert changes and notification outcomes, for the `alertEvents` subscription.
    pub alert_events: AlertEvents,
    /// `None` for a process without the API role.
    listener: Option<TcpListener>,
    roles: Roles,
    /// The lanes and slots the workers take; every configured lane by default.
    worker_lanes: Vec<(String, usize)>,
    /// Runs closed SKIPPED at start (their job left the config file): their
    /// events go out once the alert evaluator listens.
    closed_at_start: Vec<RunEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("{0}")]
    Config(String),
}

impl Application {
    /// Opens the store (applying migrations), applies the jobs declared in the
    /// config file and binds the listener; nothing runs until [`Application::run`].
    pub async fn build(config: Config, roles: Roles) -> Result<Self, StartError> {
        let mut config = config;
        if roles.api {
            let secret = crate::api::ensure_jwt_secret(&config).map_err(StartError::Config)?;
            config.auth.jwt_secret = Some(secret);
        }
        let store = Store::connect(&config.database_url).await?;
        store.migrate().await?;
        let clock = clock::system();
        // The file's jobs and alert rules are the deployment's declaration, saved by
        // the `serve` processes. A worker's file may list none: saving it would
        // delete them all.
        let mut closed_at_start = Vec::new();
        if roles.scheduler {
            closed_at_start = apply_config_jobs(&store, &config, clock.now_ms()).await?;
            alerts::apply_config(&store, &config, clock.now_ms()).await?;
            crate::consumers::sync::apply_config(&store, &config, clock.now_ms()).await?;
        }
        let listener = match roles.api {
            true => Some(TcpListener::bind(config.listen).await.map_err(|source| StartError::Listen { addr: config.listen.to_string(), source })?),
            false => None,
        };
        let wakeups = Wakeups::new(config.lanes.iter().map(|l| l.name.as_str()));
        let worker_lanes = config.lanes.iter().map(|l| (l.name.to_string(), l.slots)).collect();
        Ok(Self { config: Arc::new(config), store, events: Events::new(), clock, wakeups, alert_events: AlertEvents::new(), listener, roles, worker_lanes, closed_at_start })
    }

    /// Works only these lanes, with these slots (`cronkeeper worker --lanes --slots`).
    pub fn with_worker_lanes(mut self, lanes: Vec<(String, usize)>) -> Self {
        self.worker_lanes = lanes;
        self
    }

    /// The API's address; `None` without the API role.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.as_ref().map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// Runs until `shutdown` is cancelled, then drains the workers and returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut tasks = JoinSet::new();
        let ctx = WorkerContext {
            store: self.store.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            events: self.events.clone(),
            wakeups: self.wakeups.clone(),
            instance: instance_id(&self.config.node),
        };
        // Subscribed before recovery: alert rules must hear of the runs it closes.
        let early_run_events = self.events.subscribe_runs();
        // Repair what a previous process left RUNNING before taking new work.
        match recovery::recover(&ctx).await {
            Ok(r) if r.interrupted > 0 => tracing::warn!(interrupted = r.interrupted, orphans_ended = r.orphans_ended, "repaired runs left by a previous process"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "start-up recovery failed"),
        }
        let background = shutdown.child_token();
        let readiness = Arc::new(Readiness::default());
        // The broker connection lives on `background`, which is cancelled only
        // after the pool has drained: acknowledgements travel on it.
        let dispatch = Dispatch::from_config(&self.config, &ctx.instance);
        if let Dispatch::Amqp(broker) = &dispatch {
            tasks.spawn(broker.clone().run(background.clone()));
            if self.roles.scheduler {
                let publisher = amqp::publisher::Publisher {
                    broker: broker.clone(),
                    store: self.store.clone(),
                    clock: self.clock.clone(),
                    wake: self.wakeups.any_lane(),
                    instance: ctx.instance.clone(),
                    lanes: self.config.lanes.iter().map(|l| l.name.to_string()).collect(),
                };
                tasks.spawn(publisher.run(background.clone()));
            }
        }
        if self.store.backend() == crate::store::Backend::Postgres {
            // Runs queued by other processes wake this one's lanes and publisher at once.
            tasks.spawn(crate::dispatch::pg_wakeups::relay(self.config.database_url.clone(), self.wakeups.clone(), background.clone()));
        }
        let mut scheduler_tick = None;
        if self.roles.scheduler {
            // Only the holder of the `scheduler` lease materialises: any number of
            // `serve` processes can share a database (scheduler/leader.rs).
            let hook = readiness.clone();
            let scheduler = Scheduler::new(self.store.clone(), self.clock.clone(), self.config.timezone, self.wakeups.clone(), self.events.clone())
                .with_lease(ctx.instance.clone())
                .with_tick_hook(Arc::new(move |now, lag| hook.tick(now, lag)))
                .with_failure_hook({
                    let readiness = readiness.clone();
                    Arc::new(move |now| readiness.tick_failed(now))
                });
            scheduler_tick = Some(scheduler.last_tick());
            tasks.spawn(scheduler.run(background.clone()));
            tasks.spawn(retention::run(self.store.clone(), self.clock.clone(), self.config.retention.clone(), ctx.instance.clone(), background.clone()));
        }
        tasks.spawn(recovery::run(ctx.clone(), background.clone()));
        let wiring = alerts::Wiring {
            store: self.store.clone(),
            clock: self.clock.clone(),
            config: self.config.clone(),
            run_events: self.events.clone(),
            early_run_events: Some(early_run_events),
            alert_events: self.alert_events.clone(),
            scheduler_tick,
        };
        alerts::spawn(&mut tasks, wiring, background.clone());
        for event in self.closed_at_start.iter().cloned() {
            self.events.run_changed(event);
        }
        // Queue consumers: supervised where workers run; depth history sampled
        // by one process at a time (consumers/history.rs).
        let depth_sources = crate::consumers::DepthSources::shared(&self.config);
        tasks.spawn(crate::consumers::history::run(self.store.clone(), self.config.clone(), self.clock.clone(), depth_sources.clone(), ctx.instance.clone(), background.clone()));
        let consumers_task = self.roles.workers.then(|| {
            let supervisor = crate::consumers::Supervisor::new(self.store.clone(), self.config.clone(), self.clock.clone(), ctx.instance.clone(), depth_sources);
            tokio::spawn(supervisor.run(shutdown.clone()))
        });
        let pool_task = self.roles.workers.then(|| {
            let role = if self.roles.api { "serve" } else { "worker" };
            let pool = Pool::new(ctx.clone(), self.worker_lanes.clone()).with_dispatch(dispatch.clone()).with_role(role);
            tokio::spawn(pool.run(shutdown.clone()))
        });
        let server_stop = CancellationToken::new();
        let server = self.listener.map(|listener| {
            let http = crate::api::router(ApiState {
                store: self.store.clone(),
                config: self.config.clone(),
                events: self.events.clone(),
                clock: self.clock.clone(),
                readiness,
                alert_events: self.alert_events.clone(),
                dispatch: dispatch.clone(),
                fair_share: crate::api::FairShare::new(&self.config.graphql),
            });
            let stop = server_stop.clone();
            tokio::spawn(async move { axum::serve(listener, http).with_graceful_shutdown(async move { stop.cancelled().await }).await })
        });

        shutdown.cancelled().await;
        tracing::info!("shutting down: draining workers");
        if let Some(pool) = pool_task {
            let _ = pool.await;
        }
        if let Some(consumers) = consumers_task {
            let _ = consumers.await;
        }
        background.cancel();
        while tasks.join_next().await.is_some() {}
        server_stop.cancel();
        if let Some(server) = server {
            let _ = server.await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Jobs declared in the file are the deployment's source of truth for the
/// fields they set: saved at every start, keeping their history and cursor.
/// A job that was declared at the previous start and is gone from the file now
/// is deleted (its waiting runs closed SKIPPED, returned as their events), as
/// removing it from version control means.
async fn apply_config_jobs(store: &Store, config: &Config, now: i64) -> Result<Vec<RunEvent>, StartError> {
    const DECLARED: &str = "config_jobs";
    let previous: Vec<String> = store::settings::get(store, DECLARED).await?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
    let mut jobs = Vec::new();
    for job in &config.jobs {
        let mut job = job.clone();
        if let Some(existing) = store::jobs::get(store, &job.code).await? {
            job.created_at = existing.created_at;
        }
        jobs.push(job);
    }
    let current: Vec<String> = config.jobs.iter().map(|j| j.code.clone()).collect();
    let removed: Vec<String> = previous.into_iter().filter(|c| !current.contains(c)).collect();
    store::jobs::save_all(store, &jobs, &removed, now).await?;
    let mut closed = Vec::new();
    for code in &removed {
        let runs = store::runs::cancel_waiting(store, code, "job removed from the configuration file", now).await?;
        closed.extend(runs.into_iter().map(|c| c.event(RunStatus::Skipped, now)));
        tracing::info!(job = %code, "deleted a job no longer declared in the configuration file");
    }
    store::settings::set(store, DECLARED, &serde_json::to_string(&current).expect("codes serialise")).await?;
    Ok(closed)
}

/// Cancels `token` on SIGTERM or SIGINT.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        }
        token.cancel();
    });
}
