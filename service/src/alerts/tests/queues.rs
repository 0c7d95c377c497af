//! `queue_depth` and `queue_no_consumer` against real queue depths: Magento's
//! MySQL queue tables (as Magento_MysqlMq's db_schema.xml declares them) in a
//! fresh MariaDB database, read by the service's own depth reader, with the
//! notifications delivered to a local recording webhook receiver.

use sqlx::{AnyConnection, Connection as _, Executor as _};

use super::*;
use crate::consumers::depth::mysql::{MysqlQueues, STATUS_NEW};
use crate::consumers::depth::DepthSources;
use crate::store::testing::{empty, TestStore};
use crate::store::Backend;

/// Magento's `queue`, `queue_message` and `queue_message_status`.
const MAGENTO_QUEUE_SCHEMA: &str = include_str!("../../../testdata/magento_mysql_queue.sql");

/// Magento's MySQL queue in a database of its own (dropped with the guard).
struct MagentoQueue {
    db: TestStore,
    url: String,
}

impl MagentoQueue {
    /// `None` (after saying so) outside CI when MariaDB is not reachable.
    async fn new() -> Option<Self> {
        let db = empty(Backend::MySql).await?;
        let url = db.url().expect("a server database has a URL");
        let mut conn = AnyConnection::connect(&url).await.unwrap();
        // One statement at a time: the file is written for the mysql client.
        let sql: String = MAGENTO_QUEUE_SCHEMA.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            conn.execute(statement).await.unwrap();
        }
        Some(Self { db, url })
    }

    async fn sql(&self, sql: &str) {
        let mut conn = AnyConnection::connect(&self.url).await.unwrap();
        conn.execute(sql).await.unwrap();
    }

    /// Publishes `n` new messages to `queue`, as MysqlMq does.
    async fn publish(&self, queue: &str, n: usize) {
        self.sql(&format!("INSERT IGNORE INTO queue (name) VALUES ('{queue}')")).await;
        for i in 0..n {
            self.sql(&format!("INSERT INTO queue_message (topic_name, body) VALUES ('{queue}', '{{\"n\":{i}}}')")).await;
            self.sql(&format!(
                "INSERT INTO queue_message_status (queue_id, message_id, status) \
                 SELECT q.id, (SELECT MAX(id) FROM queue_message), {STATUS_NEW} FROM queue q WHERE q.name = '{queue}'"
            ))
            .await;
        }
    }

    /// A consumer worked everything off: every message of `queue` complete (4).
    async fn work_off(&self, queue: &str) {
        self.sql(&format!("UPDATE queue_message_status s JOIN queue q ON q.id = s.queue_id SET s.status = 4 WHERE q.name = '{queue}'")).await;
    }

    fn sources(&self) -> DepthSources {
        DepthSources { mysql: Some(MysqlQueues::new(&self.url, "")), amqp: None }
    }
}

/// A harness whose evaluator reads depths from `queue`, and a webhook channel
/// `ops` on a recording receiver.
async fn queue_harness(rule_toml: &str, queue: &MagentoQueue) -> (Harness, Receiver, Deliverer, CancellationToken) {
    let mut h = harness(&[rule(rule_toml, &["ops"])]).await;
    h.eval.depth = Some(queue.sources());
    let rx = Receiver::default();
    let (addr, stop) = rx.start().await;
    let d = Deliverer::new(h.store.clone(), system_clock(), &alerts_config(vec![webhook("ops", addr)], 10, 50, 5), AlertEvents::new());
    (h, rx, d, stop)
}

/// Delivers everything queued and returns the `event` of every request the
/// receiver got, in order, each with its signature checked.
async fn delivered(rx: &Receiver, d: &Deliverer, expected: usize) -> Vec<String> {
    while d.deliver_due().await.unwrap() > 0 {}
    let hits = rx.wait_for(expected, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.hits().len(), expected, "nothing more was sent");
    hits.iter()
        .map(|hit| {
            verify(&hit.headers, &hit.body, HMAC_KEY);
            let v: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
            format!("{} {}", v["event"].as_str().unwrap(), v["alert"]["subject"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn queue_depth_fires_once_while_a_queue_is_deep_and_resolves_once_when_it_is_worked_off() {
    let Some(queue) = MagentoQueue::new().await else { return };
    let (h, rx, d, _stop) = queue_harness("name = 'deep'\nwhen = 'queue_depth'\nqueues = ['export*']\ncount = 3\nchannels = ['ops']", &queue).await;
    queue.publish("export", 3).await;
    queue.publish("product_action_attribute.update", 10).await; // out of scope
    h.pass().await;
    assert!(h.alerts().await.is_empty(), "3 messages are not more than 3");

    queue.publish("export", 2).await;
    h.pass().await;
    h.pass().await; // still deep: no second alert, no repeat
    let alerts = h.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!((alerts[0].subject.as_str(), alerts[0].state), ("queue:export", AlertState::Open));
    assert!(alerts[0].summary.contains("5 messages waiting"), "{}", alerts[0].summary);
    assert_eq!(delivered(&rx, &d, 1).await, ["opened queue:export"]);

    queue.work_off("export").await;
    h.pass().await;
    h.pass().await;
    h.assert_opened_then_resolved("queue:export").await;
    assert_eq!(delivered(&rx, &d, 2).await, ["opened queue:export", "resolved queue:export"]);
    drop(queue.db);
}

#[tokio::test]
async fn queue_no_consumer_fires_once_for_waiting_messages_nobody_takes_and_resolves_once() {
    let Some(queue) = MagentoQueue::new().await else { return };
    let (h, rx, d, _stop) = queue_harness("name = 'orphaned'\nwhen = 'queue_no_consumer'\nqueues = ['async.operations.all']\nchannels = ['ops']", &queue).await;
    queue.sql("INSERT INTO queue (name) VALUES ('async.operations.all')").await;
    h.pass().await;
    assert!(h.alerts().await.is_empty(), "an empty queue needs no consumer");

    queue.publish("async.operations.all", 2).await;
    h.pass().await;
    h.pass().await;
    let alerts = h.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!((alerts[0].subject.as_str(), alerts[0].state), ("queue:async.operations.all", AlertState::Open));
    assert!(alerts[0].summary.contains("no consumer"), "{}", alerts[0].summary);
    assert_eq!(delivered(&rx, &d, 1).await, ["opened queue:async.operations.all"]);

    queue.work_off("async.operations.all").await;
    h.pass().await;
    h.assert_opened_then_resolved("queue:async.operations.all").await;
    assert_eq!(delivered(&rx, &d, 2).await, ["opened queue:async.operations.all", "resolved queue:async.operations.all"]);
    drop(queue.db);
}
