//! The charts of `docs/performance.md`: one function per figure, so the benches
//! and the generator of the committed pictures (`service/tests/bench_charts.rs`)
//! draw them the same way. Each bench run overwrites `docs/images/perf-*.svg`.

use std::path::PathBuf;

use super::chart::{BarChart, Target};

/// `docs/images/` of this repository.
pub fn images_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/images"))
}

/// Writes `docs/images/perf-<name>.svg`, replacing the previous run's picture.
/// A chart that cannot be written is reported, not fatal: the figures printed
/// by the bench are what counts.
pub fn save(name: &str, chart: &BarChart) {
    let path = images_dir().join(format!("perf-{name}.svg"));
    match std::fs::write(&path, chart.svg()) {
        Ok(()) => println!("  chart: {}", path.display()),
        Err(e) => eprintln!("  chart {} not written: {e}", path.display()),
    }
}

/// The note under a chart's title for a bench measuring now: the date, the
/// cores and the load average when the chart is written (the machines these
/// benches run on are shared, and the tails move with the load).
pub fn conditions_now() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next().map(str::to_string)).unwrap_or_else(|| "?".into());
    format!("{}, {cpus} cores, load average {load} when drawn; docs/performance.md has the method", chrono::Utc::now().format("%Y-%m-%d"))
}

/// Core (a): the steady-state scheduler tick with 10,000 schedules.
pub fn core_tick(note: &str, p50: f64, mean: f64, p99: f64, max: f64) -> BarChart {
    BarChart::new("Scheduler tick, 10,000 schedules, nothing due", "ms")
        .axis_label("ms per tick (lower is better)")
        .note(note)
        .target(Target::below(5.0, "target < 5 ms"))
        .bar("p50", p50)
        .bar("mean", mean)
        .bar("p99", p99)
        .bar("max", max)
}

/// Core (b): `true` runs per second through a 2-slot lane, against a plain
/// spawn-and-wait loop with the same concurrency; the target is 70% of it.
pub fn core_throughput(note: &str, cronkeeper: f64, plain: f64) -> BarChart {
    BarChart::new("Throughput of `true`, 2 slots", "runs/s")
        .axis_label("runs per second (higher is better)")
        .note(note)
        .target(Target::above(0.7 * plain, "target ≥ 70% of plain"))
        .reference("plain spawn-and-wait", plain)
        .bar("cronkeeper lane", cronkeeper)
}

/// Core (c): due-to-start latency of `@every 1s` jobs among 10,000 schedules.
pub fn core_latency(note: &str, p50: f64, p90: f64, p99: f64) -> BarChart {
    BarChart::new("Due-to-start latency, among 10,000 schedules", "ms")
        .axis_label("ms from fire time to start (lower is better)")
        .note(note)
        .target(Target::below(20.0, "target p99 < 20 ms"))
        .bar("p50", p50)
        .bar("p90", p90)
        .bar("p99", p99)
}

/// API (a): `runs` by job and status, first 100 with `totalCount`; each pair is
/// (p50, p99) in ms.
pub fn api_runs(note: &str, all_jobs: (f64, f64), every_minute_jobs: (f64, f64)) -> BarChart {
    let chart = BarChart::new("`runs` by job + FAILED, first 100, 1M runs", "ms")
        .axis_label("ms per request (lower is better)")
        .note(note)
        .target(Target::below(10.0, "target p99 < 10 ms"));
    p50_p99(chart, [("all jobs", all_jobs), ("every-minute jobs", every_minute_jobs)])
}

/// API (b): the 24-hour `timeline` of the bench's 60 timeline jobs (the whole
/// frequency mix) and of 60 hourly jobs; each pair is (p50, p99) in ms.
pub fn api_timeline(note: &str, sixty_jobs: (f64, f64), sixty_hourly_jobs: (f64, f64)) -> BarChart {
    let chart = BarChart::new("24 h `timeline` of 60 jobs, 1M runs in the store", "ms")
        .axis_label("ms per request (lower is better)")
        .note(note)
        .target(Target::below(50.0, "target p99 < 50 ms"));
    p50_p99(chart, [("mixed jobs", sixty_jobs), ("hourly jobs", sixty_hourly_jobs)])
}

/// Two bars per request kind, its p50 then its p99.
fn p50_p99<const N: usize>(chart: BarChart, kinds: [(&str, (f64, f64)); N]) -> BarChart {
    kinds.into_iter().fold(chart, |chart, (kind, (p50, p99))| chart.bar(format!("{kind}, p50"), p50).bar(format!("{kind}, p99"), p99))
}
