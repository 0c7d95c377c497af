//! Helpers for the benches: stores, job sets, statistics, the real binary, and
//! the SVG charts they write into docs/images/.

pub mod chart;
// Each bench draws only its own figures.
#[allow(dead_code)]
pub mod figures;

use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cronkeeper::cron::Schedule;
use cronkeeper::domain::{Executor, Job, LaneName};
use cronkeeper::store::{self, Store};
use sqlx::Row as _;

/// The binary cargo built for this bench (`target/release/cronkeeper`).
pub const BIN: &str = env!("CARGO_BIN_EXE_cronkeeper");

/// The mix of schedules: plain steps, fixed times, weekday lists and `@every`.
pub const EXPRESSIONS: [&str; 8] =
    ["*/5 * * * *", "0 2 * * *", "15,45 * * * 1-5", "@every 30s", "*/15 * * * *", "0 */6 * * *", "30 3 * * 0", "@every 10m"];
/// `None` is the scheduler's default zone (UTC here). Kolkata and Kathmandu have
/// :30 and :45 offsets, New York and Adelaide observe DST.
pub const ZONES: [Option<&str>; 7] =
    [None, Some("UTC"), Some("Europe/Amsterdam"), Some("America/New_York"), Some("Asia/Kolkata"), Some("Australia/Adelaide"), Some("Asia/Kathmandu")];

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A fresh, migrated SQLite store in a temporary directory (`bench.db`).
pub async fn open_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

pub fn command_job(code: &str, lane: &str, schedule: Option<&str>, argv: &[&str]) -> Job {
    Job::new(
        code,
        LaneName::parse(lane).unwrap(),
        schedule.map(str::to_string),
        Executor::Command { argv: argv.iter().map(|a| a.to_string()).collect(), env: vec![], working_dir: None },
    )
}

/// Saves `n` `true` jobs cycling through [`EXPRESSIONS`] x [`ZONES`] x `lanes`.
/// With `quiet = Some((from, until))`, a job whose schedule would fire in that
/// window takes the next expression of the mix instead (for "most not due").
pub async fn fill_jobs(store: &Store, n: usize, lanes: &[&str], now: i64, quiet: Option<(i64, i64)>) {
    let jobs: Vec<Job> = (0..n)
        .map(|i| {
            let zone = ZONES[i % ZONES.len()];
            let tz: chrono_tz::Tz = zone.map(|z| z.parse().unwrap()).unwrap_or(chrono_tz::UTC);
            let expr = (0..EXPRESSIONS.len())
                .map(|k| EXPRESSIONS[(i + k) % EXPRESSIONS.len()])
                .find(|e| match quiet {
                    None => true,
                    Some((from, until)) => {
                        let s = Schedule::parse(e).unwrap();
                        s.fire_times_between(at(from), at(until), tz, 1).is_empty()
                    }
                })
                .unwrap_or("0 0 1 1 *");
            let mut job = command_job(&format!("job_{i:05}"), lanes[i % lanes.len()], Some(expr), &["true"]);
            job.timezone = zone.map(str::to_string);
            job
        })
        .collect();
    store::jobs::save_all(store, &jobs, &[], now).await.unwrap();
}

fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap()
}

/// Sorted input; nearest-rank percentile.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Milliseconds.
pub struct Stats {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Stats {
    pub fn of(samples: &[Duration]) -> Stats {
        let mut v: Vec<f64> = samples.iter().map(|d| ms(*d)).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Stats { p50: percentile(&v, 0.5), p99: percentile(&v, 0.99), max: *v.last().unwrap(), mean: v.iter().sum::<f64>() / v.len() as f64 }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms", self.p50, self.p99, self.max, self.mean)
    }
}

/// The query `JobCache::refresh` runs on every tick (scheduler/cache.rs), timed
/// on a connection of our own: the store's reader pool is crate-private.
pub async fn time_version_query(db: &Path) -> Stats {
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    let mut v = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS m FROM jobs").fetch_one(&pool).await.unwrap();
        let _: i64 = row.try_get("n").unwrap();
        v.push(t.elapsed());
    }
    pool.close().await;
    Stats::of(&v)
}

pub struct Rss {
    pub rss_mib: f64,
    pub hwm_mib: f64,
    /// Seconds from healthy until every job had a fire cursor.
    pub settle_secs: f64,
}

fn status_kib(pid: u32, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts `cronkeeper serve` on a database pre-filled with `jobs` schedules
/// (none due in the next two minutes), waits until it is healthy and the first
/// tick has written every fire cursor, lets it settle, and reads its VmRSS.
pub async fn serve_rss(jobs: usize) -> Rss {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ck.db");
    let url = format!("sqlite://{}", db.display());
    if jobs > 0 {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        fill_jobs(&store, jobs, &["critical", "default", "bulk"], now, Some((now, now + 120_000))).await;
        store.close().await;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("cronkeeper.toml");
    std::fs::write(&config, format!("listen = \"127.0.0.1:{port}\"\ndatabase_url = \"{url}\"\ndata_dir = \"{}\"\n", dir.path().display())).unwrap();
    let log = std::fs::File::create(dir.path().join("service.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info,sqlx=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start cronkeeper");
    let pid = child.id();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "cronkeeper did not become healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let healthy = Instant::now();
    if jobs > 0 {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        loop {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE next_fire_at IS NULL").fetch_one(&pool).await.unwrap().try_get("n").unwrap();
            if n == 0 {
                break;
            }
            assert!(Instant::now() < deadline + Duration::from_secs(30), "first tick never finished");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pool.close().await;
    }
    let settle_secs = healthy.elapsed().as_secs_f64();
    // A few more ticks, then sample.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = status_kib(pid, "VmRSS:").expect("VmRSS") / 1024.0;
    let hwm = status_kib(pid, "VmHWM:").expect("VmHWM") / 1024.0;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let _ = child.wait();
    Rss { rss_mib: rss, hwm_mib: hwm, settle_secs }
}
