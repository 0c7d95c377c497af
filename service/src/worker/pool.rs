//! Lane pools: each lane has its own reserved slots and its own claim loop, so
//! nothing queued or running in one lane can take a slot of another. A run is
//! taken only when a slot is free, from the lane's feed (the embedded queue or
//! AMQP, see [`crate::dispatch`]), executed in its own task, and closed with a
//! fenced update, after which the feed's ticket is settled (an AMQP message is
//! acknowledged). A once-a-second loop stamps heartbeats and delivers kill
//! requests. On shutdown the pool drains: no new claims, running runs get the
//! drain timeout, and whatever is left is ended and closed INTERRUPTED.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::task::TaskTracker;
use tokio_util::sync::CancellationToken;

use super::context::WorkerContext;
use super::{executor, marked, retry};
use crate::dispatch::{Dispatch, LaneFeed, Next, Ticket};
use crate::domain::{RunId, RunStatus};
use crate::store::runs::{Claimed, Finish};
use crate::store::{self, instances, settings};

/// How often a draining lane looks whether the drain has been lifted.
const DRAIN_POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillReason {
    Operator,
    Shutdown,
}

#[derive(Debug)]
struct Held {
    claim: i64,
    kill: CancellationToken,
    reason: Option<KillReason>,
}

/// Runs this process is executing.
#[derive(Debug, Clone, Default)]
struct Holdings(Arc<Mutex<HashMap<RunId, Held>>>);

impl Holdings {
    fn add(&self, id: RunId, claim: i64) -> CancellationToken {
        let kill = CancellationToken::new();
        self.0.lock().unwrap().insert(id, Held { claim, kill: kill.clone(), reason: None });
        kill
    }
    fn remove(&self, id: RunId) -> Option<KillReason> {
        self.0.lock().unwrap().remove(&id).and_then(|h| h.reason)
    }
    fn claims(&self) -> Vec<(RunId, i64)> {
        self.0.lock().unwrap().iter().map(|(id, h)| (*id, h.claim)).collect()
    }
    fn kill(&self, id: RunId, reason: KillReason) {
        if let Some(h) = self.0.lock().unwrap().get_mut(&id) {
            h.reason.get_or_insert(reason);
            h.kill.cancel();
        }
    }
    fn kill_all(&self, reason: KillReason) {
        let ids: Vec<_> = self.0.lock().unwrap().keys().copied().collect();
        ids.into_iter().for_each(|id| self.kill(id, reason));
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

pub struct Pool {
    ctx: WorkerContext,
    lanes: Vec<(String, usize)>,
    holdings: Holdings,
    /// Mirrors the store's drain flag (`cronkeeper drain`), refreshed every second.
    draining: Arc<AtomicBool>,
    dispatch: Dispatch,
    /// Registered in `instances`: `serve` (all-in-one) or `worker`.
    role: String,
}

impl Pool {
    /// A pool on the embedded queue; see [`Pool::with_dispatch`].
    pub fn new(ctx: WorkerContext, lanes: Vec<(String, usize)>) -> Self {
        Self { ctx, lanes, holdings: Holdings::default(), draining: Arc::new(AtomicBool::new(false)), dispatch: Dispatch::Embedded, role: "worker".into() }
    }

    pub fn with_dispatch(mut self, dispatch: Dispatch) -> Self {
        self.dispatch = dispatch;
        self
    }

    pub fn with_role(mut self, role: &str) -> Self {
        self.role = role.into();
        self
    }

    /// Runs until `shutdown`, then drains. Returns when every run it held is closed.
    pub async fn run(self, shutdown: CancellationToken) {
        let now = self.ctx.now();
        let me = instances::Instance {
            id: self.ctx.instance.clone(),
            node: self.ctx.config.node.clone(),
            pid: std::process::id() as i32,
            pid_start: super::process_start_ticks(std::process::id() as i32).unwrap_or(0) as i64,
            role: self.role.clone(),
            started_at: now,
            heartbeat_at: now,
            stopped_at: None,
            host: crate::config::hostname(),
            lane_slots: self.lanes.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
        };
        if let Err(e) = instances::register(&self.ctx.store, &me).await {
            tracing::error!(error = %e, "could not register this worker instance");
        }
        let stop_claiming = shutdown.child_token();
        // Lanes spawn their runs straight onto the runtime; the tracker only
        // counts them, so a run starts without a hop through a collecting task.
        let runs = TaskTracker::new();
        let mut lane_loops = JoinSet::new();
        for (lane, slots) in &self.lanes {
            let feed = self.dispatch.feed(&self.ctx, lane, *slots);
            let lane = LaneLoop { ctx: self.ctx.clone(), slots: *slots, feed, holdings: self.holdings.clone(), draining: self.draining.clone() };
            lane_loops.spawn(lane.run(stop_claiming.clone(), runs.clone()));
        }
        let supervisor_stop = CancellationToken::new();
        let supervisor = tokio::spawn(supervise_loop(self.ctx.clone(), self.holdings.clone(), self.draining.clone(), supervisor_stop.clone()));

        shutdown.cancelled().await;
        stop_claiming.cancel();
        while lane_loops.join_next().await.is_some() {}
        runs.close();
        self.drain(&runs).await;
        supervisor_stop.cancel();
        let _ = supervisor.await;
        let _ = instances::mark_stopped(&self.ctx.store, &self.ctx.instance, self.ctx.now()).await;
    }

    async fn drain(&self, runs: &TaskTracker) {
        let timeout = self.ctx.config.drain_timeout;
        if self.holdings.len() > 0 {
            tracing::info!(running = self.holdings.len(), timeout = %crate::config::fmt(timeout), "draining: waiting for running runs");
        }
        if tokio::time::timeout(timeout, runs.wait()).await.is_err() {
            tracing::warn!(left = self.holdings.len(), "drain timeout reached: ending the remaining runs as INTERRUPTED");
            self.holdings.kill_all(KillReason::Shutdown);
            runs.wait().await;
        }
    }
}

/// One lane of the pool: its slots, and the feed it takes runs from.
struct LaneLoop {
    ctx: WorkerContext,
    slots: usize,
    feed: Box<dyn LaneFeed>,
    holdings: Holdings,
    draining: Arc<AtomicBool>,
}

impl LaneLoop {
    /// Asks the feed for a run whenever a slot is free and the drain flag is
    /// down, and starts each run as a task holding its slot, tracked by `runs`.
    async fn run(mut self, stop: CancellationToken, runs: TaskTracker) {
        let slots = Arc::new(Semaphore::new(self.slots));
        loop {
            let permit = tokio::select! {
                _ = stop.cancelled() => return,
                p = slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
            };
            if self.draining.load(Ordering::Relaxed) {
                drop(permit);
                tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(DRAIN_POLL) => {} }
                continue;
            }
            match self.feed.next(&stop).await {
                Next::Run(claimed, ticket) => {
                    let kill = self.holdings.add(claimed.run.id, claimed.claim);
                    self.ctx.emit(&claimed.run, RunStatus::Running);
                    runs.spawn(execute_run(self.ctx.clone(), *claimed, kill, self.holdings.clone(), permit, ticket, stop.clone()));
                }
                Next::Skipped(id) => {
                    drop(permit);
                    if let Ok(Some(run)) = store::runs::get(&self.ctx.store, id).await {
                        self.ctx.emit(&run, RunStatus::Skipped);
                    }
                }
                Next::Idle => drop(permit),
                Next::Stopped => return,
            }
        }
    }
}

/// `shutdown` is cancelled when the pool stops claiming (the start of a drain).
async fn execute_run(
    ctx: WorkerContext,
    claimed: Claimed,
    kill: CancellationToken,
    holdings: Holdings,
    permit: tokio::sync::OwnedSemaphorePermit,
    ticket: Ticket,
    shutdown: CancellationToken,
) {
    let Claimed { run, claim } = claimed;
    let job = store::jobs::get(&ctx.store, &run.job_code).await.ok().flatten();
    let outcome = match &job {
        None => super::Outcome { ending: super::Ending::Failed, exit_code: None, output: String::new(), error: Some(format!("job `{}` no longer exists", run.job_code)) },
        Some(job) => {
            let store = ctx.store.clone();
            let id = run.id;
            let on_started: executor::OnStarted = Box::new(move |pid, ticks| {
                Box::pin(async move {
                    if let Err(e) = store::runs::set_process(&store, id, claim, pid, ticks as i64).await {
                        tracing::error!(run = id, error = %e, "could not record the run's process");
                    }
                })
            });
            let mark = marked::run_mark(run.id, &ctx.instance);
            executor::execute(job, &ctx.config, &mark, kill, on_started).await
        }
    };
    let reason = holdings.remove(run.id);
    let mut status = outcome.ending.run_status();
    let mut error = outcome.error.clone();
    if status == RunStatus::Killed && reason == Some(KillReason::Shutdown) {
        status = RunStatus::Interrupted;
        error = Some("cronkeeper shut down before the run finished (drain timeout reached)".into());
    }
    let finish = Finish { status, exit_code: outcome.exit_code, output: Some(outcome.output).filter(|o| !o.is_empty()), error };
    let now = ctx.now();
    let stored = match finish_with_retries(&ctx, run.id, claim, &finish, &shutdown).await {
        Ok(true) => {
            ctx.emit(&run, status);
            if let Err(e) = retry::after_outcome(&ctx.store, job.as_ref(), &run, status, now).await {
                tracing::error!(run = run.id, error = %e, "could not schedule a retry");
            }
            true
        }
        Ok(false) => {
            tracing::warn!(run = run.id, "run was closed by someone else (recovery or another node); outcome dropped");
            true
        }
        Err(e) => {
            tracing::error!(run = run.id, error = %e, "could not store the run's outcome");
            false
        }
    };
    // Only now may an AMQP message go: the store has the run's end.
    ticket.settle(stored).await;
    drop(permit);
    ctx.wakeups.wake(run.lane.as_str());
}

/// Stores a run's outcome, retrying while the database is unreachable (every
/// 500 ms, backing off to 5 s) for as long as it takes. The write is fenced on
/// the claim, so a late one changes nothing if recovery on another process has
/// closed the run meanwhile; giving up instead would leave the run RUNNING, and
/// a `forbid` job skipping every fire time, until this process restarts, since
/// recovery never touches its own process's runs. Once shutting down, it gives
/// up after `heartbeat_expiry`, so a database that stays away cannot hold up
/// the stop; the next start's recovery then closes the run INTERRUPTED.
async fn finish_with_retries(ctx: &WorkerContext, id: RunId, claim: i64, finish: &Finish, shutdown: &CancellationToken) -> store::Result<bool> {
    let first_try = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(500);
    loop {
        match store::runs::finish(&ctx.store, id, claim, finish, ctx.now()).await {
            Err(e) if !(shutdown.is_cancelled() && first_try.elapsed() >= ctx.config.heartbeat_expiry) => {
                tracing::warn!(run = id, error = %e, "storing the run's outcome failed; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

/// Once a second: deliver kill requests and refresh the drain flag; every
/// heartbeat interval: stamp the held runs and this instance.
async fn supervise_loop(ctx: WorkerContext, holdings: Holdings, draining: Arc<AtomicBool>, stop: CancellationToken) {
    let every = ctx.config.heartbeat_interval;
    let mut last_beat = ctx.now();
    loop {
        tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(Duration::from_secs(1)) => {} }
        let held = holdings.claims();
        let now = ctx.now();
        let beat = now - last_beat >= every.as_millis() as i64;
        let killed = if beat {
            last_beat = now;
            let _ = instances::heartbeat(&ctx.store, &ctx.instance, now).await;
            store::runs::heartbeat(&ctx.store, &held, now).await
        } else {
            store::runs::kill_requested(&ctx.store, &held).await
        };
        match killed {
            Ok(ids) => ids.into_iter().for_each(|id| holdings.kill(id, KillReason::Operator)),
            Err(e) => tracing::error!(error = %e, "heartbeat failed"),
        }
        if let Ok(flag) = settings::is_draining(&ctx.store).await {
            draining.store(flag, Ordering::Relaxed);
        }
    }
}
