//! The scheduler: a tick at least once a second that turns due fire times into
//! runs, idempotently (a run is unique per job and fire time, and the fire
//! cursor moves in the same transaction), applies the misfire policy after
//! downtime ([`plan`]), promotes PENDING runs whose time has come, and wakes
//! the lanes it queued work in.

mod cache;
pub mod leader;
pub mod plan;
pub mod retention;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::domain::{to_datetime, EpochMs, RunStatus};
use crate::events::{Events, RunEvent};
use crate::store::runs::NewRun;
use crate::store::{self, Store};
use crate::wakeups::Wakeups;
use cache::{Entry, JobCache};
use leader::Leader;
use plan::{plan, Older, ON_TIME_MS};

/// Most fire times listed for one job in one tick; older ones are counted.
const RECENT_LIMIT: usize = 10_000;
/// How often stale queued runs are looked for.
const EXPIRY_EVERY_MS: i64 = 10_000;
/// Most older fire times counted one by one; beyond this the count saturates.
const OLDER_LIMIT: usize = 100_000;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub queued: usize,
    pub missed: usize,
    pub promoted: u64,
    /// Scheduled runs closed MISSED after waiting past their starting deadline.
    pub expired: u64,
    /// False when another process holds the scheduler lease and this tick did nothing.
    pub leading: bool,
}

pub struct Scheduler {
    store: Store,
    clock: SharedClock,
    default_tz: Tz,
    wakeups: Wakeups,
    events: Events,
    cache: JobCache,
    /// Epoch ms of the last completed tick, for readiness and lag metrics.
    last_tick: Arc<AtomicI64>,
    on_tick: Option<TickHook>,
    on_failure: Option<FailureHook>,
    /// When stale queued runs were last expired.
    last_expiry: EpochMs,
    /// The scheduler lease; `None` schedules unconditionally (tests, one-off use).
    leader: Option<Leader>,
}

/// Told after every completed tick: (when it started, how many ms after the
/// whole second it was aimed at), for readiness and the lag metric.
pub type TickHook = Arc<dyn Fn(EpochMs, i64) + Send + Sync>;

/// Told when a tick failed (the store did not answer), with when: readiness
/// turns false at once instead of after the last good tick goes stale.
pub type FailureHook = Arc<dyn Fn(EpochMs) + Send + Sync>;

impl Scheduler {
    pub fn new(store: Store, clock: SharedClock, default_tz: Tz, wakeups: Wakeups, events: Events) -> Self {
        Self {
            store,
            clock,
            default_tz,
            wakeups,
            events,
            cache: JobCache::default(),
            last_tick: Arc::new(AtomicI64::new(0)),
            on_tick: None,
            on_failure: None,
            last_expiry: 0,
            leader: None,
        }
    }

    pub fn with_tick_hook(mut self, hook: TickHook) -> Self {
        self.on_tick = Some(hook);
        self
    }

    pub fn with_failure_hook(mut self, hook: FailureHook) -> Self {
        self.on_failure = Some(hook);
        self
    }

    /// Ticks only while holding the lease `scheduler` as `holder` (an instance
    /// id), so one scheduler materialises at a time however many processes run.
    pub fn with_lease(mut self, holder: impl Into<String>) -> Self {
        self.leader = Some(Leader::new(self.store.clone(), leader::SCHEDULER_LEASE, holder));
        self
    }

    /// Like [`Scheduler::with_lease`] with a lease of its own (tests).
    pub fn with_leader(mut self, leader: Leader) -> Self {
        self.leader = Some(leader);
        self
    }

    pub fn last_tick(&self) -> Arc<AtomicI64> {
        self.last_tick.clone()
    }

    /// Ticks on every whole second until `shutdown`, so a job due at :00 is
    /// queued a few milliseconds after :00, not up to a second later.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler tick failed; retrying next second");
                if let Some(hook) = &self.on_failure {
                    hook(self.clock.now_ms());
                }
            }
            let now = self.clock.now_ms();
            let to_next_second = 1000 - now.rem_euclid(1000) + 2;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_millis(to_next_second as u64)) => {}
            }
        }
        if let Some(leader) = &mut self.leader {
            leader.release().await;
        }
    }

    /// One pass, if this scheduler leads (renewing its lease first).
    pub async fn tick(&mut self) -> store::Result<TickReport> {
        let now = self.clock.now_ms();
        if let Some(leader) = &mut self.leader {
            if !leader.check(now).await? {
                // A follower's cached cursors go stale while another leads:
                // reload them all when it takes over.
                self.cache = JobCache::default();
                // A follower is healthy too: readiness is about this process.
                if let Some(hook) = &self.on_tick {
                    hook(now, now.rem_euclid(1000));
                }
                return Ok(TickReport::default());
            }
        }
        let mut report = TickReport { promoted: store::runs::promote_due(&self.store, now).await?, leading: true, ..Default::default() };
        if report.promoted > 0 {
            self.wakeups.wake_all();
        }
        // Deadlines are minutes long: checking every ten seconds is precise
        // enough, and keeps the per-QUEUED-run lookups out of most ticks.
        if now - self.last_expiry >= EXPIRY_EVERY_MS {
            self.last_expiry = now;
            let min_deadline = self.cache.min_deadline_ms.unwrap_or(0);
            let expired = store::runs::expire_stale_queued(&self.store, plan::DEFAULT_STARTING_DEADLINE_MS, min_deadline, now).await?;
            report.expired = expired.len() as u64;
            // Alert rules (run_failed counts MISSED) judge them like any outcome.
            for run in &expired {
                self.events.run_changed(run.event(RunStatus::Missed, now));
            }
        }
        self.cache.refresh(&self.store, self.default_tz).await?;
        for i in 0..self.cache.entries.len() {
            let entry = &self.cache.entries[i];
            if entry.next_fire.is_some_and(|n| n > now) {
                continue;
            }
            let (next, queued, missed) = self.materialise(entry, now).await?;
            report.queued += queued;
            report.missed += missed;
            let entry = &mut self.cache.entries[i];
            entry.next_fire = next;
            if queued > 0 {
                self.wakeups.wake(&entry.lane);
            }
        }
        self.last_tick.store(now, Ordering::Relaxed);
        if let Some(hook) = &self.on_tick {
            hook(now, now.rem_euclid(1000));
        }
        Ok(report)
    }

    /// Handles one job whose next fire time has come (or was never computed).
    /// Returns its new next fire time and the runs queued and missed.
    async fn materialise(&self, e: &Entry, now: EpochMs) -> store::Result<(Option<EpochMs>, usize, usize)> {
        let new_next = e.schedule.next_after(to_datetime(now), e.tz).map(|t| t.timestamp_millis());
        let Some(next) = e.next_fire else {
            // First sight of this job (or it was just changed/resumed): start the
            // cursor now, so a later downtime is measured from here.
            store::runs::materialise(&self.store, &e.code, &[], e.last_fire, new_next, now).await?;
            return Ok((new_next, 0, 0));
        };
        let window_start = next.max(now - e.deadline_ms.max(ON_TIME_MS));
        let recent: Vec<EpochMs> = e
            .schedule
            .fire_times_between(to_datetime(window_start - 1), to_datetime(now), e.tz, RECENT_LIMIT)
            .into_iter()
            .map(|t| t.timestamp_millis())
            .collect();
        let older = if next < window_start { Older { count: self.count_between(e, next, window_start), first: Some(next) } } else { Older::default() };
        let p = plan(&recent, older, now, e.misfire, e.deadline_ms);

        let mut news = Vec::new();
        if let Some((count, first, _last)) = p.missed {
            news.push(NewRun {
                job_code: e.code.clone(),
                lane: e.lane.clone(),
                status: RunStatus::Missed,
                trigger: crate::domain::Trigger::Schedule,
                attempt: 1,
                retry_of: None,
                priority: e.priority,
                // Keyed by the first fire time it stands for: that one can never
                // also be the fire time of a run, unlike the last (which may be
                // the catch-up's own when only older fire times were missed).
                fire_key: Some(first),
                scheduled_at: first,
                missed_count: count,
                error: Some(format!("{count} fire time(s) passed without a run (scheduler down or late)")),
            });
        }
        if let Some((at, trigger)) = p.run {
            news.push(NewRun {
                job_code: e.code.clone(),
                lane: e.lane.clone(),
                status: RunStatus::Queued,
                trigger,
                attempt: 1,
                retry_of: None,
                priority: e.priority,
                fire_key: Some(at),
                scheduled_at: at,
                missed_count: 0,
                error: None,
            });
        }
        let last_due = recent.last().copied().or(e.last_fire).or(Some(next));
        let ids = store::runs::materialise(&self.store, &e.code, &news, last_due, new_next, now).await?;
        for (id, new) in ids.iter().zip(news.iter()) {
            self.events.run_changed(RunEvent { run_id: *id, job_code: e.code.clone(), lane: e.lane.clone(), status: new.status, at: now });
        }
        if p.missed.is_some() {
            tracing::warn!(job = %e.code, missed = p.missed.map(|m| m.0), "fire times missed");
        }
        Ok((new_next, p.run.is_some() as usize, p.missed.is_some() as usize))
    }

    /// How many fire times fall in [from, until): arithmetic for `@every`,
    /// counted (up to a cap) for cron expressions.
    fn count_between(&self, e: &Entry, from: EpochMs, until: EpochMs) -> u32 {
        if let Some(every) = e.schedule.every() {
            let step = every.as_millis().max(1) as i64;
            return ((until - from + step - 1) / step).clamp(0, u32::MAX as i64) as u32;
        }
        e.schedule.fire_times_between(to_datetime(from - 1), to_datetime(until - 1), e.tz, OLDER_LIMIT).len() as u32
    }
}

#[cfg(test)]
mod tests;
