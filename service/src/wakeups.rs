//! Per-lane wake-ups: the scheduler (or an API call) that queues a run pokes the
//! lane so a free slot claims it at once instead of at its next poll. Polling
//! remains the fallback, so a lost wake-up only costs latency, never a run.
//! The AMQP publisher waits on [`Wakeups::any_lane`], poked with every lane.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Debug, Clone, Default)]
pub struct Wakeups {
    lanes: Arc<HashMap<String, Arc<Notify>>>,
    any: Arc<Notify>,
}

impl Wakeups {
    pub fn new<'a>(lanes: impl IntoIterator<Item = &'a str>) -> Self {
        Self { lanes: Arc::new(lanes.into_iter().map(|l| (l.to_string(), Arc::new(Notify::new()))).collect()), any: Arc::default() }
    }

    pub fn wake(&self, lane: &str) {
        if let Some(n) = self.lanes.get(lane) {
            n.notify_one();
        }
        self.any.notify_one();
    }

    pub fn wake_all(&self) {
        self.lanes.values().for_each(|n| n.notify_one());
        self.any.notify_one();
    }

    /// Poked whenever any lane is.
    pub fn any_lane(&self) -> Arc<Notify> {
        self.any.clone()
    }

    pub fn waiter(&self, lane: &str) -> Arc<Notify> {
        self.lanes.get(lane).cloned().unwrap_or_default()
    }
}
