//! The AMQP transport against a real RabbitMQ and a real PostgreSQL: publish
//! with confirms, consume with acknowledgements after the outcome, dead
//! letters, redeliveries of finished runs, and a broker restart in the middle
//! of a batch. See `testing.rs` for where the broker is.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use tokio_util::sync::CancellationToken;

use super::testing::{self, BROKER};
use super::{publisher::Publisher, topology, AmqpFeed, Broker};
use crate::config::Config;
use crate::dispatch::{Dispatch, LaneFeed, Next};
use crate::domain::{ConcurrencyPolicy, Executor, Job, LaneName, RunStatus};
use crate::store::runs::{self, Finish, NewRun, RunFilter};
use crate::store::testing::fresh;
use crate::store::{jobs, publish, Backend, Store};
use crate::wakeups::Wakeups;
use crate::worker::{Pool, WorkerContext};

const LANES: &[&str] = &["critical", "default"];

fn config(url: &str, prefix: &str) -> Config {
    let text = format!(
        "amqp_url = \"{url}\"\namqp_prefix = \"{prefix}\"\nheartbeat_interval = \"1s\"\nheartbeat_expiry = \"10s\"\nkill_grace = \"1s\"\ndrain_timeout = \"5s\"\n[lanes.critical]\nslots = 2\n[lanes.default]\nslots = 4\n"
    );
    Config::from_file(Config::parse_file(&text, "test").unwrap()).unwrap()
}

/// What every test here needs: the broker's URL, a fresh PostgreSQL store
/// (dropped with `_db`), a queue-name prefix of its own and a configuration.
struct Setup {
    url: String,
    store: Store,
    prefix: String,
    config: Arc<Config>,
    _db: crate::store::testing::TestStore,
}

/// `None` when the broker or PostgreSQL is unreachable outside CI (said on stderr).
async fn setup() -> Option<Setup> {
    let url = testing::reachable().await?;
    let db = fresh(Backend::Postgres).await?;
    let prefix = testing::unique_prefix();
    let config = Arc::new(config(&url, &prefix));
    Some(Setup { store: db.store.clone(), url, prefix, config, _db: db })
}

fn ctx(store: &Store, config: &Arc<Config>, instance: &str) -> WorkerContext {
    WorkerContext {
        store: store.clone(),
        config: config.clone(),
        clock: crate::clock::system(),
        events: Default::default(),
        wakeups: Wakeups::new(LANES.iter().copied()),
        instance: instance.into(),
    }
}

async fn true_job(store: &Store, code: &str, lane: &str) {
    let mut j = Job::new(code, LaneName::parse(lane).unwrap(), Some("@every 1h".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    j.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(store, &j, 1).await.unwrap();
}

async fn queue_runs(store: &Store, code: &str, lane: &str, n: usize) -> Vec<i64> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(runs::insert(store, &NewRun::manual(code, lane, RunStatus::Queued, now), now).await.unwrap().unwrap());
    }
    ids
}

/// A broker connection kept up until the returned token is cancelled.
fn start_broker(config: &Config, instance: &str, stop: &CancellationToken) -> Arc<Broker> {
    let broker = Broker::new(config.amqp.clone().unwrap(), instance, LANES.iter().map(|s| s.to_string()).collect());
    tokio::spawn(broker.clone().run(stop.clone()));
    broker
}

fn start_publisher(broker: &Arc<Broker>, store: &Store, instance: &str, stop: &CancellationToken) {
    let publisher = Publisher {
        broker: broker.clone(),
        store: store.clone(),
        clock: crate::clock::system(),
        wake: Arc::new(tokio::sync::Notify::new()),
        instance: instance.into(),
        lanes: LANES.iter().map(|s| s.to_string()).collect(),
    };
    tokio::spawn(publisher.run(stop.clone()));
}

async fn wait_until<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(store: &Store, status: RunStatus) -> i64 {
    runs::count(store, &RunFilter { statuses: Some(vec![status]), ..Default::default() }).await.unwrap()
}

/// Raw publish of `body` to a lane queue, as a misbehaving producer would.
async fn publish_raw(url: &str, prefix: &str, lane: &str, body: &[u8]) {
    let c = Connection::connect(url, ConnectionProperties::default()).await.unwrap();
    let ch = c.create_channel().await.unwrap();
    topology::declare_dead_letter(&ch, prefix).await.unwrap();
    topology::declare_lane(&ch, prefix, lane).await.unwrap();
    ch.confirm_select(Default::default()).await.unwrap();
    let queue = topology::lane_queue(prefix, lane);
    let confirm = ch.basic_publish("".into(), queue.as_str().into(), BasicPublishOptions::default(), body, BasicProperties::default().with_delivery_mode(2)).await.unwrap();
    assert!(confirm.await.unwrap().is_ack());
    c.close(200, "done".into()).await.unwrap();
}

/// Pulls from `feed` until `quiet` passes with nothing to run; finishes every
/// run it is handed as SUCCEEDED and settles its ticket.
async fn drain_feed(feed: &mut AmqpFeed, store: &Store, quiet: Duration) -> Vec<i64> {
    let stop = CancellationToken::new();
    let mut started = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < quiet {
        match feed.next(&stop).await {
            Next::Run(claimed, ticket) => {
                let done = Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: None, error: None };
                let stored = runs::finish(store, claimed.run.id, claimed.claim, &done, chrono::Utc::now().timestamp_millis()).await.unwrap();
                ticket.settle(stored).await;
                started.push(claimed.run.id);
                last = Instant::now();
            }
            Next::Skipped(_) => last = Instant::now(),
            Next::Idle => {}
            Next::Stopped => break,
        }
    }
    started
}

#[tokio::test]
async fn published_runs_are_claimed_once_and_acknowledged_after_their_outcome() {
    let _shared = BROKER.read().await;
    let Some(Setup { url, store, prefix, config, _db }) = setup().await else { return };
    true_job(&store, "t", "default").await;
    let ids = queue_runs(&store, "t", "default", 30).await;
    let stop = CancellationToken::new();
    let broker = start_broker(&config, "publisher", &stop);
    start_publisher(&broker, &store, "publisher:1:1:x", &stop);
    wait_until(Duration::from_secs(20), "every run published", || async { publish::unpublished(&store, 100).await.unwrap().is_empty() }).await;
    assert!(publish::published_at(&store, ids[0]).await.unwrap().is_some());

    let mut feed = AmqpFeed::new(broker.clone(), ctx(&store, &config, "w1"), "default", 4);
    let started = drain_feed(&mut feed, &store, Duration::from_secs(2)).await;
    let mut sorted = started.clone();
    sorted.sort();
    assert_eq!(sorted, ids, "each run claimed exactly once");
    assert_eq!(count(&store, RunStatus::Succeeded).await, 30);
    assert!(runs::running(&store).await.unwrap().is_empty());
    drop(feed);
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // With the consumer's connection closed, anything unacknowledged would be ready again.
    assert_eq!(testing::queue_state(&url, &topology::lane_queue(&prefix, "default")).await, Some((0, 0)), "every message was acknowledged");
    testing::clean_up(&url, &prefix, LANES).await;
}

#[tokio::test]
async fn messages_that_name_no_waiting_run_are_dead_lettered_or_dropped() {
    let _shared = BROKER.read().await;
    let Some(Setup { url, store, prefix, config, _db }) = setup().await else { return };
    true_job(&store, "t", "default").await;
    let [finished, other_lane]: [i64; 2] = queue_runs(&store, "t", "default", 2).await.try_into().unwrap();
    // `finished` already ran and ended: its message is a redelivery.
    let runs::ClaimById::Claimed(runs::ClaimOutcome::Run(c)) = runs::claim_by_id(&store, finished, "default", "gone", 1).await.unwrap() else { panic!() };
    runs::finish(&store, finished, c.claim, &Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: None, error: None }, 2).await.unwrap();
    publish_raw(&url, &prefix, "default", b"not a run id").await;
    publish_raw(&url, &prefix, "default", b"987654321").await;
    publish_raw(&url, &prefix, "default", finished.to_string().as_bytes()).await;
    publish_raw(&url, &prefix, "critical", other_lane.to_string().as_bytes()).await;

    let stop = CancellationToken::new();
    let broker = start_broker(&config, "w1", &stop);
    let mut default = AmqpFeed::new(broker.clone(), ctx(&store, &config, "w1"), "default", 4);
    let mut critical = AmqpFeed::new(broker.clone(), ctx(&store, &config, "w1"), "critical", 2);
    assert!(drain_feed(&mut default, &store, Duration::from_secs(2)).await.is_empty(), "nothing there may start");
    assert!(drain_feed(&mut critical, &store, Duration::from_secs(2)).await.is_empty(), "a run of another lane may not start");
    assert_eq!(runs::require(&store, other_lane).await.unwrap().status, RunStatus::Queued);
    let finished_run = runs::require(&store, finished).await.unwrap();
    assert_eq!((finished_run.status, finished_run.worker.as_deref()), (RunStatus::Succeeded, Some("gone")), "the redelivery changed nothing");
    drop((default, critical));
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dead = testing::queue_state(&url, &topology::dead_letter(&prefix)).await;
    assert_eq!(dead, Some((3, 0)), "the malformed body, the unknown run and the other lane's run are dead letters");
    for lane in LANES {
        assert_eq!(testing::queue_state(&url, &topology::lane_queue(&prefix, lane)).await, Some((0, 0)), "lane {lane} kept a message");
    }
    testing::clean_up(&url, &prefix, LANES).await;
}

/// Two worker pools and a publisher on one database; the broker stops and
/// starts while runs are queued and running. Every run ends once, SUCCEEDED,
/// with claim 1: nothing was lost (all ran) or doubled (none ran twice).
#[tokio::test]
async fn a_broker_restart_loses_and_doubles_no_run() {
    let _exclusive = BROKER.write().await;
    let Some(Setup { url, store, prefix, config, _db }) = setup().await else { return };
    let mut j = Job::new("nap", LaneName::parse("default").unwrap(), None, Executor::Command { argv: vec!["sleep".into(), "0.2".into()], env: vec![], working_dir: None });
    j.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(&store, &j, 1).await.unwrap();
    let mut ids = queue_runs(&store, "nap", "default", 60).await;

    let stop = CancellationToken::new();
    let publisher_broker = start_broker(&config, "publisher", &stop);
    start_publisher(&publisher_broker, &store, "publisher:1:1:x", &stop);
    let pool_stop = CancellationToken::new();
    let mut pools = Vec::new();
    let mut brokers = Vec::new();
    for w in ["w1", "w2"] {
        let broker_stop = CancellationToken::new();
        let broker = start_broker(&config, w, &broker_stop);
        let pool = Pool::new(ctx(&store, &config, w), vec![("default".into(), 4)]).with_dispatch(Dispatch::Amqp(broker));
        pools.push(tokio::spawn(pool.run(pool_stop.clone())));
        brokers.push(broker_stop);
    }
    wait_until(Duration::from_secs(30), "some runs done", || async { count(&store, RunStatus::Succeeded).await >= 10 }).await;

    testing::rabbitmqctl("stop_app");
    // Queued while the broker is away: they must be published once it is back.
    ids.extend(queue_runs(&store, "nap", "default", 20).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    testing::rabbitmqctl("start_app");

    wait_until(Duration::from_secs(90), "all 80 runs finished", || async { count(&store, RunStatus::Succeeded).await == 80 }).await;
    pool_stop.cancel();
    for p in pools {
        p.await.unwrap();
    }
    let all = runs::list(&store, &RunFilter::default(), runs::RunSort::Id, crate::store::Direction::Asc, crate::store::Page { limit: 1000, offset: 0 }).await.unwrap();
    assert_eq!(all.len(), 80, "no run was added (no retry, no duplicate)");
    let mut by_worker: HashMap<String, usize> = HashMap::new();
    for run in &all {
        assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
        *by_worker.entry(run.worker.clone().unwrap_or_default()).or_default() += 1;
    }
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    assert!(claimed_once(&store).await, "a run was claimed more than once");
    assert_eq!(by_worker.len(), 2, "both workers took runs: {by_worker:?}");
    for b in brokers {
        b.cancel();
    }
    stop.cancel();
    testing::clean_up(&url, &prefix, LANES).await;
}

/// Every run's fencing token is 1: one claim each.
async fn claimed_once(store: &Store) -> bool {
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT COUNT(*) AS n FROM runs WHERE claim <> 1").fetch_one(store.reader()).await.unwrap();
    rows.try_get::<i64, _>("n").unwrap() == 0
}

/// The embedded queue hands out a lane's highest-priority run first; over
/// AMQP the lane queue must too, even for a run published after a backlog.
#[tokio::test]
async fn a_later_run_of_higher_priority_overtakes_the_backlog() {
    let _shared = BROKER.read().await;
    let Some(Setup { url, store, prefix, config, _db }) = setup().await else { return };
    true_job(&store, "t", "default").await;
    let backlog = queue_runs(&store, "t", "default", 5).await;
    let stop = CancellationToken::new();
    let broker = start_broker(&config, "publisher", &stop);
    start_publisher(&broker, &store, "publisher:1:1:x", &stop);
    wait_until(Duration::from_secs(20), "the backlog published", || async { publish::unpublished(&store, 100).await.unwrap().is_empty() }).await;
    let now = chrono::Utc::now().timestamp_millis();
    let mut urgent = NewRun::manual("t", "default", RunStatus::Queued, now);
    urgent.priority = 3;
    let urgent = runs::insert(&store, &urgent, now).await.unwrap().unwrap();
    wait_until(Duration::from_secs(20), "the urgent run published", || async { publish::published_at(&store, urgent).await.unwrap().is_some() }).await;

    let mut feed = AmqpFeed::new(broker.clone(), ctx(&store, &config, "w1"), "default", 1);
    let started = drain_feed(&mut feed, &store, Duration::from_secs(2)).await;
    assert_eq!(started.first(), Some(&urgent), "started in the order {started:?} (backlog {backlog:?})");
    assert_eq!(&started[1..], &backlog[..], "the backlog keeps its order behind it");
    drop(feed);
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
    testing::clean_up(&url, &prefix, LANES).await;
}
