//! The pool on the embedded queue, with real processes and a real SQLite
//! store: a lane keeps to its slot count while it works through a backlog, and
//! a deployment drain lets the running run end and starts nothing more.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Pool, WorkerContext};
use crate::config::Config;
use crate::domain::{ConcurrencyPolicy, Executor, Job, LaneName, RunStatus};
use crate::store::runs::{self, NewRun, RunFilter};
use crate::store::{jobs, settings, testing, Store};
use crate::wakeups::Wakeups;

fn context(store: &Store, lane: &str, slots: usize) -> WorkerContext {
    let mut config = Config::load_with_env(None, &BTreeMap::new()).expect("default config");
    config.lanes.retain(|l| l.name.as_str() != lane);
    config.lanes.push(crate::config::LaneConfig { name: LaneName::parse(lane).unwrap(), slots, default_timeout: None });
    let names: Vec<String> = config.lanes.iter().map(|l| l.name.to_string()).collect();
    WorkerContext {
        store: store.clone(),
        config: Arc::new(config),
        clock: crate::clock::system(),
        events: Default::default(),
        wakeups: Wakeups::new(names.iter().map(|s| s.as_str())),
        instance: "pool-test".into(),
    }
}

async fn queue(store: &Store, code: &str, lane: &str, argv: &[&str], n: usize) -> Vec<i64> {
    let mut job = Job::new(code, LaneName::parse(lane).unwrap(), None, Executor::Command { argv: argv.iter().map(|s| s.to_string()).collect(), env: vec![], working_dir: None });
    job.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(store, &job, 1).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(runs::insert(store, &NewRun::manual(code, lane, RunStatus::Queued, now), now).await.unwrap().unwrap());
    }
    ids
}

async fn statuses(store: &Store, ids: &[i64]) -> Vec<RunStatus> {
    let mut out = Vec::new();
    for id in ids {
        out.push(runs::require(store, *id).await.unwrap().status);
    }
    out
}

async fn until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_one_slot_lane_works_through_its_backlog_one_run_at_a_time() {
    let (store, _dir) = testing::sqlite_store().await;
    let ids = queue(&store, "short", "solo", &["sleep", "0.05"], 6).await;
    let shutdown = CancellationToken::new();
    let pool = tokio::spawn(Pool::new(context(&store, "solo", 1), vec![("solo".into(), 1)]).run(shutdown.clone()));
    until("every run succeeded", Duration::from_secs(20), async || statuses(&store, &ids).await.iter().all(|s| *s == RunStatus::Succeeded)).await;
    shutdown.cancel();
    pool.await.unwrap();

    let mut spans = Vec::new();
    for id in &ids {
        let run = runs::require(&store, *id).await.unwrap();
        spans.push((run.started_at.unwrap(), run.finished_at.unwrap()));
    }
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "a run started before the one before it ended, in a one-slot lane: {spans:?}");
    }
}

#[tokio::test]
async fn a_drain_lets_the_running_run_end_and_starts_nothing_more_until_resumed() {
    let (store, _dir) = testing::sqlite_store().await;
    let ids = queue(&store, "long", "solo", &["sleep", "1.5"], 3).await;
    let shutdown = CancellationToken::new();
    let pool = tokio::spawn(Pool::new(context(&store, "solo", 1), vec![("solo".into(), 1)]).run(shutdown.clone()));
    until("the first run started", Duration::from_secs(10), async || statuses(&store, &ids).await[0] == RunStatus::Running).await;
    // `cronkeeper drain`: the pool sees the switch within a second, before the
    // first run's end, when its slot would otherwise take the second.
    settings::set(&store, settings::DRAINING, "1").await.unwrap();
    until("the first run ended", Duration::from_secs(10), async || statuses(&store, &ids).await[0] == RunStatus::Succeeded).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(statuses(&store, &ids).await[1..], [RunStatus::Queued, RunStatus::Queued], "nothing starts while draining");
    let running = runs::count(&store, &RunFilter { statuses: Some(vec![RunStatus::Running]), ..Default::default() }).await.unwrap();
    assert_eq!(running, 0);

    settings::remove(&store, settings::DRAINING).await.unwrap();
    until("the second run started after the resume", Duration::from_secs(10), async || statuses(&store, &ids).await[1] != RunStatus::Queued).await;
    shutdown.cancel();
    pool.await.unwrap();
}
