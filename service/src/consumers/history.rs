//! Depth history: every `queues.depth_sample_every`, one process (the holder
//! of the `queue_depth_sampler` lease, so several nodes do not sample the same
//! queues twice) reads every known queue's depth into `queue_depth_samples`,
//! and forgets samples older than `queues.depth_history_keep`. The dashboard
//! draws trends from it; `queueDepthHistory` serves it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::depth::DepthSources;
use super::overview;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::store::consumers::{self as store_consumers, DepthSample};
use crate::store::{leases, Store};

pub const LEASE: &str = "queue_depth_sampler";

/// One sampling pass if this process holds (or takes) the lease; returns how
/// many samples were written.
pub async fn sample_once(
    store: &Store,
    config: &Config,
    sources: &DepthSources,
    instance: &str,
    now: i64,
) -> anyhow::Result<usize> {
    let every = config.queues.depth_sample_every.as_millis() as i64;
    if !leases::try_acquire_or_renew(store, LEASE, instance, every * 3, now).await? {
        return Ok(0);
    }
    let queues = overview::queues(store, sources).await?;
    let samples: Vec<DepthSample> = queues
        .iter()
        .filter(|q| q.depth.ready.is_some())
        .map(|q| DepthSample {
            queue: q.depth.name.clone(),
            transport: q.depth.transport.as_str().into(),
            at: now,
            ready: q.depth.ready,
            in_flight: q.depth.in_flight,
            errored: q.depth.errored,
        })
        .collect();
    store_consumers::insert_samples(store, &samples).await?;
    store_consumers::purge_samples(
        store,
        now - config.queues.depth_history_keep.as_millis() as i64,
    )
    .await?;
    Ok(samples.len())
}

pub async fn run(
    store: Store,
    config: Arc<Config>,
    clock: SharedClock,
    sources: DepthSources,
    instance: String,
    stop: CancellationToken,
) {
    loop {
        if let Err(e) = sample_once(&store, &config, &sources, &instance, clock.now_ms()).await {
            tracing::warn!(error = %e, "queue depth sampling failed");
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(config.queues.depth_sample_every) => {}
        }
    }
    let _ = leases::release(&store, LEASE, &instance).await;
}
