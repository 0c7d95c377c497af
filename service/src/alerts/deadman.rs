//! The dead man's switch: a GET to an outside check (Healthchecks.io style)
//! at most every `alerts.dead_mans_switch_every`, and only while the scheduler
//! ticks. When cronkeeper dies, hangs, or its scheduler stops ticking, the
//! pings stop and the outside check raises the alarm.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::config::Secret;

/// A tick older than this is not healthy (the scheduler ticks every second).
pub const HEALTHY_TICK_MS: i64 = 5_000;

pub struct DeadMansSwitch {
    url: Secret,
    every: Duration,
    clock: SharedClock,
    tick: Arc<AtomicI64>,
    http: reqwest::Client,
}

impl DeadMansSwitch {
    pub fn new(url: Secret, every: Duration, clock: SharedClock, tick: Arc<AtomicI64>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client builds");
        Self { url, every, clock, tick, http }
    }

    pub fn healthy(&self) -> bool {
        let last = self.tick.load(Ordering::Relaxed);
        last > 0 && self.clock.now_ms() - last <= HEALTHY_TICK_MS
    }

    /// Pings once if the scheduler is healthy; true when the check answered 2xx.
    pub async fn ping_if_healthy(&self) -> bool {
        if !self.healthy() {
            tracing::warn!("dead man's switch not pinged: the scheduler has not ticked recently");
            return false;
        }
        match self.http.get(self.url.expose()).send().await {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "dead man's switch ping answered with an error");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "dead man's switch ping failed");
                false
            }
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        // A first ping soon after start (once the scheduler has ticked), then every `every`.
        let mut wait = Duration::from_secs(2).min(self.every);
        loop {
            tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(wait) => {} }
            self.ping_if_healthy().await;
            wait = self.every;
        }
    }
}
