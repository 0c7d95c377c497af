"""Load benchmark and memory soak against the real binary on loopback.

The store (SQLite) holds 10,000 jobs and 1,000,000 runs: the jobs come from
the config file (the service saves them at start-up, as it does in
production); the runs are written straight into the database file in SQL
while the service is stopped (indexes dropped during the load and rebuilt
after it, as service/benches/api.rs does), spread over the last 30 days.
50 of the jobs are `@every 1s` and run `true`, so the scheduler starts about
50 runs a second throughout; the other 9,950 are daily jobs (`m h * * *`,
about 7 a minute).

1. Benchmark: `wrk` (Debian's package; a Lua script per query sets the
   method, the body and the Authorization header) runs each of the admin
   module's queries for --bench-seconds with --connections connections and
   reports requests per second and p99: the jobs grid and the runs grid
   (Magento module: Model/GraphQl/Queries.php JOBS and RUNS, first page of
   20, as the grid sends them), and the timeline over 24 h, both as the
   timeline page sends it by default (every job) and for 60 jobs.
2. Soak: for --duration seconds, the same scheduler load plus a steady API
   load of --api-rate requests per second (mostly the grids, one timeline in
   ten), while the service's VmRSS is sampled every --sample-every seconds.
   The slope of a least-squares line through the samples after the warm-up
   (the first --warmup seconds) is reported in MiB/hour.

Asserted: the scheduler ran at least 90% of the intended rate, every
benchmarked request answered 200 without GraphQL errors (checked once in
Python, then wrk's non-2xx count), no API call of the soak failed, and
memory does not grow: the slope is at most --max-slope MiB/hour (default 4: a
leak of 25 bytes per run would exceed it at 50 runs/s; memory handed back to
the system, a falling RSS, passes) when the soak lasts 15
minutes or more; a shorter soak cannot measure a slope that small, so it
asserts instead that RSS grew by at most --max-growth MiB (default 16) from
the end of the warm-up to the end.

Usage: load_soak.py [--duration 3600] [--bench-seconds 20] [--runs 1000000]
                    [--jobs 10000] [--every-jobs 50] [--api-rate 20]
"""

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import threading
import time

from common import IN_CI, Figures, Service, binary_or_exit, check, run_main, token

MINUTE = 60_000
DAY = 24 * 60 * MINUTE
RUNS_DAYS = 30

# The admin module's documents, read from magento-module/Model/GraphQl/Queries.php
# so that the benchmark sends what the grids and the timeline page send.
QUERIES_PHP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "magento-module", "Model", "GraphQl", "Queries.php")


def module_query(name):
    """The PHP constant `name` of Queries.php, with its `' . self::TYPE_X . '` parts filled in."""
    with open(QUERIES_PHP) as f:
        php = f.read()
    types = dict(re.findall(r"public const (TYPE_\w+) = '(\w+)';", php))
    m = re.search(rf"public const {name} = '(.*?)';\n", php, re.S)
    check(m is not None, f"no constant {name} in {QUERIES_PHP}")
    return re.sub(r"' \. self::(TYPE_\w+) \. '", lambda t: types[t.group(1)], m.group(1))


def code(i):
    return f"job_{i:05}"


def config(jobs, every_jobs):
    """Lanes, retention longer than the seeded history, and the jobs."""
    out = [
        "[retention]\nsucceeded = \"60days\"\nother = \"60days\"\n",
        f"[lanes.default]\nslots = 8\n[lanes.fast]\nslots = {max(8, every_jobs // 4)}\n",
    ]
    for i in range(every_jobs):
        out.append(f'[[jobs]]\ncode = "every_{i:02}"\nschedule = "@every 1s"\nlane = "fast"\ncommand = ["true"]\n')
    for i in range(jobs - every_jobs):
        minute, hour = i % 60, (i // 60) % 24
        out.append(f'[[jobs]]\ncode = "{code(i)}"\nschedule = "{minute} {hour} * * *"\ncommand = ["true"]\n')
    return "".join(out)


def seed_runs(db_path, n, daily_jobs, end):
    """n finished runs of the daily jobs over the last 30 days, in one transaction."""
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -200000")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL"
    ).fetchall()
    con.execute("BEGIN")
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    rng = random.Random(3)
    step = RUNS_DAYS * DAY // n
    start = end - n * step

    def rows():
        for k in range(n):
            at = start + k * step
            job = rng.randrange(daily_jobs)
            roll = rng.random()
            started = at + rng.randrange(5, 1500)
            finished = started + 200 + (job * 317) % 60_000
            # 2.5% FAILED, 1% SKIPPED, the rest SUCCEEDED (as benches/api.rs).
            if roll < 0.025:
                yield (code(job), "FAILED", at, started, finished, 1, "exit status 1", "node-a/4242/1", 4242, 1)
            elif roll < 0.035:
                yield (code(job), "SKIPPED", at, None, at + 1, None, "skipped: an earlier run was still running", None, None, 0)
            else:
                yield (code(job), "SUCCEEDED", at, started, finished, 0, None, "node-a/4242/1", 4242, 1)

    con.executemany(
        "INSERT INTO runs (job_code, lane, status, trigger_kind, attempt, priority, fire_key, scheduled_at, queued_at, "
        "started_at, finished_at, exit_code, error, worker, pid, missed_count, claim) "
        "VALUES (?1, 'default', ?2, 'schedule', 1, 0, ?3, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)",
        rows(),
    )
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{int(ms) % 1000:03}Z"


def queries(jobs, every_jobs):
    """(name, document, variables) of what is benchmarked; the timeline ends now."""
    now = int(time.time() * 1000)
    sixty = [code(i) for i in range(0, jobs - every_jobs, (jobs - every_jobs) // 60)][:60]
    timeline = module_query("TIMELINE")
    return [
        ("jobs grid (first 20, with lastRun)", module_query("JOBS"), {"first": 20}),
        ("runs grid (first 20, totalCount)", module_query("RUNS"), {"first": 20}),
        ("timeline 24 h, every job (the page's default)", timeline, {"from": iso(now - DAY), "to": iso(now), "jobCodes": None}),
        ("timeline 24 h, 60 jobs", timeline, {"from": iso(now - DAY), "to": iso(now), "jobCodes": sixty}),
    ]


def wrk_script(path, body, auth):
    # Lua long brackets: the JSON needs no escaping inside [==[ ... ]==].
    with open(path, "w") as f:
        f.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = [==[{auth}]==]\n'
            f"wrk.body = [==[{body}]==]\n"
        )


def ms(text):
    """wrk's latency ("812.00us", "12.34ms", "1.02s") in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(svc, name, doc, variables, seconds, connections, workdir):
    body = json.dumps({"query": doc, "variables": variables})
    status, answer = svc.post(body.encode(), {"Authorization": f"Bearer {token('admin', ttl=600)}"}, timeout=120)
    check(status == 200 and isinstance(answer, dict) and not answer.get("errors"), f"{name}: {status} {str(answer)[:500]}")
    size = len(json.dumps(answer))
    script = os.path.join(workdir, "wrk.lua")
    wrk_script(script, body, f"Bearer {token('admin', ttl=600)}")
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "--latency", "-s", script,
         f"http://127.0.0.1:{svc.port}/graphql"],
        check=True, capture_output=True, text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"name": name, "rps": rps, "p50": p50, "p99": p99, "requests": total, "bytes": size,
            "non2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime (the jobs it reaped count in the last two)
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:13]) / ticks, sum(int(x) for x in fields[13:15]) / ticks


def slope_per_hour(samples):
    """Least-squares slope of (seconds, KiB) samples, in MiB per hour."""
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    var = sum((t - mx) ** 2 for t, _ in samples)
    cov = sum((t - mx) * (v - my) for t, v in samples)
    return cov / var * 3600 / 1024 if var else 0.0


def scheduler_rate(svc, since_ms, until_ms):
    """Runs of the @every jobs scheduled, and started, per second in the window."""
    con = svc.db()
    try:
        scheduled = con.execute(
            "SELECT COUNT(*) FROM runs WHERE job_code LIKE 'every_%' AND scheduled_at >= ? AND scheduled_at < ?", (since_ms, until_ms)
        ).fetchone()[0]
        started = con.execute(
            "SELECT COUNT(*) FROM runs WHERE job_code LIKE 'every_%' AND scheduled_at >= ? AND scheduled_at < ? AND started_at IS NOT NULL",
            (since_ms, until_ms),
        ).fetchone()[0]
        statuses = dict(con.execute(
            "SELECT status, COUNT(*) FROM runs WHERE job_code LIKE 'every_%' AND scheduled_at >= ? AND scheduled_at < ? GROUP BY status",
            (since_ms, until_ms),
        ).fetchall())
    finally:
        con.close()
    seconds = (until_ms - since_ms) / 1000
    return scheduled / seconds, started / seconds, statuses


class SteadyLoad(threading.Thread):
    """`rate` API calls a second, paced, from one client: grids, and a timeline in ten."""

    def __init__(self, svc, rate, jobs, every_jobs):
        super().__init__(daemon=True)
        self.svc, self.rate, self.jobs, self.every_jobs = svc, rate, jobs, every_jobs
        self.stop = threading.Event()
        self.latencies, self.failures = [], []

    def run(self):
        k = 0
        next_at = time.time()
        while not self.stop.is_set():
            qs = queries(self.jobs, self.every_jobs)
            # jobs, runs, jobs, runs, ... and the 60-job timeline every tenth call
            name, doc, variables = qs[3] if k % 10 == 9 else qs[k % 2]
            t = time.time()
            try:
                status, body = self.svc.post({"query": doc, "variables": variables},
                                             {"Authorization": f"Bearer {token('admin')}"}, timeout=30)
                if status != 200 or not isinstance(body, dict) or body.get("errors"):
                    self.failures.append(f"{name}: {status} {str(body)[:200]}")
            except Exception as e:  # noqa: BLE001 - a refused call is a failure to count
                self.failures.append(f"{name}: {type(e).__name__} {e}")
            self.latencies.append((time.time() - t) * 1000)
            k += 1
            next_at += 1 / self.rate
            time.sleep(max(0.0, next_at - time.time()))


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p * len(s) + 0.5)) - 1))] if s else float("nan")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=3600, help="soak seconds")
    ap.add_argument("--warmup", type=int, default=None, help="seconds left out of the slope (default: 5 min, or a fifth of a shorter soak)")
    ap.add_argument("--bench-seconds", type=int, default=20, help="wrk seconds per query; 0 skips the benchmark")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--every-jobs", type=int, default=50)
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--api-rate", type=float, default=20.0)
    ap.add_argument("--sample-every", type=float, default=10.0)
    ap.add_argument("--max-slope", type=float, default=4.0, help="MiB/hour, asserted for soaks of 15 min or more")
    ap.add_argument("--max-growth", type=float, default=16.0, help="MiB, asserted for shorter soaks")
    ap.add_argument("--samples-csv", default=None, help="write the RSS samples (seconds, KiB) here")
    args = ap.parse_args()
    binary_or_exit()
    if not shutil.which("wrk") and args.bench_seconds > 0:
        if IN_CI:
            raise FileNotFoundError("wrk is not installed (tests/reliability/install.sh installs it)")
        print("SKIPPED load_soak: no wrk on PATH (apt-get install wrk, or tests/reliability/install.sh)")
        return
    warmup = args.warmup if args.warmup is not None else min(300, args.duration // 5)
    print(f"load and soak: {args.jobs} jobs ({args.every_jobs} @every 1s), {args.runs} runs seeded, "
          f"soak {args.duration} s at {args.api_rate} req/s; load average {loadavg()}")

    svc = Service(config(args.jobs, args.every_jobs), timers={"heartbeat_interval": "5s", "heartbeat_expiry": "30s"},
                  env={"RUST_LOG": "warn"})
    fig = Figures(f"Load and soak ({args.jobs} jobs, {args.runs} runs, SQLite)")
    try:
        t = time.time()
        svc.start(wait=False)
        svc.wait_healthy(within=180)  # saves the 10,000 config jobs
        svc.stop()
        fig["start-up with an empty store (saving the jobs), s"] = round(time.time() - t, 1)
        t = time.time()
        seed_runs(svc.db_path, args.runs, args.jobs - args.every_jobs, int(time.time() * 1000))
        con = svc.db()
        counts = con.execute("SELECT (SELECT COUNT(*) FROM jobs), (SELECT COUNT(*) FROM runs)").fetchone()
        con.close()
        fig["seeding the runs in SQL, s"] = round(time.time() - t, 1)
        fig["jobs / runs in the store"] = f"{counts[0]} / {counts[1]}"
        check(counts[0] == args.jobs and counts[1] >= args.runs, f"seeded store has {tuple(counts)}")

        t = time.time()
        svc.start(wait=False)
        svc.wait_healthy(within=180)
        fig["start-up with the seeded store, s"] = round(time.time() - t, 1)
        time.sleep(10)  # the first ticks write 10,000 cursors; let the scheduler settle

        results = []
        if args.bench_seconds > 0:
            bench_from = int(time.time() * 1000)
            cpu0 = cpu_seconds(svc.proc.pid)
            fig["load average before the benchmark"] = loadavg()
            for name, doc, variables in queries(args.jobs, args.every_jobs):
                results.append(run_wrk(svc, name, doc, variables, args.bench_seconds, args.connections, svc.dir))
                r = results[-1]
                print(f"    {name}: {r['rps']:.1f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                      f"{r['requests']} requests, {r['bytes'] / 1024:.0f} KiB each, non-2xx {r['non2xx']} {r['socket_errors']}")
            bench_to = int(time.time() * 1000) - 2000
            sched, started, statuses = scheduler_rate(svc, bench_from, bench_to)
            cpu1 = cpu_seconds(svc.proc.pid)
            fig["load average after the benchmark"] = loadavg()
            fig["scheduler during the benchmark: runs scheduled / started per second"] = f"{sched:.1f} / {started:.1f} ({statuses})"
            fig["service CPU during the benchmark (own / its jobs), cores"] = (
                f"{(cpu1[0] - cpu0[0]) / ((bench_to - bench_from) / 1000):.2f} / {(cpu1[1] - cpu0[1]) / ((bench_to - bench_from) / 1000):.2f}")
            for r in results:
                fig[f"wrk {r['name']}"] = (f"{r['rps']:.1f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms "
                                           f"({r['requests']} requests, {args.connections} connections, {r['bytes'] / 1024:.0f} KiB)")

        # The soak.
        load = SteadyLoad(svc, args.api_rate, args.jobs, args.every_jobs)
        samples = []
        soak_from = time.time()
        soak_from_ms = int(soak_from * 1000)
        cpu0 = cpu_seconds(svc.proc.pid)
        fig["load average at the soak's start"] = loadavg()
        load.start()
        next_sample = soak_from
        while time.time() - soak_from < args.duration:
            check(svc.proc.poll() is None, f"the service died during the soak:\n{svc.log_tail()}")
            samples.append((time.time() - soak_from, rss_kib(svc.proc.pid)))
            if args.samples_csv:
                with open(args.samples_csv, "a") as f:
                    f.write(f"{samples[-1][0]:.1f},{samples[-1][1]}\n")
            if len(samples) % 30 == 0:
                print(f"    soak {samples[-1][0]:.0f} s: RSS {samples[-1][1] / 1024:.1f} MiB, {len(load.latencies)} API calls, "
                      f"{len(load.failures)} failed, load average {loadavg()}")
            next_sample += args.sample_every
            time.sleep(max(0.0, next_sample - time.time()))
        samples.append((time.time() - soak_from, rss_kib(svc.proc.pid)))
        load.stop.set()
        load.join()
        soak_to_ms = int(time.time() * 1000) - 2000
        cpu1 = cpu_seconds(svc.proc.pid)
        elapsed = time.time() - soak_from
        sched, started, statuses = scheduler_rate(svc, soak_from_ms, soak_to_ms)

        steady = [s for s in samples if s[0] >= warmup]
        slope = slope_per_hour(steady)
        growth = (steady[-1][1] - steady[0][1]) / 1024
        fig["load average at the soak's end"] = loadavg()
        fig["soak: seconds, RSS samples (after the warm-up)"] = f"{elapsed:.0f}, {len(samples)} ({len(steady)} after {warmup} s)"
        fig["soak: scheduler runs scheduled / started per second"] = f"{sched:.1f} / {started:.1f} ({statuses})"
        fig["soak: API calls, failed, per second"] = f"{len(load.latencies)}, {len(load.failures)}, {len(load.latencies) / elapsed:.1f}"
        fig["soak: API latency p50 / p99 / max, ms"] = f"{pct(load.latencies, 0.5):.1f} / {pct(load.latencies, 0.99):.1f} / {max(load.latencies):.1f}"
        fig["soak: service CPU (own / its jobs), cores"] = f"{(cpu1[0] - cpu0[0]) / elapsed:.2f} / {(cpu1[1] - cpu0[1]) / elapsed:.2f}"
        fig["soak: RSS first / after warm-up / min / max / last, MiB"] = " / ".join(
            f"{v / 1024:.1f}" for v in (samples[0][1], steady[0][1], min(v for _, v in steady), max(v for _, v in steady), samples[-1][1]))
        fig["soak: RSS slope after the warm-up, MiB/hour (least squares)"] = round(slope, 2)
        # A one-off drop (the allocator handing memory back) dominates the slope of
        # the whole stretch; the second half tells whether what is left still grows.
        late = [s for s in steady if s[0] >= (steady[0][0] + steady[-1][0]) / 2]
        fig["soak: RSS slope over the second half, MiB/hour"] = round(slope_per_hour(late), 2) if len(late) > 2 else "-"
        fig["soak: RSS change from the warm-up's end to the end, MiB"] = round(growth, 1)
        fig.show()

        for r in results:
            check(r["non2xx"] == 0 and not r["socket_errors"], f"wrk saw failures on {r['name']}: {r}")
        check(not load.failures, f"API calls failed during the soak: {load.failures[:10]}")
        check(started >= 0.9 * args.every_jobs, f"the scheduler started {started:.1f} runs/s during the soak, wanted ~{args.every_jobs}")
        if elapsed >= 900:
            # One-sided: memory handed back is not a leak (a soak measured RSS fall
            # 82 MiB at once after the benchmark's large answers, then stay flat).
            check(slope <= args.max_slope, f"RSS slope {slope:.2f} MiB/hour is over the bound of {args.max_slope}")
        else:
            print(f"(a {elapsed:.0f} s soak is too short for the slope bound; asserting growth <= {args.max_growth} MiB instead)")
            check(growth <= args.max_growth, f"RSS grew {growth:.1f} MiB during a {elapsed:.0f} s soak")
    finally:
        svc.stop()


if __name__ == "__main__":
    run_main(main)
