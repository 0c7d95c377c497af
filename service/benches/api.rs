//! API benchmark (issue 3): the figures behind the "API" section of
//! `docs/performance.md`.
//!
//! `cargo bench -p cronkeeper --bench api` (release build, no harness). One
//! SQLite store in a temporary directory is seeded with 200 jobs and 1,000,000
//! runs spread over 30 days; the real router (`api::router`) is served on
//! 127.0.0.1:0 in this process and spoken to over loopback HTTP with reqwest,
//! with one admin token minted once and reused (the "cached token"):
//!
//! - (a) `runs(filter: {jobCode, statuses: [FAILED]}, first: 100)` with
//!   `totalCount`: p50/p99 of sequential requests (target p99 < 10 ms);
//! - (b) a 24-hour `timeline` for 60 jobs: p50/p99 of sequential requests
//!   (target p99 < 50 ms), per run (`runs`) and folded (`spans`, with the
//!   `resolutionSeconds` the Magento module sends at 24 h zoom);
//! - (c) requests per second of `jobs(first: 50)` from concurrent client tasks,
//!   and of the admin grid's page (with `lastRun` and `runCounts`) read as one
//!   `jobs` page (batched) against the same 50 jobs as 50 `job(code)` lookups
//!   (each job's facts read alone: what a page cost before the batching); a
//!   failed request marks its row.
//!
//! Client and server share the process and its two-core tokio runtime, so the
//! figures include the client's own cost (request building, reading bodies).
//!
//! Knobs (environment): `CK_BENCH_RUNS` (default 1,000,000), `CK_BENCH_REQUESTS`
//! (sequential requests per query, default 300), `CK_BENCH_RPS_SECS` (default
//! 10), `CK_BENCH_RPS_CLIENTS` (default 16), `CK_BENCH_KEEP_DB` (a path to
//! copy the seeded database to, for looking at query plans by hand).

#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::{Connection as _, Executor as _, Row as _};

use cronkeeper::alerts::AlertEvents;
use cronkeeper::api::{self, ApiState, Readiness, Role};
use cronkeeper::config::{Config, FileConfig};
use cronkeeper::events::Events;
use cronkeeper::store::Store;

use support::{fill_jobs, Stats};

const SECRET: &str = "an-hs256-bench-secret-that-is-long-enough-0123456789";
const JOBS: usize = 200;
const DAYS: i64 = 30;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn code(i: usize) -> String {
    format!("job_{i:05}")
}

/// How often job `i` fires: per block of 50 jobs, 3 every minute, 7 every five
/// minutes, 15 every quarter hour and 25 hourly (12/28/60/100 of 200 jobs),
/// which over 30 days is a little over 1,000,000 runs.
fn period(i: usize) -> i64 {
    match i % 50 {
        0..=2 => MINUTE,
        3..=9 => 5 * MINUTE,
        10..=24 => 15 * MINUTE,
        _ => HOUR,
    }
}

/// The 60 jobs a timeline view shows: every job with `i % 10` in {0, 4, 7},
/// the same frequency mix as the whole set (4 every minute, 8 every five
/// minutes, 20 quarter-hourly, 28 hourly: ~10,600 runs a day).
fn timeline_jobs() -> Vec<String> {
    (0..JOBS)
        .filter(|i| matches!(i % 10, 0 | 4 | 7))
        .map(code)
        .collect()
}

fn lane(i: usize) -> &'static str {
    ["critical", "default", "bulk"][i % 3]
}

struct Row {
    what: String,
    value: String,
    target: String,
    verdict: String,
}

fn row(what: impl Into<String>, value: impl Into<String>, target: &str, ok: Option<bool>) -> Row {
    let verdict = match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "-",
    };
    Row {
        what: what.into(),
        value: value.into(),
        target: target.into(),
        verdict: verdict.into(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    println!(
        "cronkeeper API bench: {} CPUs, load average at start: {}",
        num_cpus(),
        loadavg()
    );
    let rows = rt.block_on(run());
    println!();
    println!("| measurement | result | target | verdict |");
    println!("|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} |",
            r.what, r.value, r.target, r.verdict
        );
    }
    println!();
    println!(
        "total bench time {:.1} s; load average at end: {}",
        started.elapsed().as_secs_f64(),
        loadavg()
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run() -> Vec<Row> {
    let total_runs = env_or("CK_BENCH_RUNS", 1_000_000) as usize;
    let requests = env_or("CK_BENCH_REQUESTS", 300) as usize;
    let rps_secs = env_or("CK_BENCH_RPS_SECS", 10);
    let clients = env_or("CK_BENCH_RPS_CLIENTS", 16) as usize;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let url = format!("sqlite://{}", db.display());
    // History ends at the last whole minute; the API runs on the system clock.
    let end = chrono::Utc::now().timestamp_millis() / MINUTE * MINUTE;

    println!("\nseeding {JOBS} jobs and {total_runs} runs over {DAYS} days (SQLite in a tempdir)");
    {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        fill_jobs(&store, JOBS, &["critical", "default", "bulk"], end, None).await;
        store.close().await;
    }
    let t = Instant::now();
    let seeded = seed_runs(&db, total_runs, end).await;
    println!(
        "  {seeded} runs written in {:.1} s (indexes rebuilt after the load)",
        t.elapsed().as_secs_f64()
    );
    print_plans(&db, end).await;
    if let Ok(keep) = std::env::var("CK_BENCH_KEEP_DB") {
        std::fs::copy(&db, &keep).unwrap();
        println!("  seeded database copied to {keep} (history ends at {end})");
    }

    // The service's own store and router, as `Application::build` wires them.
    let mut file = FileConfig::default();
    file.data_dir = Some(dir.path().display().to_string());
    file.database_url = Some(url.clone());
    file.auth.jwt_secret = Some(SECRET.into());
    // Throughput of one token from many clients, not the per-subject fair share.
    file.graphql.max_concurrent_per_subject = Some(clients.clamp(1, 1024) as i64);
    let config = Config::from_file(file).unwrap();
    let store = Store::connect(&config.database_url).await.unwrap();
    let secret = config.auth.jwt_secret.clone().expect("secret");
    let state = ApiState {
        store: store.clone(),
        fair_share: api::FairShare::new(&config.graphql),
        config: Arc::new(config),
        events: Events::new(),
        clock: cronkeeper::clock::system(),
        readiness: Arc::new(Readiness::default()),
        alert_events: AlertEvents::new(),
        dispatch: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // Minted once, sent with every request.
    let now = chrono::Utc::now().timestamp_millis();
    let token = api::auth::mint(
        &secret,
        "bench",
        Role::Admin,
        Duration::from_secs(600),
        now,
        None,
    );
    let client = Gql {
        http: reqwest::Client::new(),
        url: format!("http://{addr}/graphql"),
        auth: format!("Bearer {token}"),
    };

    let mut rows = Vec::new();

    // (a) runs of one job, FAILED only, first page of 100 with totalCount.
    println!("\n(a) runs(filter: {{jobCode, statuses: [FAILED]}}, first: 100), {requests} sequential requests");
    const RUNS_Q: &str =
        "query($code: String!) { runs(filter: {jobCode: $code, statuses: [FAILED]}, first: 100) \
        { totalCount nodes { id status scheduledAt durationMs } } }";
    let vars = |k: usize| json!({ "code": code((k * 7) % JOBS) });
    let first = client.check(RUNS_Q, vars(0)).await;
    println!(
        "  job_00000 (every minute): totalCount {}, {} nodes",
        first["runs"]["totalCount"],
        first["runs"]["nodes"].as_array().map_or(0, Vec::len)
    );
    client.warm(RUNS_Q, vars, 30).await;
    let (all, _) = client.sequential(RUNS_Q, vars, requests).await;
    let st = Stats::of(&all);
    println!("  all 200 jobs in turn: {st}");
    rows.push(row(
        "`runs` by job + FAILED, first 100, totalCount: p50 / p99",
        format!("{:.2} / {:.2} ms", st.p50, st.p99),
        "p99 < 10 ms",
        Some(st.p99 < 10.0),
    ));
    // The busiest jobs (every minute: ~1,080 FAILED runs each over 30 days).
    let busy: Vec<usize> = (0..JOBS).filter(|i| period(*i) == MINUTE).collect();
    let busy_vars = |k: usize| json!({ "code": code(busy[k % busy.len()]) });
    let (samples, _) = client.sequential(RUNS_Q, busy_vars, requests / 3).await;
    let busy_st = Stats::of(&samples);
    println!("  the 12 every-minute jobs only: {busy_st}");
    rows.push(row(
        "  the same, every-minute jobs only (~1,080 FAILED each)",
        format!("{:.2} / {:.2} ms", busy_st.p50, busy_st.p99),
        "p99 < 10 ms",
        Some(busy_st.p99 < 10.0),
    ));
    support::figures::save("api-runs", &support::figures::api_runs(&support::figures::conditions_now(), (st.p50, st.p99), (busy_st.p50, busy_st.p99)));

    // (b) a 24-hour timeline of 60 jobs; the window slides back an hour per request.
    println!("\n(b) timeline(from, to: from + 24h, jobCodes: [60 codes]), {requests} sequential requests");
    const TIMELINE_Q: &str = "query($from: DateTime!, $to: DateTime!, $codes: [String!]) { timeline(from: $from, to: $to, jobCodes: $codes) \
        { jobCode runs { id status scheduledAt startedAt finishedAt } } }";
    let codes = timeline_jobs();
    let window = |k: usize| {
        let from = end - DAY - (k % 48) as i64 * HOUR;
        json!({ "from": iso(from), "to": iso(from + DAY), "codes": codes })
    };
    let first = client.check(TIMELINE_Q, window(0)).await;
    let rows_n = first["timeline"].as_array().map_or(0, Vec::len);
    let runs_n: usize = first["timeline"].as_array().map_or(0, |a| {
        a.iter()
            .map(|r| r["runs"].as_array().map_or(0, Vec::len))
            .sum()
    });
    println!("  last 24 h: {rows_n} jobs, {runs_n} runs in the response");
    client.warm(TIMELINE_Q, window, 10).await;
    timeline_breakdown(&store, &db, end, &codes).await;
    let (samples, bytes) = client.sequential(TIMELINE_Q, window, requests).await;
    rows.push(timeline_row(&format!("24 h `timeline` for 60 jobs (~{runs_n} runs"), &samples, bytes));
    let per_run_st = Stats::of(&samples);

    // (b2) The same window folded, as the module asks for it at 24 h zoom.
    println!("\n(b2) timeline(..., resolutionSeconds: {MODULE_RESOLUTION_24H}) {{ jobCode spans {{ ... }} }}, {requests} sequential requests");
    let first = client.check(SPANS_Q, span_window(&codes, end, 0)).await;
    let spans_n: usize = first["timeline"].as_array().map_or(0, |a| {
        a.iter()
            .map(|r| r["spans"].as_array().map_or(0, Vec::len))
            .sum()
    });
    let counted: i64 = first["timeline"].as_array().map_or(0, |a| {
        a.iter()
            .flat_map(|r| r["spans"].as_array().cloned().unwrap_or_default())
            .map(|s| s["count"].as_i64().unwrap_or(0))
            .sum()
    });
    println!("  last 24 h: {spans_n} spans standing for {counted} run occurrences");
    client.warm(SPANS_Q, |k| span_window(&codes, end, k), 10).await;
    spans_breakdown(&store, end, &codes).await;
    let (samples, bytes) = client.sequential(SPANS_Q, |k| span_window(&codes, end, k), requests).await;
    rows.push(timeline_row(&format!("24 h `timeline` for 60 jobs folded into `spans` (~{spans_n} spans"), &samples, bytes));

    // (b3) The same spans as parallel lists (`spanColumns`), as the module asks at 24 h.
    println!("\n(b3) timeline(..., resolutionSeconds: {MODULE_RESOLUTION_24H}) {{ jobCode spanColumns {{ ... }} }}, {requests} sequential requests");
    let first = client.check(COLUMNS_Q, span_window(&codes, end, 0)).await;
    let columns_n: usize = first["timeline"].as_array().map_or(0, |a| {
        a.iter()
            .map(|r| r["spanColumns"]["status"].as_array().map_or(0, Vec::len))
            .sum()
    });
    assert_eq!(columns_n, spans_n, "spanColumns holds the same spans as spans");
    client.warm(COLUMNS_Q, |k| span_window(&codes, end, k), 10).await;
    let (samples, bytes) = client.sequential(COLUMNS_Q, |k| span_window(&codes, end, k), requests).await;
    rows.push(timeline_row(&format!("24 h `timeline` for 60 jobs as `spanColumns` (~{columns_n} spans"), &samples, bytes));

    // The same request for 60 hourly jobs (1,440 runs): where a lighter view lands.
    let hourly: Vec<String> = (0..JOBS)
        .filter(|i| period(*i) == HOUR)
        .take(60)
        .map(code)
        .collect();
    let light = |k: usize| {
        let from = end - DAY - (k % 48) as i64 * HOUR;
        json!({ "from": iso(from), "to": iso(from + DAY), "codes": hourly })
    };
    client.warm(TIMELINE_Q, light, 10).await;
    let (samples, bytes) = client.sequential(TIMELINE_Q, light, requests / 3).await;
    let st = Stats::of(&samples);
    println!(
        "  60 hourly jobs (1,440 runs): {st}; response {:.0} KiB",
        bytes as f64 / 1024.0 / (requests / 3) as f64
    );
    rows.push(row(
        "  the same for 60 hourly jobs (1,440 runs): p50 / p99",
        format!("{:.2} / {:.2} ms", st.p50, st.p99),
        "p99 < 50 ms",
        Some(st.p99 < 50.0),
    ));
    support::figures::save("api-timeline", &support::figures::api_timeline(&support::figures::conditions_now(), (per_run_st.p50, per_run_st.p99), (st.p50, st.p99)));

    // (c) jobs grid, cached token, concurrent clients: the plain list; the
    // admin grid's page, whose per-job facts are batched per page; and the same
    // 50 jobs looked up one by one (every fact its own query, as a page cost
    // before the batching).
    const JOBS_Q: &str = "{ jobs(first: 50) { totalCount nodes { code lane nextRunAt } } }";
    let first = client.check(JOBS_Q, json!({})).await;
    println!(
        "\n(c) jobs: totalCount {}, {} nodes a page",
        first["jobs"]["totalCount"],
        first["jobs"]["nodes"].as_array().map_or(0, Vec::len)
    );
    let lookups: String = (0..50)
        .map(|i| format!("j{i}: job(code: \"{}\") {{ {GRID_FIELDS} }} ", code(i)))
        .collect();
    for (label, query) in [
        (format!("`jobs(first: 50)` with a cached token, {clients} loopback clients"), JOBS_Q.to_string()),
        ("  the grid's page: + lastRun, runCounts (batched per page)".to_string(), GRID_Q.to_string()),
        ("  the same 50 jobs as 50 `job(code)` lookups (one query per fact and job)".to_string(), format!("{{ {lookups} }}")),
    ] {
        println!("\n(c) {}: {clients} client tasks for {rps_secs} s", label.trim());
        client.check(&query, json!({})).await;
        client.warm(&query, |_| json!({}), 20).await;
        let (rps, lat, errors) = client
            .load(&query, clients, Duration::from_secs(rps_secs))
            .await;
        let st = Stats::of(&lat);
        println!(
            "  {rps:.0} requests/s, {} requests, {errors} failed; latency under load {st}",
            lat.len()
        );
        rows.push(row(
            label,
            format!(
                "{rps:.0} req/s (p50 {:.1} ms, p99 {:.1} ms)",
                st.p50, st.p99
            ),
            "-",
            if errors > 0 { Some(false) } else { None },
        ));
    }

    store.close().await;
    rows
}

/// Prints and tabulates one timeline measurement against its target;
/// `what` is completed with the mean response size.
fn timeline_row(what: &str, samples: &[Duration], bytes: usize) -> Row {
    let st = Stats::of(samples);
    let kib = bytes as f64 / 1024.0 / samples.len().max(1) as f64;
    println!("  {st}; response {kib:.0} KiB");
    row(
        format!("{what}, {kib:.0} KiB): p50 / p99"),
        format!("{:.2} / {:.2} ms", st.p50, st.p99),
        "p99 < 50 ms",
        Some(st.p99 < 50.0),
    )
}

/// The store's share of a folded timeline request: `store::timeline::spans`
/// (the bucketed GROUP BY and the fold), without GraphQL and HTTP.
async fn spans_breakdown(store: &Store, end: i64, codes: &[String]) {
    let from = end - DAY;
    let mut st = Vec::new();
    let mut n = 0;
    for _ in 0..20 {
        let t = Instant::now();
        n = cronkeeper::store::timeline::spans(store, from, end, Some(codes), end, MODULE_RESOLUTION_24H * 1000)
            .await
            .unwrap()
            .len();
        st.push(t.elapsed());
    }
    println!("  store::timeline::spans: {n} spans, {}", Stats::of(&st));
}

/// Where a timeline request's time goes: the SQL alone on a plain SQLite
/// connection, then `store::timeline::timeline` (lean columns, native SQLite
/// driver, decoded into `Run`s).
async fn timeline_breakdown(store: &Store, db: &std::path::Path, end: i64, codes: &[String]) {
    let from = end - DAY;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let marks = vec!["?"; codes.len()].join(", ");
    let sql = format!(
        "SELECT id, job_code, lane, status, trigger_kind, attempt, retry_of, priority, scheduled_at, queued_at, \
    started_at, finished_at, heartbeat_at, exit_code, output, error, worker, pid, pid_start, missed_count, kill_requested FROM runs WHERE scheduled_at >= ? AND scheduled_at < ? AND COALESCE(finished_at, ?) >= ? AND job_code IN ({marks}) \
         ORDER BY job_code, scheduled_at LIMIT 50000"
    );
    let mut raw = Vec::new();
    let mut n = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let mut q = sqlx::query(&sql)
            .bind(from - DAY)
            .bind(end)
            .bind(end)
            .bind(from);
        for c in codes {
            q = q.bind(c);
        }
        n = q.fetch_all(&mut conn).await.unwrap().len();
        raw.push(t.elapsed());
    }
    println!(
        "  SQL alone (sqlite driver, all columns): {n} rows, {}",
        Stats::of(&raw)
    );
    let mut st = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        n = cronkeeper::store::timeline::timeline(store, from, end, Some(codes), end, Default::default())
            .await
            .unwrap()
            .len();
        st.push(t.elapsed());
    }
    println!(
        "  store::timeline::timeline (lean columns, decoded Runs): {n} runs, {}",
        Stats::of(&st)
    );
    conn.close().await.unwrap();
}

/// The folded timeline as the module's timeline.js asks for it at 24 h zoom.
const SPANS_Q: &str = "query($from: DateTime!, $to: DateTime!, $codes: [String!], $res: Int) { timeline(from: $from, to: $to, jobCodes: $codes, resolutionSeconds: $res) \
    { jobCode spans { status start end count firstRunId lastRunId } } }";

/// The same, column by column.
const COLUMNS_Q: &str = "query($from: DateTime!, $to: DateTime!, $codes: [String!], $res: Int) { timeline(from: $from, to: $to, jobCodes: $codes, resolutionSeconds: $res) \
    { jobCode spanColumns { status start end count firstRunId lastRunId } } }";

/// What timeline.js sends at 24 h zoom on a 1,180 px track (a 1,400 px admin
/// page): the time 16 pixels stand for, `ceil(86,400 s / 1,180 * 16)`.
const MODULE_RESOLUTION_24H: i64 = 1172;

/// The fields the module's jobs grid shows per job.
const GRID_FIELDS: &str = "code lane nextRunAt lastRun { status finishedAt } runCounts { status count }";
const GRID_Q: &str = "{ jobs(first: 50) { totalCount nodes { code lane nextRunAt lastRun { status finishedAt } runCounts { status count } } } }";

/// A 24-hour window sliding back an hour per request, as in (b), folded.
fn span_window(codes: &[String], end: i64, k: usize) -> Value {
    let from = end - DAY - (k % 48) as i64 * HOUR;
    json!({ "from": iso(from), "to": iso(from + DAY), "codes": codes, "res": MODULE_RESOLUTION_24H })
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------
// Seeding

/// Writes `n` finished runs, newest ending at `end`, on a connection of our
/// own: multi-row INSERTs of literal values in one transaction, with the runs
/// indexes dropped during the load and rebuilt from their own definitions
/// after it (much faster than maintaining five indexes row by row).
async fn seed_runs(db: &std::path::Path, n: usize, end: i64) -> usize {
    // Every fire time of every job over the window, newest first, capped at n.
    let start = end - DAYS * DAY;
    let mut fires: Vec<(i64, usize)> = Vec::with_capacity(1_100_000);
    for i in 0..JOBS {
        let p = period(i);
        // Each job fires on its own offset within its period.
        let offset = (i as i64 * 7 * MINUTE) % p;
        let mut t = start + offset;
        while t < end {
            fires.push((t, i));
            t += p;
        }
    }
    fires.sort_unstable();
    if fires.len() > n {
        fires.drain(..fires.len() - n);
    }

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    conn.execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;")
        .await
        .unwrap();
    let indexes: Vec<(String, String)> = sqlx::query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>("name"), r.get::<String, _>("sql")))
        .collect();
    let mut tx = conn.begin().await.unwrap();
    for (name, _) in &indexes {
        tx.execute(format!("DROP INDEX {name}").as_str())
            .await
            .unwrap();
    }
    let mut rng = StdRng::seed_from_u64(3);
    let mut sql = String::with_capacity(1 << 20);
    for chunk in fires.chunks(1000) {
        sql.clear();
        sql.push_str(
            "INSERT INTO runs (job_code, lane, status, trigger_kind, attempt, priority, fire_key, scheduled_at, queued_at, \
             started_at, finished_at, exit_code, error, worker, pid, missed_count, claim) VALUES ",
        );
        for (k, (at, i)) in chunk.iter().enumerate() {
            let roll: f64 = rng.gen();
            // 2.5% FAILED, 1% SKIPPED, 0.5% MISSED, the rest SUCCEEDED.
            let status = if roll < 0.025 {
                "FAILED"
            } else if roll < 0.035 {
                "SKIPPED"
            } else if roll < 0.040 {
                "MISSED"
            } else {
                "SUCCEEDED"
            };
            // Jobs take from 0.2 s to about a minute, depending on the job.
            let typical = 200 + (*i as i64 * 317) % 60_000;
            let duration = typical / 2 + rng.gen_range(0..typical);
            let started = at + rng.gen_range(5..1500);
            if k > 0 {
                sql.push(',');
            }
            let (started, finished, exit, error, worker, pid, missed, claim) = match status {
                "SUCCEEDED" => (started.to_string(), (started + duration).to_string(), "0", "NULL", "'node-a/4242/1'", "4242", 0, 1),
                "FAILED" => (started.to_string(), (started + duration).to_string(), "1", "'exit status 1'", "'node-a/4242/1'", "4242", 0, 1),
                "SKIPPED" => (
                    "NULL".into(),
                    (at + 1).to_string(),
                    "NULL",
                    "'skipped: an earlier run of this job was still running (concurrency policy forbid)'",
                    "NULL",
                    "NULL",
                    0,
                    0,
                ),
                _ => ("NULL".into(), (at + MINUTE).to_string(), "NULL", "'1 fire time(s) passed without a run (scheduler down or late)'", "NULL", "NULL", 1, 0),
            };
            use std::fmt::Write as _;
            write!(
                sql,
                "('{code}','{lane}','{status}','schedule',1,0,{at},{at},{at},{started},{finished},{exit},{error},{worker},{pid},{missed},{claim})",
                code = code(*i),
                lane = lane(*i),
            )
            .unwrap();
        }
        tx.execute(sql.as_str()).await.unwrap();
    }
    let t = Instant::now();
    for (_, create) in &indexes {
        tx.execute(create.as_str()).await.unwrap();
    }
    // The scheduler's fire cursors, so `nextRunAt` reads them as in service.
    for i in 0..JOBS {
        let next = end + period(i);
        sqlx::query("UPDATE jobs SET last_fire_at = ?, next_fire_at = ? WHERE code = ?")
            .bind(end)
            .bind(next)
            .bind(code(i))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "  rebuilt {} runs indexes in {:.1} s",
        indexes.len(),
        t.elapsed().as_secs_f64()
    );
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    conn.close().await.unwrap();
    fires.len()
}

/// `EXPLAIN QUERY PLAN` of the SQL `store::runs::{list, count, timeline}`
/// send for (a) and (b) (same text as store/runs.rs builds it).
async fn print_plans(db: &std::path::Path, end: i64) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let codes = timeline_jobs();
    let marks = vec!["?"; codes.len()].join(", ");
    let list = "SELECT id FROM runs WHERE job_code = ? AND status IN (?) ORDER BY scheduled_at DESC, id DESC LIMIT 100 OFFSET 0".to_string();
    let count = "SELECT COUNT(*) AS n FROM runs WHERE job_code = ? AND status IN (?)".to_string();
    let timeline = format!(
        "SELECT id FROM runs WHERE scheduled_at >= ? AND scheduled_at < ? AND COALESCE(finished_at, ?) >= ? AND job_code IN ({marks}) \
         ORDER BY job_code, scheduled_at LIMIT 50000"
    );
    println!("\nquery plans (EXPLAIN QUERY PLAN, no ANALYZE statistics, as the service runs):");
    for (name, sql, binds) in [
        ("runs list", list, vec![json!("job_00000"), json!("FAILED")]),
        (
            "runs count",
            count,
            vec![json!("job_00000"), json!("FAILED")],
        ),
        ("timeline", timeline, {
            let from = end - DAY;
            let mut b = vec![json!(from - DAY), json!(end), json!(end), json!(from)];
            b.extend(codes.iter().map(|c| json!(c)));
            b
        }),
    ] {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut q = sqlx::query(&explain);
        for b in &binds {
            q = match b {
                Value::String(s) => q.bind(s.clone()),
                v => q.bind(v.as_i64().unwrap()),
            };
        }
        for r in q.fetch_all(&mut conn).await.unwrap() {
            println!("  {name}: {}", r.get::<String, _>("detail"));
        }
    }
    conn.close().await.unwrap();
}

// ---------------------------------------------------------------------------
// Client

#[derive(Clone)]
struct Gql {
    http: reqwest::Client,
    url: String,
    auth: String,
}

impl Gql {
    fn body(query: &str, variables: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({ "query": query, "variables": variables })).unwrap()
    }

    /// One request, timed from send to the last byte of the body.
    async fn post(&self, body: Vec<u8>) -> (Duration, Vec<u8>) {
        let t = Instant::now();
        let resp = self
            .http
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let took = t.elapsed();
        assert!(status.is_success(), "HTTP {status}");
        (took, bytes.to_vec())
    }

    /// The `data` of one request, failing the bench on any GraphQL error.
    async fn check(&self, query: &str, variables: Value) -> Value {
        let (_, bytes) = self.post(Self::body(query, variables)).await;
        let v: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert!(v.get("errors").is_none(), "GraphQL errors: {}", v["errors"]);
        v["data"].clone()
    }

    async fn warm(&self, query: &str, vars: impl Fn(usize) -> Value, n: usize) {
        for k in 0..n {
            self.post(Self::body(query, vars(k))).await;
        }
    }

    /// `n` requests one after the other; latencies and total bytes received.
    async fn sequential(
        &self,
        query: &str,
        vars: impl Fn(usize) -> Value,
        n: usize,
    ) -> (Vec<Duration>, usize) {
        let mut samples = Vec::with_capacity(n);
        let mut bytes = 0;
        for k in 0..n {
            let (took, body) = self.post(Self::body(query, vars(k))).await;
            assert!(
                !contains(&body, b"\"errors\""),
                "GraphQL errors: {}",
                String::from_utf8_lossy(&body)
            );
            bytes += body.len();
            samples.push(took);
        }
        (samples, bytes)
    }

    /// `clients` tasks sending the same request back to back for `secs`:
    /// requests per second, every latency, and how many failed.
    async fn load(&self, query: &str, clients: usize, secs: Duration) -> (f64, Vec<Duration>, u64) {
        let body = Self::body(query, json!({}));
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicU64::new(0));
        let t = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (me, body, stop, errors) =
                    (self.clone(), body.clone(), stop.clone(), errors.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let (took, resp) = me.post(body.clone()).await;
                        if contains(&resp, b"\"errors\"") {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        lat.push(took);
                    }
                    lat
                })
            })
            .collect();
        tokio::time::sleep(secs).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let elapsed = t.elapsed();
        (
            all.len() as f64 / elapsed.as_secs_f64(),
            all,
            errors.load(Ordering::Relaxed),
        )
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
