//! Probes for orchestrators. `/healthz` says the process answers (liveness: no
//! store access, so a slow database never gets a healthy process restarted);
//! `/readyz` says it can do its job: the store answers and the scheduler has
//! ticked recently. Neither needs a token, and neither says more than that.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::domain::EpochMs;

/// The scheduler's pulse, shared with the API: the scheduler calls
/// [`Readiness::tick`] on every tick; readiness and the lag metric read it.
#[derive(Debug)]
pub struct Readiness {
    /// 0 until the first tick.
    last_tick_ms: AtomicI64,
    lag_ms: AtomicI64,
    stale_after_ms: i64,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new(Duration::from_secs(30))
    }
}

impl Readiness {
    /// The scheduler counts as stopped when it has not ticked for `stale_after`.
    pub fn new(stale_after: Duration) -> Self {
        Self { last_tick_ms: AtomicI64::new(0), lag_ms: AtomicI64::new(0), stale_after_ms: stale_after.as_millis() as i64 }
    }

    /// Called by the scheduler each tick; `lag_ms` is how late the tick ran
    /// behind the earliest fire time it handled (0 when on time).
    pub fn tick(&self, now: EpochMs, lag_ms: i64) {
        self.lag_ms.store(lag_ms.max(0), Ordering::Relaxed);
        self.last_tick_ms.store(now, Ordering::Relaxed);
    }

    pub fn last_tick(&self) -> Option<EpochMs> {
        Some(self.last_tick_ms.load(Ordering::Relaxed)).filter(|t| *t > 0)
    }

    pub fn lag_ms(&self) -> i64 {
        self.lag_ms.load(Ordering::Relaxed)
    }

    pub fn scheduler_alive(&self, now: EpochMs) -> bool {
        self.last_tick().is_some_and(|t| now - t <= self.stale_after_ms)
    }
}

pub(super) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub(super) async fn readyz(State(app): State<Arc<super::App>>) -> impl IntoResponse {
    let state = &app.state;
    let now = state.clock.now_ms();
    let store = state.store.ping().await;
    let scheduler = state.readiness.scheduler_alive(now);
    let last_tick_age = state.readiness.last_tick().map(|t| (now - t) as f64 / 1000.0);
    let ready = store && scheduler;
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(json!({ "ready": ready, "store": store, "scheduler": scheduler, "lastTickAgeSeconds": last_tick_age })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_counts_as_alive_only_after_a_recent_tick() {
        let r = Readiness::new(Duration::from_secs(10));
        assert!(!r.scheduler_alive(1_000_000));
        r.tick(1_000_000, 250);
        assert!(r.scheduler_alive(1_005_000));
        assert!(!r.scheduler_alive(1_011_000));
        assert_eq!(r.lag_ms(), 250);
    }
}
