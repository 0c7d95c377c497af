//! The embedded queue: the `runs` table is the lane queue. A feed claims the
//! lane's next QUEUED run (highest priority, then earliest due) with
//! `store::runs::claim_next`. The scheduler wakes the lane in-process when it
//! queues work; runs queued by another process are found by polling.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{LaneFeed, Next, Ticket};
use crate::store::runs::{self, ClaimOutcome};
use crate::worker::WorkerContext;

/// How often an idle lane looks for work it was not woken for (runs queued by
/// another node or process).
const IDLE_POLL: Duration = Duration::from_millis(250);

pub struct EmbeddedFeed {
    ctx: WorkerContext,
    lane: String,
    wake: Arc<Notify>,
}

impl EmbeddedFeed {
    pub fn new(ctx: WorkerContext, lane: &str) -> Self {
        let wake = ctx.wakeups.waiter(lane);
        Self { ctx, lane: lane.to_string(), wake }
    }
}

#[async_trait]
impl LaneFeed for EmbeddedFeed {
    async fn next(&mut self, stop: &CancellationToken) -> Next {
        match runs::claim_next(&self.ctx.store, &self.lane, &self.ctx.instance, self.ctx.now()).await {
            Ok(ClaimOutcome::Run(claimed)) => Next::Run(claimed, Ticket::Store),
            Ok(ClaimOutcome::Skipped(id)) => Next::Skipped(id),
            Ok(ClaimOutcome::Empty) => {
                tokio::select! {
                    _ = stop.cancelled() => return Next::Stopped,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
                Next::Idle
            }
            Err(e) => {
                tracing::error!(lane = %self.lane, error = %e, "claiming a run failed; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return Next::Stopped,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                Next::Idle
            }
        }
    }
}
