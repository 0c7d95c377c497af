//! Distributed-mode benchmark (issue 4): throughput of `true` runs through real
//! `cronkeeper` processes, in the set-ups an operator chooses between, against
//! a plain spawn-and-wait loop with the same total concurrency:
//!
//! - embedded: one `serve` on SQLite with every slot (the single-server default);
//! - PostgreSQL, database as queue: `serve --no-workers` + two `worker` processes;
//! - PostgreSQL + RabbitMQ: the same with `amqp_url` set (runs published to the
//!   lane queue, workers consume them).
//!
//! All processes run on this one machine (two "nodes" are two processes), so the
//! figure is the cost of coordination through the database and the broker, not
//! the gain of more machines. Each set-up gets `CK_BENCH_DIST_RUNS` (default
//! 1000) runs of one job, queued at once with a single UPDATE (the clock starts
//! then), and is timed until the last one SUCCEEDED. Then, with the burst over,
//! the due-to-start latency of four `@every 1s` jobs (lane `fast`) over 10 s
//! (issue 4: p99 under 50 ms).
//!
//! `cargo bench -p cronkeeper --bench distributed`; needs PostgreSQL on
//! 127.0.0.1:5432 and RabbitMQ on 127.0.0.1:5672 (`CRONKEEPER_TEST_POSTGRES_URL`,
//! `CRONKEEPER_TEST_AMQP_URL` override them); a set-up whose server is missing
//! is reported as skipped.

// Only `support::BIN` is used here; the rest serves the other benches.
#[allow(dead_code, unused_imports)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cronkeeper::domain::RunStatus;
use cronkeeper::store::runs::RunFilter;
use cronkeeper::store::Store;
use sqlx::Connection as _;

use support::BIN;

const WORKERS: usize = 2;
const SLOTS_PER_WORKER: usize = 2;
const JOB: &str = "bench_true";
/// `@every 1s` jobs in lane `fast`, for the due-to-start latency.
const LATENCY_JOBS: usize = 4;
const LATENCY_SECS: u64 = 10;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let n: usize = std::env::var("CK_BENCH_DIST_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let slots = WORKERS * SLOTS_PER_WORKER;
    println!("cronkeeper distributed bench: {n} `true` runs per set-up, {slots} slots in all, load average at start: {}", loadavg());
    let plain = plain_loop(n, slots);
    let plain_rate = n as f64 / plain.as_secs_f64();
    println!("  plain spawn-and-wait loop, {slots} threads: {plain_rate:.0} runs/s");
    let pg = std::env::var("CRONKEEPER_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let amqp = std::env::var("CRONKEEPER_TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let setups = [
        ("embedded: 1 `serve`, SQLite", Setup::Embedded),
        ("PostgreSQL, database as queue: `serve --no-workers` + 2 `worker`", Setup::Postgres { amqp: None }),
        ("PostgreSQL + RabbitMQ: `serve --no-workers` + 2 `worker`", Setup::Postgres { amqp: Some(amqp) }),
    ];
    let mut rows = vec![("plain spawn-and-wait loop".to_string(), plain_rate, None)];
    for (name, setup) in setups {
        match rt.block_on(measure(&setup, &pg, n)) {
            Ok((took, latency)) => {
                let rate = n as f64 / took.as_secs_f64();
                println!("  {name}: {rate:.0} runs/s ({:.0}% of the plain loop); due-to-start p50 {} ms, p99 {} ms over {} runs", 100.0 * rate / plain_rate, latency.0, latency.1, latency.2);
                rows.push((name.to_string(), rate, Some(latency)));
            }
            Err(e) => println!("  {name}: skipped ({e})"),
        }
    }
    println!("\n| Set-up | runs/s | of the plain loop | due-to-start p50 / p99 (target p99 < 50 ms) |\n| --- | --- | --- | --- |");
    for (name, rate, latency) in &rows {
        let lat = latency.map_or("-".to_string(), |(p50, p99, k)| format!("{p50} / {p99} ms ({k} runs){}", if p99 < 50 { "" } else { " MISSED" }));
        println!("| {name} | {rate:.0} | {:.0}% | {lat} |", 100.0 * rate / plain_rate);
    }
    println!("\nload average at the end: {}", loadavg());
}

enum Setup {
    Embedded,
    Postgres { amqp: Option<String> },
}

/// Starts the set-up, queues `n` runs at once, and times them to the last success.
/// Returns the burst's duration and the due-to-start latency (p50 ms, p99 ms,
/// runs measured) of the `@every 1s` jobs after it.
async fn measure(setup: &Setup, pg_admin: &str, n: usize) -> anyhow::Result<(Duration, (i64, i64, usize))> {
    let dir = tempfile::tempdir()?;
    let (url, db) = match setup {
        Setup::Embedded => (format!("sqlite://{}/ck.db", dir.path().display()), None),
        Setup::Postgres { amqp } => {
            if let Some(amqp) = amqp {
                lapin::Connection::connect(amqp, lapin::ConnectionProperties::default()).await.map_err(|e| anyhow::anyhow!("RabbitMQ: {e}"))?;
            }
            let db = TempDatabase::create(pg_admin).await?;
            (db.url.clone(), Some(db))
        }
    };
    let prefix = format!("ck-bench-{}", std::process::id());
    let amqp_line = match setup {
        Setup::Postgres { amqp: Some(a) } => format!("amqp_url = \"{a}\"\namqp_prefix = \"{prefix}\"\n"),
        _ => String::new(),
    };
    let all_slots = WORKERS * SLOTS_PER_WORKER;
    let config = dir.path().join("cronkeeper.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{url}\"\ndata_dir = \"{}\"\n{amqp_line}[lanes.bench]\nslots = {all_slots}\n[lanes.fast]\nslots = {all_slots}\n\
             [[jobs]]\ncode = \"{JOB}\"\nlane = \"bench\"\nschedule = \"0 0 1 1 *\"\nconcurrency = \"allow\"\ncommand = [\"true\"]\n{}",
            dir.path().display(),
            (0..LATENCY_JOBS).map(|i| format!("[[jobs]]\ncode = \"lat_{i}\"\nlane = \"fast\"\nschedule = \"@every 1s\"\ncommand = [\"true\"]\n")).collect::<String>()
        ),
    )?;
    let mut procs = Vec::new();
    let serve_args: &[&str] = match setup {
        Setup::Embedded => &["serve"],
        Setup::Postgres { .. } => &["serve", "--no-workers"],
    };
    let port = free_port();
    procs.push(Proc::start(serve_args, &config, dir.path(), "serve", Some(port))?);
    wait_healthy(port, &mut procs[0]).await?;
    if let Setup::Postgres { .. } = setup {
        for w in 0..WORKERS {
            let slots = format!("bench={SLOTS_PER_WORKER},fast={SLOTS_PER_WORKER}");
            procs.push(Proc::start(&["worker", "--lanes", "bench,fast", "--slots", &slots], &config, dir.path(), &format!("worker{w}"), None)?);
        }
    }
    let store = Store::connect(&url).await?;
    // Give workers time to register and open their consumers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Every run is inserted PENDING far in the future, then made due and
    // QUEUED by one statement: the clock starts there, not during the inserts.
    let far = 4_102_444_800_000_i64; // 2100-01-01
    for _ in 0..n {
        let mut run = cronkeeper::store::runs::NewRun::manual(JOB, "bench", RunStatus::Pending, far);
        run.scheduled_at = far;
        cronkeeper::store::runs::insert(&store, &run, far).await?.ok_or_else(|| anyhow::anyhow!("a run was not inserted"))?;
    }
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await?;
    let update = match setup {
        Setup::Embedded => "UPDATE runs SET status = 'QUEUED', scheduled_at = ?, queued_at = ? WHERE status = 'PENDING' AND job_code = ?",
        Setup::Postgres { .. } => "UPDATE runs SET status = 'QUEUED', scheduled_at = $1, queued_at = $2 WHERE status = 'PENDING' AND job_code = $3",
    };
    let now = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    sqlx::query(update).bind(now).bind(now).bind(JOB).execute(&raw).await?;
    let filter = RunFilter { statuses: Some(vec![RunStatus::Succeeded]), job_codes: Some(vec![JOB.into()]), ..Default::default() };
    let succeeded = || async { cronkeeper::store::runs::count(&store, &filter).await };
    let deadline = started + Duration::from_secs(300);
    loop {
        let done = succeeded().await? as usize;
        if done >= n {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {done} of {n} runs succeeded within 300 s; logs in {}", dir.path().display());
        }
        for p in &mut procs {
            if let Some(status) = p.child.try_wait()? {
                anyhow::bail!("{} exited ({status}):\n{}", p.name, p.log_tail());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    // Due-to-start latency of the `@every 1s` jobs, measured once the burst is over.
    let quiet_from = chrono::Utc::now().timestamp_millis() + 1_000;
    tokio::time::sleep(Duration::from_secs(LATENCY_SECS + 2)).await;
    let lat_filter = RunFilter {
        job_codes: Some((0..LATENCY_JOBS).map(|i| format!("lat_{i}")).collect()),
        from: Some(quiet_from),
        ..Default::default()
    };
    let page = cronkeeper::store::Page { limit: 10_000, offset: 0 };
    let lat_runs = cronkeeper::store::runs::list(&store, &lat_filter, cronkeeper::store::runs::RunSort::Id, cronkeeper::store::Direction::Asc, page).await?;
    let mut waits: Vec<i64> = lat_runs.iter().filter_map(|r| Some(r.started_at? - r.scheduled_at)).collect();
    waits.sort_unstable();
    let pick = |q: f64| waits.get(((waits.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(-1);
    let latency = (pick(0.5), pick(0.99), waits.len());
    for p in &mut procs {
        p.stop();
    }
    store.close().await;
    raw.close().await;
    if let Some(db) = db {
        db.drop_it().await;
    }
    Ok((took, latency))
}

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn start(args: &[&str], config: &Path, dir: &Path, name: &str, port: Option<u16>) -> anyhow::Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--config")
            .arg(config)
            .env("CRONKEEPER_NODE", name)
            .env("CRONKEEPER_JWT_SECRET", "bench-secret-bench-secret-bench-secret-0123")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        // Worker processes do not serve the API; each process needs its own port anyway.
        cmd.env("CRONKEEPER_LISTEN", format!("127.0.0.1:{}", port.unwrap_or_else(free_port)));
        Ok(Self { name: name.into(), child: cmd.spawn()?, log })
    }

    fn stop(&mut self) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_healthy(port: u16, serve: &mut Proc) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = serve.child.try_wait()? {
            anyhow::bail!("serve exited ({status}):\n{}", serve.log_tail());
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("serve did not listen within 60 s:\n{}", serve.log_tail())
}

/// A PostgreSQL database of its own, dropped at the end.
struct TempDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TempDatabase {
    async fn create(admin: &str) -> anyhow::Result<Self> {
        let name = format!("ck_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(admin).await.map_err(|e| anyhow::anyhow!("PostgreSQL: {e}"))?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
        Ok(Self { admin: admin.into(), url: format!("{base}/{name}"), name })
    }

    async fn drop_it(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn).await;
        }
    }
}

/// `threads` threads, each spawning `true` and waiting for it, n runs in all.
fn plain_loop(n: usize, threads: usize) -> Duration {
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let mine = n / threads + usize::from(k < n % threads);
            s.spawn(move || {
                for _ in 0..mine {
                    let st = Command::new("true").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("spawn true");
                    assert!(st.success());
                }
            });
        }
    });
    t.elapsed()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}
