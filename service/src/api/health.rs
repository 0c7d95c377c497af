//! Probes for orchestrators. `/healthz` says the process answers (liveness: no
//! store access, so a slow database never gets a healthy process restarted);
//! `/readyz` says it can do its job: the store answers, the scheduler has
//! ticked recently and, with AMQP dispatch, the broker is connected. Neither
//! needs a token, and neither says more than that.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::dispatch::Dispatch;
use crate::domain::EpochMs;

/// The scheduler's pulse, shared with the API: the scheduler calls
/// [`Readiness::tick`] on every tick; readiness and the lag metric read it.
#[derive(Debug)]
pub struct Readiness {
    /// 0 until the first tick.
    last_tick_ms: AtomicI64,
    lag_ms: AtomicI64,
    /// When the current run of failed ticks began; 0 while ticks succeed.
    failing_since_ms: AtomicI64,
    stale_after_ms: i64,
}

/// The scheduler ticks every second. A tick that has not completed for 15 s
/// is wedged on the store (one SQLite busy wait is 10 s, so this is more than
/// one): with the write lock held elsewhere, ticks queue for the single writer
/// connection for up to its 30 s acquire timeout without failing, so a failed
/// tick alone would not say "not ready" in time.
pub const STALE_AFTER: Duration = Duration::from_secs(15);

impl Default for Readiness {
    fn default() -> Self {
        Self::new(STALE_AFTER)
    }
}

impl Readiness {
    /// The scheduler counts as stopped when it has not ticked for `stale_after`.
    pub fn new(stale_after: Duration) -> Self {
        Self {
            last_tick_ms: AtomicI64::new(0),
            lag_ms: AtomicI64::new(0),
            failing_since_ms: AtomicI64::new(0),
            stale_after_ms: stale_after.as_millis() as i64,
        }
    }

    /// Called by the scheduler each tick; `lag_ms` is how late the tick ran
    /// behind the earliest fire time it handled (0 when on time).
    pub fn tick(&self, now: EpochMs, lag_ms: i64) {
        self.lag_ms.store(lag_ms.max(0), Ordering::Relaxed);
        self.last_tick_ms.store(now, Ordering::Relaxed);
        self.failing_since_ms.store(0, Ordering::Relaxed);
    }

    /// Called by the scheduler when a tick failed on the store: not ready
    /// until a tick succeeds again. Without it a store that still answers
    /// reads but refuses every write (an SQLite file locked by another
    /// process) would look ready for `stale_after`.
    pub fn tick_failed(&self, now: EpochMs) {
        let _ = self.failing_since_ms.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Since when ticks have been failing, if they are.
    pub fn failing_since(&self) -> Option<EpochMs> {
        Some(self.failing_since_ms.load(Ordering::Relaxed)).filter(|t| *t > 0)
    }

    pub fn last_tick(&self) -> Option<EpochMs> {
        Some(self.last_tick_ms.load(Ordering::Relaxed)).filter(|t| *t > 0)
    }

    pub fn lag_ms(&self) -> i64 {
        self.lag_ms.load(Ordering::Relaxed)
    }

    pub fn scheduler_alive(&self, now: EpochMs) -> bool {
        self.failing_since().is_none() && self.last_tick().is_some_and(|t| now - t <= self.stale_after_ms)
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
    let broker = broker_connected(&state.dispatch);
    let ready = store && scheduler && broker != Some(false);
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        code,
        Json(json!({ "ready": ready, "store": store, "scheduler": scheduler, "broker": broker, "lastTickAgeSeconds": last_tick_age })),
    )
}

/// With AMQP dispatch, whether this process holds a live broker connection
/// (`None` with the embedded queue). Without one nothing is published or
/// consumed: runs pile up QUEUED in the store until the broker is back, so the
/// process cannot do its job, although the store and the scheduler answer.
fn broker_connected(dispatch: &Dispatch) -> Option<bool> {
    match dispatch {
        Dispatch::Embedded => None,
        Dispatch::Amqp(broker) => Some(broker.current().is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amqp_dispatch_is_not_ready_without_a_broker_connection() {
        assert_eq!(broker_connected(&Dispatch::Embedded), None, "the embedded queue has no broker to wait for");
        let config = crate::config::AmqpConfig {
            url: crate::config::Secret::new("amqp://guest:guest@127.0.0.1:1/%2f".into()),
            prefix: "ck-readiness".into(),
        };
        // Never run, so never connected: as while the broker is down.
        let broker = crate::dispatch::amqp::Broker::new(config, "test", vec!["default".into()]);
        assert_eq!(broker_connected(&Dispatch::Amqp(broker)), Some(false));
    }

    #[test]
    fn the_scheduler_counts_as_alive_only_after_a_recent_tick() {
        let r = Readiness::new(Duration::from_secs(10));
        assert!(!r.scheduler_alive(1_000_000));
        r.tick(1_000_000, 250);
        assert!(r.scheduler_alive(1_005_000));
        assert!(!r.scheduler_alive(1_011_000));
        assert_eq!(r.lag_ms(), 250);
    }

    #[test]
    fn a_failed_tick_makes_the_scheduler_not_ready_until_one_succeeds() {
        let r = Readiness::new(Duration::from_secs(30));
        r.tick(1_000_000, 0);
        r.tick_failed(1_001_000);
        r.tick_failed(1_002_000);
        assert!(!r.scheduler_alive(1_002_500), "fresh last tick, but the store is failing");
        assert_eq!(r.failing_since(), Some(1_001_000), "the first failure is kept");
        r.tick(1_003_000, 0);
        assert!(r.scheduler_alive(1_003_500));
        assert_eq!(r.failing_since(), None);
    }
}
