//! Queue consumers supervised by the real binary, with stand-in consumers
//! that really consume: `amqp-consume` on a real RabbitMQ queue, and a bash +
//! `mysql` script on Magento's queue tables (created from Magento's
//! db_schema.xml in a fresh MariaDB database). Each exits after its budget of
//! messages, as `queue:consumers:start --max-messages` does.
//!
//! Needs RabbitMQ on 127.0.0.1:5672 (guest/guest), MariaDB on 127.0.0.1:3306
//! (root, no password), and the amqp-tools and mariadb clients. Under CI they
//! must be there; elsewhere a test without them prints SKIPPED and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{alive, spawn_app, App, BIN};

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672";
const SECRET: &str = "e2e-test-secret-e2e-test-secret-0123456789";

fn skip_or_fail(what: &str, why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{what}: {why} (required in CI)");
    }
    eprintln!("SKIPPED {what}: {why}");
    true
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn rabbit_ready(test: &str) -> bool {
    if !tool("amqp-consume") || !tool("amqp-publish") {
        return !skip_or_fail(
            test,
            "amqp-tools (amqp-consume, amqp-publish) are not installed",
        );
    }
    // A broker restarted by a neighbouring test suite gets a few seconds.
    let reachable = (0..50).any(|_| std::net::TcpStream::connect("127.0.0.1:5672").is_ok() || { std::thread::sleep(Duration::from_millis(100)); false });
    if !reachable {
        return !skip_or_fail(test, "RabbitMQ is not reachable on 127.0.0.1:5672");
    }
    true
}

fn amqp(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(["--url", AMQP_URL])
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh, uniquely named RabbitMQ queue, deleted on drop.
struct RabbitQueue(String);

impl RabbitQueue {
    fn new(tag: &str) -> Self {
        let name = format!("ck-e2e-{tag}-{}", rand_suffix());
        amqp(&["amqp-declare-queue", "-q", &name]);
        Self(name)
    }
    fn publish(&self, n: usize) {
        for i in 0..n {
            amqp(&["amqp-publish", "-r", &self.0, "-b", &format!("message {i}")]);
        }
    }
}

impl Drop for RabbitQueue {
    fn drop(&mut self) {
        let _ = Command::new("amqp-delete-queue")
            .args(["--url", AMQP_URL, "-q", &self.0])
            .output();
    }
}

fn rand_suffix() -> String {
    format!(
        "{}{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) % 1_000_000_000
    )
}

/// A fresh MariaDB database with Magento's three queue tables, dropped on drop.
struct MagentoDb {
    name: String,
}

/// Magento's `queue`, `queue_message` and `queue_message_status` as their
/// db_schema.xml (Magento_MysqlMq) declares them.
const MAGENTO_QUEUE_SCHEMA: &str = include_str!("../../service/testdata/magento_mysql_queue.sql");

fn mysql(db: Option<&str>, sql: &str) -> String {
    let mut cmd = Command::new("mysql");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-B"]);
    if let Some(db) = db {
        cmd.arg(db);
    }
    let out = cmd.args(["-e", sql]).output().unwrap();
    assert!(
        out.status.success(),
        "mysql: {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mariadb_ready(test: &str) -> bool {
    if !tool("mysql") {
        return !skip_or_fail(test, "the mysql client is not installed");
    }
    if std::net::TcpStream::connect("127.0.0.1:3306").is_err() {
        return !skip_or_fail(test, "MariaDB is not reachable on 127.0.0.1:3306");
    }
    true
}

impl MagentoDb {
    fn new() -> Self {
        let name = format!("ck_magento_{}", rand_suffix());
        mysql(None, &format!("CREATE DATABASE {name}"));
        mysql(Some(&name), MAGENTO_QUEUE_SCHEMA);
        Self { name }
    }
    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.name)
    }
    /// Publishes `n` messages to `queue` with `status` (2 new, 3 in progress, 5 retry, 6 error), as Magento's MysqlMq does.
    fn publish(&self, queue: &str, n: usize, status: i64) {
        let mut sql = format!("INSERT IGNORE INTO queue (name) VALUES ('{queue}');");
        for i in 0..n {
            sql.push_str(&format!(
                "INSERT INTO queue_message (topic_name, body) VALUES ('{queue}', '{{\"n\":{i}}}');\
                 INSERT INTO queue_message_status (queue_id, message_id, status) SELECT id, LAST_INSERT_ID(), {status} FROM queue WHERE name = '{queue}';"
            ));
        }
        mysql(Some(&self.name), &sql);
    }
    fn count(&self, queue: &str, status: i64) -> i64 {
        mysql(Some(&self.name), &format!("SELECT COUNT(*) FROM queue_message_status s JOIN queue q ON q.id = s.queue_id WHERE q.name = '{queue}' AND s.status = {status}"))
            .parse()
            .unwrap()
    }
}

impl Drop for MagentoDb {
    fn drop(&mut self) {
        let _ = Command::new("mysql")
            .args([
                "-h",
                "127.0.0.1",
                "-u",
                "root",
                "-e",
                &format!("DROP DATABASE IF EXISTS {}", self.name),
            ])
            .output();
    }
}

/// The stand-in for `bin/magento queue:consumers:start <name> --max-messages=N`
/// on the `db` connection: takes one new message at a time (`FOR UPDATE SKIP
/// LOCKED`, so two instances never take the same one), marks it complete,
/// and exits 0 after N. Logs `start <pid>` and `done <pid> <message>`.
fn mysql_consumer(dir: &Path, db: &str, queue: &str, max: usize, log: &Path) -> Vec<String> {
    let script = dir.join("mysql-consumer.sh");
    std::fs::write(
        &script,
        r#"#!/usr/bin/env bash
set -u
db=$1 queue=$2 max=$3 log=$4
echo "start $$" >> "$log"
done=0
while [ "$done" -lt "$max" ]; do
  id=$(mysql -h 127.0.0.1 -u root -N -B "$db" -e "
    START TRANSACTION;
    SELECT s.id INTO @id FROM queue_message_status s JOIN queue q ON q.id = s.queue_id
      WHERE q.name = '$queue' AND s.status IN (2, 5) ORDER BY s.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    UPDATE queue_message_status SET status = 4 WHERE id = @id;
    COMMIT;
    SELECT IFNULL(@id, '');") || exit 7
  if [ -n "$id" ]; then
    echo "done $$ $id" >> "$log"
    done=$((done + 1))
  else
    sleep 0.2
  fi
done
exit 0
"#,
    )
    .unwrap();
    vec![
        "bash".into(),
        script.display().to_string(),
        db.into(),
        queue.into(),
        max.to_string(),
        log.display().to_string(),
    ]
}

/// The stand-in on RabbitMQ: `amqp-consume` takes `max` messages, one at a
/// time, then exits 0. The wrapper logs its pid first.
fn amqp_consumer(dir: &Path, queue: &str, max: usize, log: &Path) -> Vec<String> {
    let script = dir.join("amqp-consumer.sh");
    std::fs::write(
        &script,
        r#"#!/usr/bin/env bash
echo "start $$" >> "$4"
exec amqp-consume --url "$1" -q "$2" -c "$3" -p 1 -- sh -c "cat > /dev/null; echo \"done $$\" >> '$4'"
"#,
    )
    .unwrap();
    vec![
        "bash".into(),
        script.display().to_string(),
        AMQP_URL.into(),
        queue.into(),
        max.to_string(),
        log.display().to_string(),
    ]
}

fn toml_list(argv: &[String]) -> String {
    let quoted: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn started_pids(log: &Path) -> Vec<i32> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("start "))
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

fn live(pids: &[i32]) -> Vec<i32> {
    pids.iter().copied().filter(|p| alive(*p)).collect()
}

fn token() -> String {
    let secret = cronkeeper::config::Secret::new(SECRET.into());
    cronkeeper::api::auth::mint(
        &secret,
        "e2e",
        cronkeeper::api::Role::Admin,
        Duration::from_secs(600),
        chrono::Utc::now().timestamp_millis(),
        None,
    )
}

/// The whole answer, errors included.
async fn graphql_as(app: &App, token: &str, query: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/graphql", app.port))
        .bearer_auth(token)
        .json(&serde_json::json!({ "query": query }));
    response.send().await.unwrap().json().await.unwrap()
}

/// The data of an answer that must have no errors, as an admin.
async fn graphql(app: &App, query: &str) -> Value {
    let answer = graphql_as(app, &token(), query).await;
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

async fn consumer(app: &App, name: &str) -> Value {
    let data = graphql(
        app,
        "{ consumers { name lane desiredInstances maxMessages onlyWhenMessages watchQueue source state parkedReason \
           processes { slot pid node startedAt restarts lastExitCode lastExitReason outputTail state } } }",
    )
    .await;
    data["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Polls `check` every 100 ms until it holds, or panics with `what` and the log.
async fn eventually<F: FnMut() -> bool>(app: &App, within: Duration, what: &str, mut check: F) {
    let deadline = Instant::now() + within;
    while !check() {
        if Instant::now() > deadline {
            panic!("not within {within:?}: {what}\nlog:\n{}", app.log());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Samples the live stand-ins every 20 ms while `f` runs: the most ever alive at once.
fn watch_concurrency(
    log: PathBuf,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio_util::sync::CancellationToken,
) {
    let max = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    let (m, s) = (max.clone(), stop.clone());
    tokio::spawn(async move {
        while !s.is_cancelled() {
            let n = live(&started_pids(&log)).len();
            m.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    (max, stop)
}

#[tokio::test]
async fn desired_instances_are_kept_and_each_process_is_recycled_at_its_max_messages() {
    let test = "consumers: instances and recycling";
    if !rabbit_ready(test) {
        return;
    }
    let queue = RabbitQueue::new("recycle");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("consumer.log");
    let argv = amqp_consumer(dir.path(), &queue.0, 3, &log);
    let app = spawn_app(&format!(
        "[queues]\namqp_url = \"{AMQP_URL}\"\n[[consumers]]\nname = \"orders.export\"\ninstances = 2\nmax_messages = 3\nwatch_queue = \"{q}\"\nconnection = \"amqp\"\ncommand = {cmd}\n",
        q = queue.0,
        cmd = toml_list(&argv)
    ))
    .await;
    eventually(
        &app,
        Duration::from_secs(15),
        "two consumer processes start",
        || live(&started_pids(&log)).len() == 2,
    )
    .await;
    let (max_alive, stop_watch) = watch_concurrency(log.clone());
    let first: BTreeSet<i32> = started_pids(&log).into_iter().collect();

    queue.publish(12);
    let done = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("done"))
            .count()
    };
    eventually(
        &app,
        Duration::from_secs(40),
        "all 12 messages consumed",
        || done() == 12,
    )
    .await;
    // 12 messages at a budget of 3: every process that exited took exactly 3
    // and was replaced at once; the two alive have taken fewer. The broker
    // decides who gets which message, so 4 exits (3+3+3+3, two fresh waiters)
    // and 3 exits (the two alive holding 3 between them) are both right:
    // 5 or 6 starts. Wait until two are alive after at least 5 starts.
    eventually(
        &app,
        Duration::from_secs(15),
        "two processes alive after the recycling",
        || started_pids(&log).len() >= 5 && live(&started_pids(&log)).len() == 2,
    )
    .await;
    stop_watch.cancel();
    let all: BTreeSet<i32> = started_pids(&log).into_iter().collect();
    assert!(
        all.len() == 5 || all.len() == 6,
        "12 messages at 3 per process: 3 or 4 recycled processes and 2 alive: {all:?}"
    );
    assert!(
        first.iter().all(|p| !alive(*p)),
        "the first processes exited at their budget"
    );
    assert_eq!(
        max_alive.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "never more than the desired two at once"
    );

    let c = consumer(&app, "orders.export").await;
    assert_eq!(c["desiredInstances"], 2, "{c}");
    assert_eq!(c["state"], "RUNNING", "{c}");
    let procs = c["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 2, "{c}");
    let restarts: i64 = procs.iter().map(|p| p["restarts"].as_i64().unwrap()).sum();
    assert!(restarts as usize >= all.len() - 2, "a restart per recycled process: {c}");
    assert!(procs.iter().any(|p| p["lastExitCode"] == 0), "{c}");
    for p in procs {
        assert!(alive(p["pid"].as_i64().unwrap() as i32), "{c}");
    }
    let queues = graphql(&app, "{ queues { name transport ready consumers } }").await;
    let q = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == queue.0.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        (
            q["transport"].as_str(),
            q["ready"].as_i64(),
            q["consumers"].as_i64()
        ),
        (Some("AMQP"), Some(0), Some(2)),
        "{q}"
    );
}

#[tokio::test]
async fn a_crash_loop_is_parked_reported_and_started_again_on_request() {
    let app = spawn_app(
        r#"
[[consumers]]
name = "broken.consumer"
command = ["sh", "-c", "echo 'PHP Fatal error: class not found'; exit 3"]
crash_loop_limit = 3
backoff = { initial = "100ms", max = "200ms" }
"#,
    )
    .await;
    let mut c = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        c = consumer(&app, "broken.consumer").await;
        if c["state"] == "PARKED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(c["state"], "PARKED", "{c}\n{}", app.log());
    let reason = c["parkedReason"].as_str().unwrap();
    assert!(
        reason.contains("crash loop")
            && reason.contains("3 failed starts")
            && reason.contains("code 3"),
        "{reason}"
    );
    assert!(
        c["processes"].as_array().unwrap().is_empty(),
        "a parked consumer has no process: {c}"
    );
    let slots = cronkeeper::store::consumers::slots_of(&app.store, "broken.consumer")
        .await
        .unwrap();
    assert_eq!(slots[0].last_exit_code, Some(3));
    assert!(
        slots[0]
            .output_tail
            .as_deref()
            .unwrap_or("")
            .contains("PHP Fatal error"),
        "{slots:?}"
    );
    // Stays parked: no more starts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(consumer(&app, "broken.consumer").await["state"], "PARKED");

    let started = graphql(
        &app,
        r#"mutation { startConsumer(name: "broken.consumer") { name state } }"#,
    )
    .await;
    assert_ne!(started["startConsumer"]["state"], "PARKED", "{started}");
    let audit = graphql(
        &app,
        "{ auditLog(first: 5) { nodes { operation outcome } } }",
    )
    .await;
    assert!(
        audit["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "startConsumer" && e["outcome"] == "ok"),
        "{audit}"
    );
    // It fails again and is parked again: the loop is real, not a stale flag.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let c = consumer(&app, "broken.consumer").await;
        if c["state"] == "PARKED" {
            break;
        }
        assert!(Instant::now() < deadline, "not parked again: {c}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn only_when_messages_starts_a_consumer_when_messages_arrive_and_not_before() {
    let test = "consumers: only when messages";
    if !mariadb_ready(test) {
        return;
    }
    let db = MagentoDb::new();
    db.publish("product_action_attribute.update", 0, 2);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("consumer.log");
    let argv = mysql_consumer(
        dir.path(),
        &db.name,
        "product_action_attribute.update",
        2,
        &log,
    );
    let app = spawn_app(&format!(
        "[queues]\nmagento_database_url = \"{url}\"\n[[consumers]]\nname = \"product_action_attribute.update\"\nonly_when_messages = true\nconnection = \"db\"\nmax_messages = 2\ncommand = {cmd}\n",
        url = db.url(),
        cmd = toml_list(&argv)
    ))
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        started_pids(&log).is_empty(),
        "started with an empty queue\n{}",
        app.log()
    );
    let c = consumer(&app, "product_action_attribute.update").await;
    assert_eq!(c["state"], "WAITING", "{c}");

    db.publish("product_action_attribute.update", 2, 2);
    eventually(
        &app,
        Duration::from_secs(15),
        "both messages consumed",
        || db.count("product_action_attribute.update", 4) == 2,
    )
    .await;
    eventually(
        &app,
        Duration::from_secs(10),
        "the consumer exits at its budget",
        || live(&started_pids(&log)).is_empty(),
    )
    .await;
    // The queue is empty again: no replacement is started.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        started_pids(&log).len(),
        1,
        "one process for the two messages, none after\n{}",
        app.log()
    );
    // More messages bring it back.
    db.publish("product_action_attribute.update", 1, 2);
    eventually(
        &app,
        Duration::from_secs(15),
        "the new message consumed",
        || db.count("product_action_attribute.update", 4) == 3,
    )
    .await;
    assert_eq!(started_pids(&log).len(), 2);
}

#[tokio::test]
async fn no_duplicate_processes_after_cronkeeper_is_killed_and_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("consumer.log");
    let script = dir.path().join("forever.sh");
    std::fs::write(
        &script,
        "#!/usr/bin/env bash\necho \"start $$\" >> \"$1\"\nexec sleep 600\n",
    )
    .unwrap();
    let mut app = spawn_app(&format!(
        "[[consumers]]\nname = \"async.operations.all\"\ninstances = 2\ncommand = [\"bash\", \"{}\", \"{}\"]\n",
        script.display(),
        log.display()
    ))
    .await;
    eventually(&app, Duration::from_secs(15), "two processes", || {
        live(&started_pids(&log)).len() == 2
    })
    .await;
    let before = live(&started_pids(&log));

    app.kill_9();
    // Orphaned, as after a crash: they keep running in their own groups.
    assert_eq!(live(&before).len(), 2, "orphans survive a kill -9");
    app.restart().await;
    eventually(
        &app,
        Duration::from_secs(20),
        "the leftovers ended and two fresh processes started",
        || live(&before).is_empty() && live(&started_pids(&log)).len() == 2,
    )
    .await;
    // And it stays at two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let now = live(&started_pids(&log));
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(
        started_pids(&log).len(),
        4,
        "two before the crash, two after: no extra starts"
    );

    // `cronkeeper consumers restart` (after a deployment) replaces them.
    let out = Command::new(BIN)
        .args(["consumers", "restart", "--config"])
        .arg(&app.config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually(&app, Duration::from_secs(20), "both replaced", || {
        live(&now).is_empty() && live(&started_pids(&log)).len() == 2
    })
    .await;

    // A clean stop ends them (TERM to the group) and leaves nothing behind.
    let last = live(&started_pids(&log));
    assert!(app.stop().success());
    assert!(
        live(&last).is_empty(),
        "processes left after a clean stop: {last:?}"
    );
}

#[tokio::test]
async fn queue_depths_equal_what_was_published() {
    let test = "consumers: queue depths";
    if !mariadb_ready(test) || !rabbit_ready(test) {
        return;
    }
    let db = MagentoDb::new();
    db.publish("export", 5, 2);
    db.publish("export", 2, 3);
    db.publish("export", 1, 6);
    db.publish("export", 3, 5);
    db.publish("codegenerator", 4, 2);
    db.publish("codegenerator", 9, 4);
    let rabbit = RabbitQueue::new("depth");
    rabbit.publish(7);
    let app = spawn_app(&format!(
        "[queues]\nmagento_database_url = \"{url}\"\namqp_url = \"{AMQP_URL}\"\n\
         [[consumers]]\nname = \"exportProcessor\"\nwatch_queue = \"export\"\nconnection = \"db\"\ninstances = 0\n\
         [[consumers]]\nname = \"rabbit.consumer\"\nwatch_queue = \"{q}\"\nconnection = \"amqp\"\ninstances = 0\n",
        url = db.url(),
        q = rabbit.0
    ))
    .await;
    let data = graphql(&app, "{ queues { name transport ready inFlight errored retrying depth consumers oldestMessageAgeSeconds lane } }").await;
    let queues = data["queues"].as_array().unwrap();
    let find = |name: &str| {
        queues
            .iter()
            .find(|q| q["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {data}"))
    };
    let export = find("export");
    assert_eq!(export["transport"], "MYSQL");
    assert_eq!(
        (
            export["ready"].as_i64(),
            export["retrying"].as_i64(),
            export["inFlight"].as_i64(),
            export["errored"].as_i64()
        ),
        (Some(8), Some(3), Some(2), Some(1)),
        "{export}"
    );
    assert_eq!(export["depth"], export["ready"]);
    assert!(
        export["oldestMessageAgeSeconds"].as_f64().unwrap() >= 0.0,
        "{export}"
    );
    let codegen = find("codegenerator");
    assert_eq!(
        (
            codegen["ready"].as_i64(),
            codegen["inFlight"].as_i64(),
            codegen["errored"].as_i64()
        ),
        (Some(4), Some(0), Some(0)),
        "completed messages are not depth: {codegen}"
    );
    let r = find(&rabbit.0);
    assert_eq!(
        (
            r["transport"].as_str(),
            r["ready"].as_i64(),
            r["consumers"].as_i64()
        ),
        (Some("AMQP"), Some(7), Some(0)),
        "{r}"
    );
    assert!(
        r["inFlight"].is_null(),
        "a passive declare does not tell unacknowledged messages: {r}"
    );
}

#[tokio::test]
async fn magento_consumers_are_imported_synced_and_keep_operator_overrides() {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/magento-reference/queue");
    if !reference.exists() {
        skip_or_fail(
            "consumers: import",
            "shared/magento-reference/queue is missing",
        );
        return;
    }
    let app = spawn_app("").await;
    let out = Command::new(BIN)
        .args(["import", "magento-consumers", "--config"])
        .arg(&app.config)
        .arg(&reference)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let imported: i64 = stdout
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{stdout}"));
    assert!(imported >= 10 && stdout.contains("0 updated"), "{stdout}");

    let c = consumer(&app, "async.operations.all").await;
    assert_eq!(
        (
            c["source"].as_str(),
            c["watchQueue"].as_str(),
            c["desiredInstances"].as_i64()
        ),
        (Some("MAGENTO"), Some("async.operations.all"), Some(1)),
        "{c}"
    );
    // An operator sets instances (and stops it meanwhile, so no php is started here).
    graphql(
        &app,
        r#"mutation { stopConsumer(name: "async.operations.all") { state } }"#,
    )
    .await;
    let set = graphql(&app, r#"mutation { setConsumerInstances(name: "async.operations.all", instances: 3) { desiredInstances state } }"#).await;
    assert_eq!(set["setConsumerInstances"]["desiredInstances"], 3);
    assert_eq!(set["setConsumerInstances"]["state"], "STOPPED");

    // A re-import and the module's sync keep it.
    let again = Command::new(BIN)
        .args(["import", "magento-consumers", "--config"])
        .arg(&app.config)
        .arg(&reference)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stdout).starts_with("0 created"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let synced = graphql(
        &app,
        r#"mutation { syncMagentoConsumers(consumers: [{ name: "async.operations.all", queue: "async.operations.all", maxMessages: 500 }, { name: "new.one", connection: "db" }]) { created updated unchanged removed } }"#,
    )
    .await;
    let r = &synced["syncMagentoConsumers"];
    assert_eq!(
        (
            r["created"].as_i64(),
            r["updated"].as_i64(),
            r["removed"].as_i64()
        ),
        (Some(1), Some(1), Some(imported - 1)),
        "{r}"
    );
    let c = consumer(&app, "async.operations.all").await;
    assert_eq!(
        (c["desiredInstances"].as_i64(), c["maxMessages"].as_i64()),
        (Some(3), Some(500)),
        "{c}"
    );
    let all = graphql(&app, "{ consumers { name } }").await;
    assert_eq!(
        all["consumers"].as_array().unwrap().len(),
        2,
        "removeMissing deleted the rest: {all}"
    );

    // Roles: a viewer may look but not stop.
    let viewer = cronkeeper::api::auth::mint(
        &cronkeeper::config::Secret::new(SECRET.into()),
        "v",
        cronkeeper::api::Role::Viewer,
        Duration::from_secs(60),
        chrono::Utc::now().timestamp_millis(),
        None,
    );
    let refused = graphql_as(
        &app,
        &viewer,
        r#"mutation { stopConsumer(name: "new.one") { state } }"#,
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}
