//! Wake-ups across processes on PostgreSQL: a run queued by one process wakes
//! idle lanes (and the AMQP publisher) in every other process at once, instead
//! of at their next poll (250 ms for an idle lane, 200 ms for the publisher).
//!
//! A trigger on `runs` (`migrations/postgres/0009_runs_queued_notify.sql`) sends
//! `NOTIFY cronkeeper_queued, '<lane>'` when a row becomes QUEUED, whoever wrote
//! it: the scheduler leader, an API call on another `serve`, a retry. The
//! notification is delivered at commit, so a woken claimer finds the run. This
//! task LISTENs on its own connection and pokes the in-process [`Wakeups`].
//!
//! Polling stays as the fallback: notifications are not queued for a listener
//! that is disconnected, so after a reconnect every lane is woken once. MySQL and
//! MariaDB have no LISTEN; there the poll alone finds work queued elsewhere.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::wakeups::Wakeups;

/// The channel the trigger notifies; its payload is the lane name.
pub const CHANNEL: &str = "cronkeeper_queued";

const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(15);

/// Relays notifications into `wakeups` until `stop`. `database_url` is the
/// store's; it is never logged (it may hold a password).
pub async fn relay(database_url: String, wakeups: Wakeups, stop: CancellationToken) {
    let mut pause = RETRY_FIRST;
    loop {
        match listen(&database_url).await {
            Ok(mut listener) => {
                pause = RETRY_FIRST;
                // Anything queued while we were not listening was not announced.
                wakeups.wake_all();
                if relay_until_lost(&mut listener, &wakeups, &stop).await.is_none() {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot LISTEN for queued runs; idle lanes poll meanwhile"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(RETRY_MAX);
    }
}

async fn listen(database_url: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// `None` when stopped, `Some(())` when the connection was lost.
async fn relay_until_lost(listener: &mut PgListener, wakeups: &Wakeups, stop: &CancellationToken) -> Option<()> {
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => return None,
            r = listener.try_recv() => r,
        };
        match received {
            Ok(Some(notice)) => wakeups.wake(notice.payload()),
            Ok(None) => {
                tracing::warn!("the LISTEN connection for queued runs was lost; reconnecting");
                return Some(());
            }
            Err(e) => {
                tracing::warn!(error = %e, "the LISTEN connection for queued runs failed; reconnecting");
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::domain::{Executor, Job, LaneName, RunStatus};
    use crate::store::runs::{self, NewRun};
    use crate::store::{jobs, testing, Backend};

    /// A run queued through one store connection wakes the lane of a relay
    /// that knows nothing else of it, well before any poll would.
    #[tokio::test]
    async fn a_run_queued_elsewhere_wakes_the_lane_at_once() {
        let Some(db) = testing::fresh(Backend::Postgres).await else { return };
        let url = db.url().expect("a server database");
        let wakeups = Wakeups::new(["critical", "default"]);
        let critical = wakeups.waiter("critical");
        let stop = CancellationToken::new();
        let relay = tokio::spawn(relay(url, wakeups.clone(), stop.clone()));
        // The first wake is the one after connecting: wait for it, then queue.
        let default = wakeups.waiter("default");
        tokio::time::timeout(Duration::from_secs(10), critical.notified()).await.expect("the relay connects and wakes every lane");
        tokio::time::timeout(Duration::from_secs(1), default.notified()).await.expect("every lane");

        let job = Job::new("urgent", LaneName::parse("critical").unwrap(), None, Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
        jobs::save(&db.store, &job, 0).await.unwrap();
        let queued_at = Instant::now();
        runs::insert(&db.store, &NewRun::manual("urgent", "critical", RunStatus::Queued, 0), 0).await.unwrap().expect("inserted");
        tokio::time::timeout(Duration::from_secs(2), critical.notified()).await.expect("woken by the notification");
        assert!(queued_at.elapsed() < Duration::from_millis(200), "woken after {:?}: that is a poll, not a notification", queued_at.elapsed());

        // A lane the run is not in is not woken by it.
        runs::insert(&db.store, &NewRun::manual("urgent", "critical", RunStatus::Queued, 0), 0).await.unwrap();
        assert!(tokio::time::timeout(Duration::from_millis(300), default.notified()).await.is_err(), "only the run's lane wakes");

        stop.cancel();
        relay.await.unwrap();
    }
}
