//! History retention: finished runs are purged per status in small batches,
//! with a pause between batches, so a large purge never holds the database
//! (and with it the scheduler) for long.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::config::RetentionConfig;
use crate::domain::RunStatus;
use crate::store::{self, Store};

const PAUSE_BETWEEN_BATCHES: Duration = Duration::from_millis(50);
const INTERVAL: Duration = Duration::from_secs(60);

/// One full pass; returns how many runs were removed.
pub async fn purge_once(store: &Store, clock: &SharedClock, r: &RetentionConfig, shutdown: &CancellationToken) -> store::Result<u64> {
    let now = clock.now_ms();
    let other: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_terminal() && *s != RunStatus::Succeeded).collect();
    let passes = [(now - r.succeeded.as_millis() as i64, vec![RunStatus::Succeeded]), (now - r.other.as_millis() as i64, other)];
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

pub async fn run(store: Store, clock: SharedClock, r: RetentionConfig, shutdown: CancellationToken) {
    loop {
        match purge_once(&store, &clock, &r, &shutdown).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "purged old runs"),
            Err(e) => tracing::error!(error = %e, "purging old runs failed; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
