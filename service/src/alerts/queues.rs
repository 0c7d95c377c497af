//! The queue and consumer rules, judged by the periodic pass:
//!
//! - `queue_depth`: a queue has more than `count` (default 0) messages ready;
//!   with `duration`, only once every sampled depth over that long was above
//!   it (the depth history, `queues.depth_sample_every`), so a burst that is
//!   worked off quickly does not page anyone.
//! - `queue_no_consumer`: a queue has more than `count` (default 0) messages
//!   ready and no consumer on it; with `duration`, its oldest ready message
//!   is also older than that.
//! - `consumer_crash_loop`: a consumer was parked after failing
//!   `crash_loop_limit` times in a row; good again once it is started.
//!
//! Scope: `queues` lists queue names (or consumer names, for
//! `consumer_crash_loop`; its watched queue matches too), glob patterns
//! allowed; empty means all. A queue whose depth cannot be read is neither
//! bad nor good: its alert stays as it is.

use super::model::{Detail, Observation, Subject};
use super::rule::{Rule, RuleKind};
use crate::consumers::depth::DepthSources;
use crate::consumers::overview::{self, QueueView};
use crate::domain::EpochMs;
use crate::magento::glob_match;
use crate::store::{self, Store};

fn in_scope(rule: &Rule, names: &[&str]) -> bool {
    rule.scope.queues.is_empty()
        || rule
            .scope
            .queues
            .iter()
            .any(|p| names.iter().any(|n| glob_match(p, n)))
}

/// What the queue rules see this pass; read once for all rules.
pub struct QueueFacts {
    pub queues: Vec<QueueView>,
    pub consumers: Vec<overview::ConsumerView>,
}

pub async fn facts(store: &Store, sources: Option<&DepthSources>) -> store::Result<QueueFacts> {
    let queues = match sources {
        Some(s) => overview::queues(store, s).await?,
        None => Vec::new(),
    };
    Ok(QueueFacts {
        queues,
        consumers: overview::consumers(store).await?,
    })
}

/// The observations of one queue or consumer rule, one per subject.
pub async fn observe(
    store: &Store,
    rule: &Rule,
    facts: &QueueFacts,
    now: EpochMs,
) -> store::Result<Vec<(Subject, Observation)>> {
    let mut out = Vec::new();
    let threshold = rule.count.unwrap_or(0) as i64;
    match rule.kind {
        RuleKind::QueueDepth => {
            for q in facts
                .queues
                .iter()
                .filter(|q| in_scope(rule, &[&q.depth.name]))
            {
                let Some(ready) = q.depth.ready else { continue };
                let bad = match rule.duration_ms {
                    None => ready > threshold,
                    Some(d) => {
                        ready > threshold
                            && stayed_above(store, &q.depth.name, threshold, d, now).await?
                    }
                };
                let obs = if bad {
                    let how_long = rule
                        .duration_ms
                        .map(|d| format!(" for over {} s", d / 1000))
                        .unwrap_or_default();
                    Observation::Bad(Detail {
                        summary: format!(
                            "queue {} has {ready} messages waiting (limit {threshold}){how_long}",
                            q.depth.name
                        ),
                        lane: q.lane.clone(),
                        ..Default::default()
                    })
                } else {
                    Observation::Good
                };
                out.push((Subject::Queue(q.depth.name.clone()), obs));
            }
        }
        RuleKind::QueueNoConsumer => {
            for q in facts
                .queues
                .iter()
                .filter(|q| in_scope(rule, &[&q.depth.name]))
            {
                let Some(ready) = q.depth.ready else { continue };
                let old_enough = match (rule.duration_ms, q.depth.oldest_age_seconds) {
                    (None, _) => true,
                    (Some(d), Some(age)) => age * 1000 > d,
                    (Some(_), None) => true,
                };
                let obs = if ready > threshold && q.consumers == 0 && old_enough {
                    Observation::Bad(Detail {
                        summary: format!(
                            "queue {} has {ready} messages waiting and no consumer",
                            q.depth.name
                        ),
                        lane: q.lane.clone(),
                        ..Default::default()
                    })
                } else {
                    Observation::Good
                };
                out.push((Subject::Queue(q.depth.name.clone()), obs));
            }
        }
        RuleKind::ConsumerCrashLoop => {
            for v in &facts.consumers {
                let c = &v.consumer;
                let watched = c.definition.watch_queue.as_deref().unwrap_or(c.name());
                if !in_scope(rule, &[c.name(), watched]) {
                    continue;
                }
                let obs = match (&c.parked_at, &c.parked_reason) {
                    (Some(_), reason) => Observation::Bad(Detail {
                        summary: format!(
                            "consumer {} is parked: {}",
                            c.name(),
                            reason.as_deref().unwrap_or("crash loop")
                        ),
                        lane: Some(c.definition.lane.to_string()),
                        error: v.processes.iter().find_map(|p| p.last_exit_reason.clone()),
                        ..Default::default()
                    }),
                    (None, _) => Observation::Good,
                };
                out.push((Subject::Consumer(c.name().to_string()), obs));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Every sample of the last `window_ms` was above `threshold`, and the samples
/// reach back that far (a queue watched for less time is not judged yet).
async fn stayed_above(
    store: &Store,
    queue: &str,
    threshold: i64,
    window_ms: i64,
    now: EpochMs,
) -> store::Result<bool> {
    let since = now - window_ms;
    let samples = store::consumers::samples(store, queue, since - window_ms, 10_000).await?;
    let covered = samples.iter().any(|s| s.at <= since);
    let recent: Vec<_> = samples.iter().filter(|s| s.at >= since).collect();
    Ok(covered
        && !recent.is_empty()
        && recent
            .iter()
            .all(|s| s.ready.is_some_and(|r| r > threshold)))
}
