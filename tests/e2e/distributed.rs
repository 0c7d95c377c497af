//! Distributed mode, end to end: `serve --no-workers` processes (API and
//! scheduler) and `cronkeeper worker` processes sharing one PostgreSQL
//! database, with runs dispatched over RabbitMQ. Each process gets its own
//! `CRONKEEPER_NODE`, so they judge each other as separate machines do: by
//! heartbeats in the store, not by pids.
//!
//! Needs PostgreSQL (`CRONKEEPER_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and RabbitMQ
//! (`CRONKEEPER_TEST_AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`).
//! Each test gets a fresh database and a fresh queue-name prefix. Without
//! them, CI fails and elsewhere the tests print SKIPPED and pass.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cronkeeper::domain::{Run, RunStatus, Trigger};
use cronkeeper::store::runs::{self, NewRun, RunFilter, RunSort};
use cronkeeper::store::{Direction, Page, Store};
use rand::Rng as _;
use sqlx::{AnyConnection, Connection as _, Executor as _, Row as _};

use crate::support::{self, alive, free_port, wait_healthy, BIN};

const SECRET: &str = "e2e-test-secret-e2e-test-secret-0123456789";
/// The clusters of this file are heavy for a 2-core machine: one at a time.
static ONE_CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn skip(reason: &str) {
    assert!(!in_ci(), "the distributed e2e tests must run in CI, but {reason}");
    let _ = writeln!(std::io::stderr(), "SKIPPED distributed e2e: {reason}");
}

/// A database of its own on the PostgreSQL server, dropped afterwards.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Option<Self> {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("CRONKEEPER_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = match tokio::time::timeout(Duration::from_secs(10), AnyConnection::connect(&admin)).await {
            Ok(Ok(c)) => c,
            _ => {
                skip(&format!("PostgreSQL at {admin} cannot be reached"));
                return None;
            }
        };
        let name = format!("cronkeeper_e2e_{:016x}", rand::thread_rng().gen::<u64>());
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        Some(Self { url: format!("{base}/{name}"), admin, name })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let mut conn = AnyConnection::connect(&admin).await?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
                conn.close().await
            })
        })
        .join();
    }
}

async fn amqp_url() -> Option<String> {
    let url = std::env::var("CRONKEEPER_TEST_AMQP_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    match tokio::time::timeout(Duration::from_secs(10), lapin::Connection::connect(&url, Default::default())).await {
        Ok(Ok(c)) => {
            let _ = c.close(200, "probe".into()).await;
            Some(url)
        }
        _ => {
            skip("RabbitMQ at 127.0.0.1:5672 cannot be reached");
            None
        }
    }
}

/// One cronkeeper process of the cluster.
struct Proc {
    node: String,
    port: Option<u16>,
    child: Option<Child>,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn kill_9(&mut self) {
        let mut c = self.child.take().expect("running");
        c.kill().unwrap();
        c.wait().unwrap();
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
        c.wait().unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Cluster {
    dir: tempfile::TempDir,
    config: PathBuf,
    store: Store,
    /// Plain SQL on the same database, for what the store does not expose (leases, claims).
    sql: sqlx::AnyPool,
    amqp: String,
    prefix: String,
    _db: Database,
}

impl Cluster {
    async fn new(jobs: &str) -> Option<Self> {
        let amqp = amqp_url().await?;
        let db = Database::create().await?;
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("ck-e2e-{:012x}", rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff);
        let config = dir.path().join("cronkeeper.toml");
        let text = format!(
            "database_url = \"{}\"\namqp_url = \"{amqp}\"\namqp_prefix = \"{prefix}\"\ndata_dir = \"{}\"\nkill_grace = \"1s\"\ndrain_timeout = \"5s\"\nheartbeat_interval = \"1s\"\nheartbeat_expiry = \"5s\"\n[lanes.critical]\nslots = 4\n[lanes.default]\nslots = 2\n{jobs}",
            db.url,
            dir.path().display()
        );
        std::fs::write(&config, text).unwrap();
        let store = Store::connect(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let sql = sqlx::AnyPool::connect(&db.url).await.unwrap();
        Some(Self { dir, config, store, sql, amqp, prefix, _db: db })
    }

    fn log_path(&self, node: &str) -> PathBuf {
        self.dir.path().join(format!("{node}.log"))
    }

    fn spawn(&self, node: &str, args: &[&str], port: Option<u16>) -> Proc {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path(node)).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(args).arg("--config").arg(&self.config).env("CRONKEEPER_NODE", node).env("CRONKEEPER_JWT_SECRET", SECRET).env("RUST_LOG", "info,sqlx=warn");
        if let Some(port) = port {
            cmd.env("CRONKEEPER_LISTEN", format!("127.0.0.1:{port}"));
        }
        let child = cmd.stdout(Stdio::null()).stderr(log).spawn().expect("start cronkeeper");
        Proc { node: node.into(), port, child: Some(child) }
    }

    async fn serve(&self, node: &str) -> Proc {
        let port = free_port();
        let p = self.spawn(node, &["serve", "--no-workers"], Some(port));
        wait_healthy(port).await;
        p
    }

    fn worker(&self, node: &str) -> Proc {
        self.spawn(node, &["worker", "--lanes", "critical,default", "--slots", "critical=4,default=2"], None)
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(60).collect();
                all.push_str(&format!("--- {} (last lines)\n{}\n", entry.path().display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
            }
        }
        all
    }

    async fn runs_of(&self, codes: &[&str]) -> Vec<Run> {
        let filter = RunFilter { job_codes: Some(codes.iter().map(|c| c.to_string()).collect()), ..Default::default() };
        runs::list(&self.store, &filter, RunSort::Id, Direction::Asc, Page { limit: 100_000, offset: 0 }).await.unwrap()
    }

    async fn queue(&self, code: &str, lane: &str, n: usize) -> Vec<i64> {
        queue_on(&self.store, code, lane, n).await
    }

    async fn wait<F, Fut>(&self, within: Duration, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + within;
        while !check().await {
            if Instant::now() > deadline {
                panic!("not within {within:?}: {what}\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn lease_holder(&self, lease: &str) -> Option<String> {
        let row = sqlx::query("SELECT holder FROM leases WHERE name = $1").bind(lease).fetch_optional(&self.sql).await.unwrap();
        row.map(|r| r.try_get::<String, _>("holder").unwrap())
    }

    fn token(&self, role: &str) -> String {
        let out = Command::new(BIN).args(["token", "--role", role, "--sub", "e2e", "--ttl", "10m", "--config"]).arg(&self.config).env("CRONKEEPER_JWT_SECRET", SECRET).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// Queues `n` manual runs of `code` now, as `runJobNow` does.
async fn queue_on(store: &Store, code: &str, lane: &str, n: usize) -> Vec<i64> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(runs::insert(store, &NewRun::manual(code, lane, RunStatus::Queued, now), now).await.unwrap().unwrap());
    }
    ids
}

/// The `data` of a GraphQL answer that must have no errors.
async fn graphql(port: u16, token: &str, query: &str) -> serde_json::Value {
    let answer = support::graphql(port, token, query).await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"].clone()
}

async fn count_status(c: &Cluster, codes: &[&str], status: RunStatus) -> usize {
    let filter = RunFilter { job_codes: Some(codes.iter().map(|c| c.to_string()).collect()), statuses: Some(vec![status]), ..Default::default() };
    runs::count(&c.store, &filter).await.unwrap() as usize
}

/// Runs that were started more than once (a claim above 1 means a second claim).
async fn claimed_twice(c: &Cluster) -> Vec<i64> {
    let rows = sqlx::query("SELECT id FROM runs WHERE claim > 1").fetch_all(&c.sql).await.unwrap();
    rows.iter().map(|r| r.try_get::<i64, _>("id").unwrap()).collect()
}

fn runs_wanted() -> usize {
    std::env::var("CRONKEEPER_E2E_DISTRIBUTED_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

const BATCH_JOBS: &str = r#"
[[jobs]]
code = "true_default"
schedule = "0 0 1 1 *"
lane = "default"
concurrency = "allow"
command = ["true"]
[[jobs]]
code = "true_critical"
schedule = "0 0 1 1 *"
lane = "critical"
concurrency = "allow"
command = ["true"]
[[jobs]]
code = "tick"
schedule = "@every 1s"
lane = "critical"
concurrency = "allow"
command = ["true"]
"#;

#[tokio::test]
async fn runs_of_true_finish_exactly_once_across_two_workers_while_the_leader_is_killed() {
    let _one = ONE_CLUSTER.lock().await;
    let Some(c) = Cluster::new(BATCH_JOBS).await else { return };
    let mut serves = vec![c.serve("sched-a").await, c.serve("sched-b").await];
    let workers = [c.worker("work-1"), c.worker("work-2")];
    let token = c.token("viewer");
    let port_a = serves[0].port.unwrap();
    c.wait(Duration::from_secs(30), "both workers registered", || async {
        let data = graphql(port_a, &token, "{ workers { status role } }").await;
        data["workers"].as_array().unwrap().iter().filter(|w| w["status"] == "ACTIVE" && w["role"] == "worker").count() == 2
    })
    .await;

    let total = runs_wanted();
    let half = total / 2;
    let started = Instant::now();
    let mut ids = c.queue("true_default", "default", half / 2).await;
    ids.extend(c.queue("true_critical", "critical", half - half / 2).await);
    let batch: [&str; 2] = ["true_default", "true_critical"];
    c.wait(Duration::from_secs(300), "a quarter of the runs done", || async { count_status(&c, &batch, RunStatus::Succeeded).await >= total / 4 }).await;

    // Kill the leader (holder of the scheduler lease) mid-way.
    let holder = c.lease_holder("scheduler").await.expect("a leader");
    let leader = serves.iter().position(|s| holder.starts_with(&format!("{}:", s.node))).expect("the leader is one of the serves");
    let follower = 1 - leader;
    serves[leader].kill_9();
    let killed_at = Instant::now();
    let killed_ms = chrono::Utc::now().timestamp_millis();
    // Queued after the kill, alongside the takeover: only the new leader can publish these.
    let queued_after = {
        let (store, rest) = (c.store.clone(), total - half);
        tokio::spawn(async move {
            let mut ids = queue_on(&store, "true_default", "default", rest / 2).await;
            ids.extend(queue_on(&store, "true_critical", "critical", rest - rest / 2).await);
            ids
        })
    };
    let follower_node = format!("{}:", serves[follower].node);
    c.wait(Duration::from_secs(20), "the follower took the scheduler lease", || async {
        c.lease_holder("scheduler").await.is_some_and(|h| h.starts_with(&follower_node))
    })
    .await;
    let takeover = killed_at.elapsed();
    assert!(takeover < Duration::from_secs(15), "takeover took {takeover:?}");
    c.wait(Duration::from_secs(20), "the follower took the dispatch lease", || async {
        c.lease_holder("dispatch").await.is_some_and(|h| h.starts_with(&follower_node))
    })
    .await;
    // The new leader materialises: a tick fire time after the kill becomes a run.
    c.wait(Duration::from_secs(15), "the new leader schedules", || async {
        c.runs_of(&["tick"]).await.iter().any(|r| r.scheduled_at > killed_ms && r.status != RunStatus::Missed)
    })
    .await;

    ids.extend(queued_after.await.unwrap());
    c.wait(Duration::from_secs(600), "every run of true finished", || async { count_status(&c, &batch, RunStatus::Succeeded).await >= total }).await;
    let elapsed = started.elapsed();
    let _ = writeln!(std::io::stderr(), "distributed e2e: {total} runs of `true` in {elapsed:?}, takeover in {takeover:?}");

    let batch_runs = c.runs_of(&batch).await;
    assert_eq!(batch_runs.len(), total, "no run added or lost");
    assert_eq!(batch_runs.iter().map(|r| r.id).collect::<HashSet<_>>(), ids.iter().copied().collect::<HashSet<_>>());
    assert!(batch_runs.iter().all(|r| r.status == RunStatus::Succeeded && r.attempt == 1), "every run succeeded at its first attempt");
    assert!(claimed_twice(&c).await.is_empty(), "runs started twice: {:?}", claimed_twice(&c).await);
    let mut per_worker: HashMap<String, usize> = HashMap::new();
    for r in &batch_runs {
        *per_worker.entry(r.worker.clone().unwrap().split(':').next().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(per_worker.len(), 2, "both workers ran some: {per_worker:?}");

    // The `tick` schedule (`@every 1s`): each fire time either ran once or is
    // counted in a MISSED entry (the gap the failover left, or a run that
    // waited past its deadline behind the batch), none twice, none lost. A
    // MISSED entry stands for `missed_count` consecutive seconds from its
    // `scheduled_at`, and may come before the first run or after the last.
    let ticks = c.runs_of(&["tick"]).await;
    let fired: Vec<&Run> = ticks.iter().filter(|r| r.status != RunStatus::Missed).collect();
    let mut covered: HashMap<i64, usize> = HashMap::new();
    for r in &ticks {
        let n = if r.status == RunStatus::Missed { i64::from(r.missed_count.max(1)) } else { 1 };
        for k in 0..n {
            *covered.entry(r.scheduled_at / 1000 + k).or_default() += 1;
        }
    }
    let (first, last) = (*covered.keys().min().unwrap(), *covered.keys().max().unwrap());
    let mut timeline: Vec<(i64, &str, u32)> = ticks.iter().map(|r| (r.scheduled_at / 1000 - first, r.status.as_str(), r.missed_count)).collect();
    timeline.sort();
    let twice: Vec<i64> = covered.iter().filter(|(_, n)| **n > 1).map(|(s, _)| s - first).collect();
    assert!(twice.is_empty(), "fire times ran or were counted twice (s after the first): {twice:?}; (s, status, missed_count): {timeline:?}");
    let lost: Vec<i64> = (first..=last).filter(|s| !covered.contains_key(s)).map(|s| s - first).collect();
    assert!(lost.is_empty(), "fire times lost (s after the first): {lost:?}; (s, status, missed_count): {timeline:?}");
    assert!(fired.iter().all(|r| matches!(r.trigger, Trigger::Schedule | Trigger::CatchUp)));

    // What the API says about the cluster.
    let port = serves[follower].port.unwrap();
    let data = graphql(port, &token, "{ queues { name transport ready inFlight consumers } workers { id host pid lanes slots busy version lastHeartbeatAt status } }").await;
    let queues = data["queues"].as_array().unwrap();
    for lane in ["critical", "default"] {
        let q = queues.iter().find(|q| q["name"] == format!("{}.lane.{lane}", c.prefix)).unwrap_or_else(|| panic!("no {lane} queue in {data}"));
        assert_eq!((q["transport"].as_str(), q["consumers"].as_i64()), (Some("AMQP"), Some(2)), "{q}");
    }
    let active: Vec<&serde_json::Value> = data["workers"].as_array().unwrap().iter().filter(|w| w["status"] == "ACTIVE").collect();
    assert_eq!(active.len(), 2, "{data}");
    for w in &active {
        assert_eq!(w["lanes"], serde_json::json!(["critical", "default"]), "{w}");
        assert_eq!(w["slots"], 6, "{w}");
        assert!(!w["host"].as_str().unwrap().is_empty() && !w["version"].as_str().unwrap().is_empty(), "{w}");
    }
    let pids: HashSet<i64> = active.iter().map(|w| w["pid"].as_i64().unwrap()).collect();
    assert_eq!(pids, workers.iter().map(|w| w.pid() as i64).collect(), "{data}");

    // Workers deregister on shutdown.
    let mut workers = workers;
    for w in &mut workers {
        assert!(w.stop().success());
    }
    serves[follower].stop();
    let rows = sqlx::query("SELECT COUNT(*) AS n FROM instances WHERE role = 'worker' AND stopped_at IS NOT NULL").fetch_one(&c.sql).await.unwrap();
    assert_eq!(rows.try_get::<i64, _>("n").unwrap(), 2, "both workers marked themselves stopped");
    cleanup_queues(&c).await;
}

const SLOW_JOBS: &str = r#"
[[jobs]]
code = "nap"
schedule = "0 0 1 1 *"
lane = "default"
concurrency = "allow"
max_retries = 2
backoff = { initial = "1s", max = "1s" }
command = ["sleep", "4"]
[[jobs]]
code = "long"
schedule = "0 0 1 1 *"
lane = "critical"
concurrency = "allow"
max_retries = 3
command = ["sleep", "600"]
"#;

#[tokio::test]
async fn a_killed_workers_runs_are_interrupted_and_retried_and_a_kill_request_reaches_the_holder() {
    let _one = ONE_CLUSTER.lock().await;
    let Some(c) = Cluster::new(SLOW_JOBS).await else { return };
    let serve = c.serve("sched-a").await;
    let mut w1 = c.worker("work-1");
    let w2 = c.worker("work-2");
    let token = c.token("operator");
    let port = serve.port.unwrap();
    c.wait(Duration::from_secs(30), "both workers registered", || async {
        graphql(port, &token, "{ workers { status } }").await["workers"].as_array().unwrap().iter().filter(|w| w["status"] == "ACTIVE").count() == 2
    })
    .await;

    // Four naps, two default slots per worker: each worker holds some.
    let naps = c.queue("nap", "default", 4).await;
    c.wait(Duration::from_secs(20), "work-1 holds a nap", || async {
        c.runs_of(&["nap"]).await.iter().any(|r| r.status == RunStatus::Running && r.worker.as_deref().is_some_and(|w| w.starts_with("work-1:")))
    })
    .await;
    let held: Vec<i64> = c.runs_of(&["nap"]).await.iter().filter(|r| r.worker.as_deref().is_some_and(|w| w.starts_with("work-1:")) && r.status == RunStatus::Running).map(|r| r.id).collect();
    w1.kill_9();
    // heartbeat_expiry is 5 s; recovery runs every second in the survivors.
    c.wait(Duration::from_secs(15), "work-1's runs closed INTERRUPTED", || async {
        let runs = c.runs_of(&["nap"]).await;
        held.iter().all(|id| runs.iter().any(|r| r.id == *id && r.status == RunStatus::Interrupted))
    })
    .await;
    for r in c.runs_of(&["nap"]).await.iter().filter(|r| held.contains(&r.id)) {
        assert!(r.error.as_deref().unwrap_or("").contains("no heartbeat"), "{r:?}");
    }
    let data = graphql(port, &token, "{ workers { pid status } }").await;
    let lost = data["workers"].as_array().unwrap().iter().filter(|w| w["status"] == "LOST").count();
    assert_eq!(lost, 1, "{data}");
    // Each interrupted nap is retried (attempt 2) and the survivor runs it.
    c.wait(Duration::from_secs(40), "every nap ended SUCCEEDED, the interrupted ones by a retry", || async {
        let runs = c.runs_of(&["nap"]).await;
        naps.iter().all(|id| runs.iter().any(|r| (r.id == *id || r.retry_of == Some(*id)) && r.status == RunStatus::Succeeded))
    })
    .await;
    let runs = c.runs_of(&["nap"]).await;
    for id in &held {
        let retry = runs.iter().find(|r| r.retry_of == Some(*id)).expect("a retry");
        assert_eq!((retry.attempt, retry.trigger), (2, Trigger::Retry));
        assert!(retry.worker.as_deref().unwrap().starts_with("work-2:"), "{retry:?}");
    }
    assert!(claimed_twice(&c).await.is_empty());

    // A kill request over the API reaches the worker process holding the run.
    let long = c.queue("long", "critical", 1).await[0];
    c.wait(Duration::from_secs(20), "the long run started", || async {
        c.runs_of(&["long"]).await.iter().any(|r| r.status == RunStatus::Running && r.pid.is_some())
    })
    .await;
    let pid = c.runs_of(&["long"]).await[0].pid.unwrap();
    assert!(alive(pid));
    graphql(port, &token, &format!("mutation {{ killRun(id: \"{long}\") {{ status }} }}")).await;
    c.wait(Duration::from_secs(10), "the long run KILLED", || async { c.runs_of(&["long"]).await[0].status == RunStatus::Killed }).await;
    assert!(!alive(pid), "the job process outlived the kill");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(c.runs_of(&["long"]).await.len(), 1, "a killed run is not retried");
    drop(w2);
    cleanup_queues(&c).await;
}

#[tokio::test]
async fn a_killed_supervisors_consumers_die_with_it_before_another_node_takes_their_slots() {
    use crate::consumers::{live, started_pids, watch_concurrency};
    let _one = ONE_CLUSTER.lock().await;
    let scripts = tempfile::tempdir().unwrap();
    let log = scripts.path().join("consumer.log");
    let script = scripts.path().join("forever.sh");
    std::fs::write(&script, "#!/usr/bin/env bash\necho \"start $$\" >> \"$1\"\nexec sleep 600\n").unwrap();
    let consumers = format!("[[consumers]]\nname = \"async.operations.all\"\ninstances = 2\ncommand = [\"bash\", \"{}\", \"{}\"]\n", script.display(), log.display());
    let Some(c) = Cluster::new(&consumers).await else { return };
    // The scheduler saves the file's consumers; it runs none itself (--no-workers).
    let _sched = c.serve("sched-a").await;
    let mut a = c.worker("work-a");
    c.wait(Duration::from_secs(30), "work-a runs both processes", || async { live(&started_pids(&log)).len() == 2 }).await;
    let b = c.worker("work-b");
    let (max_alive, stop_watch) = watch_concurrency(log.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(started_pids(&log).len(), 2, "work-b took a held slot\n{}", c.logs());
    let first = live(&started_pids(&log));

    // kill -9 of work-a on a machine that stays up.
    a.kill_9();
    let killed = Instant::now();
    c.wait(Duration::from_secs(3), "work-a's consumer processes died with it", || async { live(&first).is_empty() }).await;
    let gone_after = killed.elapsed();
    // heartbeat_expiry is 5 s: work-b takes the slots after that, and only then.
    c.wait(Duration::from_secs(30), "work-b runs two fresh processes", || async {
        let now = live(&started_pids(&log));
        now.len() == 2 && now.iter().all(|p| !first.contains(p))
    })
    .await;
    stop_watch.cancel();
    assert!(gone_after < Duration::from_secs(5), "the processes outlived the lease: {gone_after:?}");
    assert_eq!(max_alive.load(std::sync::atomic::Ordering::SeqCst), 2, "more than two consumer processes alive at once\n{}", c.logs());
    let slots = cronkeeper::store::consumers::slots_of(&c.store, "async.operations.all").await.unwrap();
    assert!(slots.iter().all(|s| s.holder.as_deref().is_some_and(|h| h.starts_with("work-b:"))), "{slots:?}");
    drop(b);
}

/// `rabbitmqctl <action>` (or the command in `CRONKEEPER_TEST_RABBITMQCTL`).
fn rabbitmqctl(action: &str) {
    let command = std::env::var("CRONKEEPER_TEST_RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".into());
    let mut parts = command.split_whitespace();
    let out = Command::new(parts.next().unwrap()).args(parts).arg(action).output().unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
    assert!(out.status.success(), "{command} {action}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_broker_restart_mid_way_loses_and_doubles_no_run() {
    let _one = ONE_CLUSTER.lock().await;
    let Some(c) = Cluster::new(BATCH_JOBS).await else { return };
    let _serve = c.serve("sched-a").await;
    let _workers = [c.worker("work-1"), c.worker("work-2")];
    let batch: [&str; 2] = ["true_default", "true_critical"];
    let mut ids = c.queue("true_default", "default", 150).await;
    ids.extend(c.queue("true_critical", "critical", 150).await);
    c.wait(Duration::from_secs(120), "some runs done", || async { count_status(&c, &batch, RunStatus::Succeeded).await >= 50 }).await;
    rabbitmqctl("stop_app");
    // Queued while the broker is away: published once it is back.
    ids.extend(c.queue("true_default", "default", 50).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbitmqctl("start_app");
    c.wait(Duration::from_secs(180), "every run finished after the restart", || async { count_status(&c, &batch, RunStatus::Succeeded).await >= 350 }).await;
    let runs = c.runs_of(&batch).await;
    assert_eq!(runs.len(), 350, "no run added or lost");
    assert_eq!(runs.iter().map(|r| r.id).collect::<HashSet<_>>(), ids.iter().copied().collect::<HashSet<_>>());
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded), "every run succeeded");
    assert!(claimed_twice(&c).await.is_empty(), "runs started twice: {:?}", claimed_twice(&c).await);
    let log = std::fs::read_to_string(c.log_path("work-1")).unwrap();
    assert!(log.contains("lost the AMQP connection") && log.matches("connected to the AMQP broker").count() >= 2, "work-1 did not reconnect:\n{log}");
    cleanup_queues(&c).await;
}

async fn cleanup_queues(c: &Cluster) {
    let Ok(conn) = lapin::Connection::connect(&c.amqp, Default::default()).await else { return };
    if let Ok(ch) = conn.create_channel().await {
        for lane in ["critical", "default", "bulk"] {
            let _ = ch.queue_delete(format!("{}.lane.{lane}", c.prefix).as_str().into(), Default::default()).await;
        }
        let dl = format!("{}.dead-letter", c.prefix);
        let _ = ch.queue_delete(dl.as_str().into(), Default::default()).await;
        let _ = ch.exchange_delete(dl.as_str().into(), Default::default()).await;
    }
    let _ = conn.close(200, "done".into()).await;
}

/// Flags are checked before anything connects: no database or broker here.
#[test]
fn the_worker_command_refuses_unknown_lanes_and_bad_slots_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cronkeeper.toml");
    std::fs::write(&config, format!("database_url = \"sqlite://{}/never.db\"\n", dir.path().display())).unwrap();
    let worker = |args: &[&str]| {
        let out = Command::new(BIN).arg("worker").arg("--config").arg(&config).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, err) = worker(&["--lanes", "critical,nightly"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--lanes names an unknown lane `nightly`; the configured lanes are bulk, critical, default"), "{err}");
    let (code, err) = worker(&["--lanes", "critical,default", "--slots", "critical:4"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--slots `critical:4` is not lane=slots"), "{err}");
    let (_, err) = worker(&["--lanes", "critical", "--slots", "critical=4,default=2"]);
    assert!(err.contains("`default`, which is not in --lanes"), "{err}");
    assert!(!dir.path().join("never.db").exists(), "a refused worker opened the database");
}
