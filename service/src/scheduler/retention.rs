//! History retention: finished runs are purged per status in small batches,
//! with a pause between batches, so a large purge never holds the database
//! (and with it the scheduler) for long.
//!
//! The periods come from `[retention]` unless an admin overrode them over the
//! API (`setRetention`): the overrides live in the `settings` table and are
//! read on every pass, so every node follows a change within a minute.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::leader::Leader;

use crate::clock::SharedClock;
use crate::config::RetentionConfig;
use crate::domain::RunStatus;
use crate::store::{self, Store};

/// `settings` names of the API overrides, in milliseconds.
pub const SUCCEEDED_KEY: &str = "retention.succeeded_ms";
pub const OTHER_KEY: &str = "retention.other_ms";

/// Where a retention period comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Config,
    Api,
}

/// The retention in force: the config values with the API overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub succeeded_ms: i64,
    pub succeeded_source: Source,
    pub other_ms: i64,
    pub other_source: Source,
}

async fn period(store: &Store, key: &str, configured: Duration) -> store::Result<(i64, Source)> {
    let stored = store::settings::get(store, key).await?.and_then(|v| v.trim().parse::<i64>().ok()).filter(|ms| *ms > 0);
    Ok(match stored {
        Some(ms) => (ms, Source::Api),
        None => (configured.as_millis().min(i64::MAX as u128) as i64, Source::Config),
    })
}

pub async fn effective(store: &Store, r: &RetentionConfig) -> store::Result<Effective> {
    let (succeeded_ms, succeeded_source) = period(store, SUCCEEDED_KEY, r.succeeded).await?;
    let (other_ms, other_source) = period(store, OTHER_KEY, r.other).await?;
    Ok(Effective { succeeded_ms, succeeded_source, other_ms, other_source })
}

const PAUSE_BETWEEN_BATCHES: Duration = Duration::from_millis(50);
const INTERVAL: Duration = Duration::from_secs(60);

/// One full pass; returns how many runs were removed.
pub async fn purge_once(store: &Store, clock: &SharedClock, r: &RetentionConfig, shutdown: &CancellationToken) -> store::Result<u64> {
    let now = clock.now_ms();
    let e = effective(store, r).await?;
    let other: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_terminal() && *s != RunStatus::Succeeded).collect();
    let passes = [(now.saturating_sub(e.succeeded_ms), vec![RunStatus::Succeeded]), (now.saturating_sub(e.other_ms), other)];
    let mut removed = 0;
    for (before, statuses) in passes {
        loop {
            let n = store::runs::purge_batch(store, before, &statuses, r.purge_batch).await?;
            removed += n;
            if n < r.purge_batch as u64 || shutdown.is_cancelled() {
                break;
            }
            tokio::time::sleep(PAUSE_BETWEEN_BATCHES).await;
        }
    }
    Ok(removed)
}

/// The lease that makes one process at a time purge, however many share the
/// database: purging the same rows from every node only adds lock contention.
pub const RETENTION_LEASE: &str = "retention";

/// Purges every [`INTERVAL`] while this process holds the retention lease. The
/// lease outlives two intervals, so the holder keeps it from pass to pass and
/// another process takes over only when the holder has stopped for that long.
pub async fn run(store: Store, clock: SharedClock, r: RetentionConfig, holder: String, shutdown: CancellationToken) {
    let mut lease = Leader::new(store.clone(), RETENTION_LEASE, holder).with_ttl(INTERVAL * 3);
    loop {
        if lease.check(clock.now_ms()).await.unwrap_or(false) {
            match purge_once(&store, &clock, &r, &shutdown).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "purged old runs"),
                Err(e) => tracing::error!(error = %e, "purging old runs failed; will retry"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => {
                lease.release().await;
                return;
            }
            _ = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
