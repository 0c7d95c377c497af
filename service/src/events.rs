//! In-process event fan-out: run status changes as they happen, for GraphQL
//! subscriptions, metrics and (later) alert evaluation. Slow listeners lose old
//! events rather than slowing the workers down (a broadcast channel lags them).

use tokio::sync::broadcast;

use crate::domain::{EpochMs, RunId, RunStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    pub run_id: RunId,
    pub job_code: String,
    pub lane: String,
    pub status: RunStatus,
    pub at: EpochMs,
}

#[derive(Debug, Clone)]
pub struct Events {
    runs: broadcast::Sender<RunEvent>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let (runs, _) = broadcast::channel(4096);
        Self { runs }
    }

    pub fn run_changed(&self, event: RunEvent) {
        // No listener is fine: nobody is subscribed.
        let _ = self.runs.send(event);
    }

    pub fn subscribe_runs(&self) -> broadcast::Receiver<RunEvent> {
        self.runs.subscribe()
    }
}
