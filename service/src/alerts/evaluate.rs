//! Turning what happens into observations of rules.
//!
//! - Run-outcome rules (run_failed, run_timed_out, consecutive_failures,
//!   run_too_long) are judged on every finished run, from the run events of
//!   the process that ran it.
//! - The periodic pass (scheduler nodes, every `alerts.evaluate_every`) judges
//!   not_succeeded_within, late_start, lane_saturated, worker_lost,
//!   leader_lost, RUNNING runs already past a run_too_long limit, and the
//!   queue and consumer rules ([`super::queues`]), then sends the reminders
//!   that are due.
//!
//! Rules are read from the store on each use, so rules changed over the API
//! apply without a restart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;

use super::model::{excerpt, Detail, Observation, Subject};
use super::rule::{Rule, RuleKind, DEFAULT_LATE_GRACE_MS, DEFAULT_LEADER_LOST_MS};
use super::{AlertEvent, AlertEvents};
use crate::clock::SharedClock;
use crate::domain::{EpochMs, Run, RunStatus};
use crate::events::RunEvent;
use crate::store::{self, alerts as astore, Store};

/// Successful runs the k×median limit looks back on, and the fewest it needs.
const MEDIAN_WINDOW: i64 = 20;
const MEDIAN_MIN_SAMPLES: usize = 3;

pub struct Evaluator {
    pub store: Store,
    pub clock: SharedClock,
    pub events: AlertEvents,
    /// Woken when notifications were queued.
    pub outbox: Arc<Notify>,
    /// Lane name and slots, from the config.
    pub lanes: Vec<(String, usize)>,
    pub heartbeat_expiry: Duration,
    /// This process's scheduler's last tick (epoch ms), when it runs one.
    pub scheduler_tick: Option<Arc<AtomicI64>>,
    /// Queue depth readers for the queue rules; `None` judges consumers only.
    pub depth: Option<crate::consumers::DepthSources>,
}

fn fmt_ms(ms: i64) -> String {
    let ms = if ms >= 10_000 { ms / 1000 * 1000 } else { ms };
    crate::config::fmt(Duration::from_millis(ms.max(0) as u64))
}

pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2 })
}

fn run_detail(run: &Run, summary: String) -> Detail {
    Detail {
        summary,
        job: Some(run.job_code.clone()),
        lane: Some(run.lane.to_string()),
        run_id: Some(run.id),
        status: Some(run.status.as_str().to_string()),
        error: run.error.as_deref().filter(|e| !e.is_empty()).map(excerpt),
        duration_ms: run.duration_ms(),
    }
}

impl Evaluator {
    async fn rules(&self) -> store::Result<Vec<Rule>> {
        Ok(astore::list_rules(&self.store).await?.into_iter().map(|r| r.rule).filter(|r| r.enabled && r.kind.is_evaluated()).collect())
    }

    async fn apply(&self, rule: &Rule, subject: Subject, obs: Observation, now: EpochMs) -> store::Result<()> {
        if let Some(change) = astore::observe(&self.store, rule, &subject, &obs, now).await? {
            tracing::info!(rule = %rule.name, subject = %subject.key(), event = change.event.as_str(), alert = change.alert.id, "alert changed");
            self.events.send(AlertEvent::from_change(change));
            self.outbox.notify_one();
        }
        Ok(())
    }

    /// The limit a run of `run.job_code` must stay under, if the rule gives one.
    async fn too_long_limit(&self, rule: &Rule, run: &Run) -> store::Result<Option<(i64, String)>> {
        let mut limit: Option<(i64, String)> = rule.duration_ms.map(|d| (d, format!("limit {}", fmt_ms(d))));
        if let Some(k) = rule.factor {
            let mut recent = astore::recent_success_durations(&self.store, &run.job_code, run.id, MEDIAN_WINDOW).await?;
            if recent.len() >= MEDIAN_MIN_SAMPLES {
                let m = median(&mut recent).unwrap_or(0);
                let by_median = (m as f64 * k).ceil() as i64;
                if limit.as_ref().map_or(true, |(l, _)| by_median < *l) {
                    limit = Some((by_median, format!("{k}× the recent median of {}", fmt_ms(m))));
                }
            }
        }
        Ok(limit)
    }

    /// Judges a finished run against every run-outcome rule in scope.
    pub async fn on_run_event(&self, ev: &RunEvent) -> store::Result<()> {
        if !ev.status.is_terminal() {
            return Ok(());
        }
        let rules = self.rules().await?;
        let rules: Vec<&Rule> = rules.iter().filter(|r| r.kind.is_run_outcome() && r.scope.matches_job(&ev.job_code, &ev.lane)).collect();
        if rules.is_empty() {
            return Ok(());
        }
        let Some(mut run) = store::runs::get(&self.store, ev.run_id).await? else { return Ok(()) };
        run.status = ev.status;
        let now = self.clock.now_ms();
        let subject = Subject::Job(run.job_code.clone());
        let failed = matches!(run.status, RunStatus::Failed | RunStatus::TimedOut | RunStatus::Interrupted);
        let succeeded = run.status == RunStatus::Succeeded;
        for rule in rules {
            let st = run.status.as_str();
            let obs = match rule.kind {
                RuleKind::RunFailed if rule.statuses.contains(&run.status) => Observation::Bad(run_detail(&run, format!("{} ended {st}", run.job_code))),
                RuleKind::RunTimedOut if run.status == RunStatus::TimedOut => Observation::Bad(run_detail(&run, format!("{} timed out", run.job_code))),
                RuleKind::ConsecutiveFailures if failed => {
                    Observation::Bad(run_detail(&run, format!("{} failed {} times in a row (last: {st})", run.job_code, rule.open_after)))
                }
                RuleKind::RunFailed | RuleKind::RunTimedOut | RuleKind::ConsecutiveFailures if succeeded => Observation::Good,
                RuleKind::RunTooLong => {
                    let Some(took) = run.duration_ms() else { continue };
                    match self.too_long_limit(rule, &run).await? {
                        Some((limit, why)) if took > limit => {
                            Observation::Bad(run_detail(&run, format!("{} ran for {} ({why})", run.job_code, fmt_ms(took))))
                        }
                        Some(_) => Observation::Good,
                        None => continue,
                    }
                }
                _ => continue,
            };
            self.apply(rule, subject.clone(), obs, now).await?;
        }
        Ok(())
    }

    /// Listens to run events until `stop`.
    pub async fn run_events(self: Arc<Self>, mut rx: broadcast::Receiver<RunEvent>, stop: CancellationToken) {
        loop {
            let ev = tokio::select! {
                _ = stop.cancelled() => return,
                ev = rx.recv() => ev,
            };
            match ev {
                Ok(ev) => {
                    if let Err(e) = self.on_run_event(&ev).await {
                        tracing::error!(error = %e, run = ev.run_id, "alert evaluation of a run failed");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "alert evaluation fell behind; some run outcomes were not judged"),
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Every `every` until `stop`.
    pub async fn run_periodic(self: Arc<Self>, every: Duration, stop: CancellationToken) {
        loop {
            tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(every) => {} }
            if let Err(e) = self.periodic_pass().await {
                tracing::error!(error = %e, "alert evaluation pass failed");
            }
        }
    }

    /// One pass over the time-based rules, then the reminders.
    pub async fn periodic_pass(&self) -> store::Result<()> {
        let rules = self.rules().await?;
        let now = self.clock.now_ms();
        let needs = |k: RuleKind| rules.iter().any(|r| r.kind == k);
        let jobs = if needs(RuleKind::NotSucceededWithin) || needs(RuleKind::LateStart) { store::jobs::all(&self.store).await? } else { Vec::new() };
        let successes: HashMap<String, EpochMs> =
            if needs(RuleKind::NotSucceededWithin) { astore::last_successes(&self.store).await?.into_iter().collect() } else { HashMap::new() };
        let (waiting, cursors) = if needs(RuleKind::LateStart) {
            let w: HashMap<String, (i64, EpochMs)> = astore::oldest_waiting_scheduled(&self.store, now).await?.into_iter().map(|(c, id, at)| (c, (id, at))).collect();
            let c: HashMap<String, Option<EpochMs>> = store::jobs::cursors(&self.store).await?.into_iter().map(|(c, cur)| (c, cur.next_fire_at)).collect();
            (w, c)
        } else {
            (HashMap::new(), HashMap::new())
        };
        let lanes = if needs(RuleKind::LaneSaturated) { store::runs::lane_figures(&self.store).await? } else { Vec::new() };
        let running = if needs(RuleKind::RunTooLong) { store::runs::running(&self.store).await? } else { Vec::new() };
        let instances = if needs(RuleKind::WorkerLost) { store::instances::list_recent(&self.store, now - 7 * 24 * 3600 * 1000).await? } else { Vec::new() };
        let queue_facts = if rules.iter().any(|r| r.kind.is_queue_rule()) { Some(super::queues::facts(&self.store, self.depth.as_ref()).await?) } else { None };

        for rule in &rules {
            match rule.kind {
                RuleKind::NotSucceededWithin => {
                    let limit = rule.duration_ms.unwrap_or(i64::MAX);
                    for job in jobs.iter().filter(|j| !j.paused && rule.scope.matches_job(&j.code, j.lane.as_str())) {
                        let since = successes.get(&job.code).copied().unwrap_or(job.created_at);
                        let obs = if now - since > limit {
                            let what = if successes.contains_key(&job.code) { "has not succeeded" } else { "has never succeeded" };
                            Observation::Bad(Detail {
                                summary: format!("{} {what} for {} (limit {})", job.code, fmt_ms(now - since), fmt_ms(limit)),
                                job: Some(job.code.clone()),
                                lane: Some(job.lane.to_string()),
                                ..Default::default()
                            })
                        } else {
                            Observation::Good
                        };
                        self.apply(rule, Subject::Job(job.code.clone()), obs, now).await?;
                    }
                }
                RuleKind::LateStart => {
                    let grace = rule.duration_ms.unwrap_or(DEFAULT_LATE_GRACE_MS);
                    for job in jobs.iter().filter(|j| !j.paused && j.schedule.is_some() && rule.scope.matches_job(&j.code, j.lane.as_str())) {
                        let waiting = waiting.get(&job.code).filter(|(_, at)| now - at > grace);
                        let cursor = cursors.get(&job.code).copied().flatten().filter(|next| now - next > grace);
                        let obs = match (waiting, cursor) {
                            (Some((id, at)), _) => Observation::Bad(Detail {
                                summary: format!("{} was due {} ago and has not started (grace {})", job.code, fmt_ms(now - at), fmt_ms(grace)),
                                job: Some(job.code.clone()),
                                lane: Some(job.lane.to_string()),
                                run_id: Some(*id),
                                ..Default::default()
                            }),
                            (None, Some(next)) => Observation::Bad(Detail {
                                summary: format!("{} was due {} ago and no run was created (is the scheduler running?)", job.code, fmt_ms(now - next)),
                                job: Some(job.code.clone()),
                                lane: Some(job.lane.to_string()),
                                ..Default::default()
                            }),
                            (None, None) => Observation::Good,
                        };
                        self.apply(rule, Subject::Job(job.code.clone()), obs, now).await?;
                    }
                }
                RuleKind::LaneSaturated => {
                    for (lane, slots) in self.lanes.iter().filter(|(l, _)| rule.scope.matches_lane(l)) {
                        let f = lanes.iter().find(|f| &f.lane == lane).cloned().unwrap_or_default();
                        let bad = match rule.duration_ms {
                            Some(d) => f.oldest_queued_at.filter(|at| now - at > d).map(|at| {
                                format!("lane {lane}: the oldest queued run has waited {} (limit {}); {} queued, {}/{slots} slots busy", fmt_ms(now - at), fmt_ms(d), f.queued, f.running)
                            }),
                            None => (f.running >= *slots as i64 && f.queued > 0)
                                .then(|| format!("lane {lane} is saturated: {}/{slots} slots busy and {} runs queued", f.running, f.queued)),
                        };
                        let obs = match bad {
                            Some(summary) => Observation::Bad(Detail { summary, lane: Some(lane.clone()), ..Default::default() }),
                            None => Observation::Good,
                        };
                        self.apply(rule, Subject::Lane(lane.clone()), obs, now).await?;
                    }
                }
                RuleKind::RunTooLong => {
                    for c in running.iter().filter(|c| rule.scope.matches_job(&c.run.job_code, c.run.lane.as_str())) {
                        let Some(started) = c.run.started_at else { continue };
                        let took = now - started;
                        if let Some((limit, why)) = self.too_long_limit(rule, &c.run).await? {
                            if took > limit {
                                let mut d = run_detail(&c.run, format!("{} has been running for {} ({why})", c.run.job_code, fmt_ms(took)));
                                d.duration_ms = Some(took);
                                self.apply(rule, Subject::Job(c.run.job_code.clone()), Observation::Bad(d), now).await?;
                            }
                        }
                    }
                }
                RuleKind::WorkerLost => {
                    let expiry = self.heartbeat_expiry.as_millis() as i64;
                    for i in instances.iter().filter(|i| i.role == "worker") {
                        let lost = i.stopped_at.is_none() && now - i.heartbeat_at > expiry;
                        let obs = if lost {
                            Observation::Bad(Detail {
                                summary: format!("worker {} on {} sent no heartbeat for {}", i.id, i.node, fmt_ms(now - i.heartbeat_at)),
                                ..Default::default()
                            })
                        } else {
                            Observation::Good
                        };
                        self.apply(rule, Subject::Worker(i.id.clone()), obs, now).await?;
                    }
                }
                RuleKind::LeaderLost => {
                    let Some(tick) = &self.scheduler_tick else { continue };
                    let last = tick.load(Ordering::Relaxed);
                    if last == 0 {
                        continue; // not ticked yet since start
                    }
                    let limit = rule.duration_ms.unwrap_or(DEFAULT_LEADER_LOST_MS);
                    let obs = if now - last > limit {
                        Observation::Bad(Detail { summary: format!("the scheduler has not ticked for {} (limit {})", fmt_ms(now - last), fmt_ms(limit)), ..Default::default() })
                    } else {
                        Observation::Good
                    };
                    self.apply(rule, Subject::Scheduler, obs, now).await?;
                }
                RuleKind::QueueDepth | RuleKind::QueueNoConsumer | RuleKind::ConsumerCrashLoop => {
                    let Some(facts) = &queue_facts else { continue };
                    for (subject, obs) in super::queues::observe(&self.store, rule, facts, now).await? {
                        self.apply(rule, subject, obs, now).await?;
                    }
                }
                _ => {}
            }
        }
        for a in astore::remind_due(&self.store, &rules, now).await? {
            tracing::info!(rule = %a.rule, subject = %a.subject, alert = a.id, reminders = a.reminders, "alert reminder");
            self.events.send(AlertEvent::Reminded(a));
            self.outbox.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(super::median(&mut [5, 1, 3]), Some(3));
        assert_eq!(super::median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(super::median(&mut []), None);
    }
}
