//! History retention: finished runs (per status), the audit log, resolved
//! alerts and finished alert notifications are purged in small batches, with
//! a pause between batches, so a large purge never holds the database (and
//! with it the scheduler) for long.
//!
//! The periods come from `[retention]` unless an admin overrode them over the
//! API (`setRetention`): the overrides live in the `settings` table and are
//! read on every pass, so every node follows a change within a minute.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::leader::Leader;

use crate::clock::SharedClock;
use crate::config::RetentionConfig;
use crate::domain::{EpochMs, RunStatus};
use crate::store::{self, Store};

/// What is kept for a while and then purged; one period each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// SUCCEEDED runs.
    Succeeded,
    /// Every other finished run.
    Other,
    /// Audit log entries.
    Audit,
    /// RESOLVED alerts (open ones are never purged).
    ResolvedAlerts,
    /// DELIVERED or FAILED alert notifications (queued ones are never purged).
    Notifications,
}

impl Kept {
    pub const ALL: [Kept; 5] = [Kept::Succeeded, Kept::Other, Kept::Audit, Kept::ResolvedAlerts, Kept::Notifications];

    /// `settings` name of the API override, in milliseconds.
    pub fn settings_key(self) -> &'static str {
        match self {
            Kept::Succeeded => SUCCEEDED_KEY,
            Kept::Other => OTHER_KEY,
            Kept::Audit => "retention.audit_ms",
            Kept::ResolvedAlerts => "retention.resolved_alerts_ms",
            Kept::Notifications => "retention.notifications_ms",
        }
    }

    /// The `[retention]` key.
    pub fn config_key(self) -> &'static str {
        match self {
            Kept::Succeeded => "retention.succeeded",
            Kept::Other => "retention.other",
            Kept::Audit => "retention.audit",
            Kept::ResolvedAlerts => "retention.resolved_alerts",
            Kept::Notifications => "retention.notifications",
        }
    }

    fn configured(self, r: &RetentionConfig) -> Duration {
        match self {
            Kept::Succeeded => r.succeeded,
            Kept::Other => r.other,
            Kept::Audit => r.audit,
            Kept::ResolvedAlerts => r.resolved_alerts,
            Kept::Notifications => r.notifications,
        }
    }
}

/// `settings` names of the run overrides (kept: stored by earlier versions).
pub const SUCCEEDED_KEY: &str = "retention.succeeded_ms";
pub const OTHER_KEY: &str = "retention.other_ms";

/// Where a retention period comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Config,
    Api,
}

/// One period in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub ms: i64,
    pub source: Source,
}

/// The retention in force: the config values with the API overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub succeeded: Period,
    pub other: Period,
    pub audit: Period,
    pub resolved_alerts: Period,
    pub notifications: Period,
}

impl Effective {
    pub fn get(&self, kept: Kept) -> Period {
        match kept {
            Kept::Succeeded => self.succeeded,
            Kept::Other => self.other,
            Kept::Audit => self.audit,
            Kept::ResolvedAlerts => self.resolved_alerts,
            Kept::Notifications => self.notifications,
        }
    }
}

async fn period(store: &Store, kept: Kept, r: &RetentionConfig) -> store::Result<Period> {
    let stored = store::settings::get(store, kept.settings_key()).await?.and_then(|v| v.trim().parse::<i64>().ok()).filter(|ms| *ms > 0);
    Ok(match stored {
        Some(ms) => Period { ms, source: Source::Api },
        None => Period { ms: kept.configured(r).as_millis().min(i64::MAX as u128) as i64, source: Source::Config },
    })
}

pub async fn effective(store: &Store, r: &RetentionConfig) -> store::Result<Effective> {
    Ok(Effective {
        succeeded: period(store, Kept::Succeeded, r).await?,
        other: period(store, Kept::Other, r).await?,
        audit: period(store, Kept::Audit, r).await?,
        resolved_alerts: period(store, Kept::ResolvedAlerts, r).await?,
        notifications: period(store, Kept::Notifications, r).await?,
    })
}

const PAUSE_BETWEEN_BATCHES: Duration = Duration::from_millis(50);
const INTERVAL: Duration = Duration::from_secs(60);

/// How many rows one pass removed, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub runs: u64,
    pub audit: u64,
    pub alerts: u64,
    pub notifications: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.runs + self.audit + self.alerts + self.notifications
    }
}

/// One batch of `kept` older than `before`; returns how many went.
async fn purge_batch(store: &Store, kept: Kept, before: EpochMs, batch: i64) -> store::Result<u64> {
    match kept {
        Kept::Succeeded => store::runs::purge_batch(store, before, &[RunStatus::Succeeded], batch).await,
        Kept::Other => {
            let other: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_terminal() && *s != RunStatus::Succeeded).collect();
            store::runs::purge_batch(store, before, &other, batch).await
        }
        Kept::Audit => store::audit::purge_batch(store, before, batch).await,
        Kept::ResolvedAlerts => store::alerts::purge_resolved_batch(store, before, batch).await,
        Kept::Notifications => store::alerts::purge_notifications_batch(store, before, batch).await,
    }
}

/// One full pass over everything kept.
pub async fn purge_once(store: &Store, clock: &SharedClock, r: &RetentionConfig, shutdown: &CancellationToken) -> store::Result<Purged> {
    let now = clock.now_ms();
    let e = effective(store, r).await?;
    let mut purged = Purged::default();
    for kept in Kept::ALL {
        let before = now.saturating_sub(e.get(kept).ms);
        let mut removed = 0;
        loop {
            let n = purge_batch(store, kept, before, r.purge_batch).await?;
            removed += n;
            if n < r.purge_batch as u64 || shutdown.is_cancelled() {
                break;
            }
            tokio::time::sleep(PAUSE_BETWEEN_BATCHES).await;
        }
        match kept {
            Kept::Succeeded | Kept::Other => purged.runs += removed,
            Kept::Audit => purged.audit += removed,
            Kept::ResolvedAlerts => purged.alerts += removed,
            Kept::Notifications => purged.notifications += removed,
        }
    }
    Ok(purged)
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
                Ok(p) if p.total() == 0 => {}
                Ok(p) => tracing::info!(runs = p.runs, audit = p.audit, alerts = p.alerts, notifications = p.notifications, "purged old history"),
                Err(e) => tracing::error!(error = %e, "purging old history failed; will retry"),
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
