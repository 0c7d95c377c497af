"""kill -9 of cronkeeper with ~100 runs in flight, repeated at random moments,
restarting each time, on SQLite (the script reads the database file directly)
or on PostgreSQL or MariaDB (--backend postgres|mariadb: a database of its own,
created for the run and dropped after it, on the server of
CRONKEEPER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres,
or CRONKEEPER_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306/; read with
psql or the mariadb client).

Jobs: `allow_*` (concurrency allow, sleep 0.5..3 s, 2 retries) fed as manual
runs to keep about 100 in flight; `forbid_*` (concurrency forbid, @every 1s
and manual runs too) whose command takes an flock on a marker file and logs a
duplicate when it finds it held: two runs of one forbid job at once show up
there, whatever the database says.

After every restart (the HTTP listener answers only after start-up recovery):
no run of a previous process is still RUNNING, and every orphaned job process
of the killed service is gone. At the end: every requested run exists and
finished, every interrupted run with retries left has its retry, no forbid
job overlapped (flock markers and start/finish intervals), and the figures
are printed.

Usage: kill9.py [--rounds N] [--in-flight N] [--seed S] [--backend sqlite|postgres|mariadb]
"""

import argparse
import os
import random
import subprocess
import threading
import time
import urllib.parse

from common import IN_CI, Figures, Service, binary_or_exit, check, mysql_query, toml_table, run_main

ALLOW_JOBS = 20
FORBID_JOBS = 5
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "KILLED", "INTERRUPTED", "MISSED", "SKIPPED")
FORBID_SCRIPT = (
    'exec 9>>"$MARK_DIR/$JOB.lock"; '
    'if ! flock -n 9; then echo "$JOB $$ $(date +%s.%N)" >> "$MARK_DIR/duplicates"; fi; '
    'exec sleep "$SLEEP"'
)


def config(mark_dir, in_flight):
    retry_fast = {"initial": "1s", "factor": 1.0, "max": "1s", "jitter": 0.0}
    jobs = []
    for i in range(ALLOW_JOBS):
        jobs.append({
            "code": f"allow_{i:02}", "schedule": "0 0 1 1 *", "paused": True, "concurrency": "allow",
            "max_retries": 2, "backoff": retry_fast, "timeout": "30s",
            "command": ["sleep", f"{0.5 + 2.5 * i / (ALLOW_JOBS - 1):.2f}"],
        })
    for i in range(FORBID_JOBS):
        jobs.append({
            "code": f"forbid_{i}", "schedule": "@every 1s", "concurrency": "forbid", "lane": "solo",
            "max_retries": 1, "backoff": retry_fast, "timeout": "30s",
            "command": ["sh", "-c", FORBID_SCRIPT],
            "env": {"MARK_DIR": mark_dir, "JOB": f"forbid_{i}", "SLEEP": f"{0.5 + 2.5 * i / (FORBID_JOBS - 1):.2f}"},
        })
    lanes = f"[lanes.default]\nslots = {in_flight}\n[lanes.solo]\nslots = {FORBID_JOBS * 3}\n"
    return lanes + "".join(toml_table("jobs", job) for job in jobs)


class Feeder(threading.Thread):
    """Keeps about `target` allow runs queued or running through the API."""

    def __init__(self, svc_ref, target, rng):
        super().__init__(daemon=True)
        self.svc_ref, self.target, self.rng = svc_ref, target, rng
        self.requested = []  # run ids the API returned
        self.refused = 0  # calls that failed (the service was down): nothing was promised
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            svc = self.svc_ref[0]
            try:
                busy = svc.query("SELECT COUNT(*) AS n FROM runs WHERE job_code LIKE 'allow_%' AND status IN ('QUEUED','PENDING','RUNNING')")[0]["n"]
                want = min(self.target - busy, 100)
                if want > 0:
                    codes = [f"allow_{self.rng.randrange(ALLOW_JOBS):02}" for _ in range(want)]
                    codes += [f"forbid_{self.rng.randrange(FORBID_JOBS)}"] if self.rng.random() < 0.5 else []
                    data = svc.gql("mutation($c: [String!]!) { runJobsNow(codes: $c) { id } }", {"c": codes}, role="operator")
                    self.requested += [int(r["id"]) for r in data["runJobsNow"]]
            except Exception:  # the service is being killed: a refused call promised nothing
                self.refused += 1
            time.sleep(0.2)


def marked_processes():
    """(pid, run id) of every live process carrying a CRONKEEPER_RUN mark."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        for var in env:
            if var.startswith(b"CRONKEEPER_RUN="):
                run = var.split(b"=", 1)[1].split(b"@", 1)[0]
                if run.isdigit():
                    found.append((int(entry), int(run)))
    return found


def proc_alive(pid, start):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X") and int(fields[19]) == start


# How far a run's started_at may precede the previous run's finished_at without
# counting as an overlap. The claim's time is read before its transaction; on
# PostgreSQL (read committed) the forbid check inside it can then see a finish
# that committed meanwhile, stamped a little later. Two processes of a forbid
# job at once are what the flock markers catch, whatever the stamps say.
STAMP_SKEW_MS = 500


def overlaps(runs, skew=None):
    """Pairs of runs of one job whose [started_at, finished_at) intersect by more
    than STAMP_SKEW_MS; the ones within it go to `skew` if a list is given."""
    found = []
    by_job = {}
    for r in runs:
        if r["started_at"] is not None:
            by_job.setdefault(r["job_code"], []).append(r)
    for rs in by_job.values():
        rs.sort(key=lambda r: r["started_at"])
        for a, b in zip(rs, rs[1:]):
            if a["finished_at"] is None or b["started_at"] < a["finished_at"] - STAMP_SKEW_MS:
                found.append((a["id"], b["id"]))
            elif b["started_at"] < a["finished_at"] and skew is not None:
                skew.append((a["id"], b["id"], a["finished_at"] - b["started_at"]))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--in-flight", type=int, default=100)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--backend", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    args = ap.parse_args()
    binary_or_exit()
    rng = random.Random(args.seed)
    print(f"kill -9 x{args.rounds}, ~{args.in_flight} runs in flight, seed {args.seed}, {args.backend}")
    database = None
    if args.backend != "sqlite":
        try:
            database = PrivateDatabase(args.backend)
        except (OSError, subprocess.SubprocessError) as e:
            if IN_CI:
                raise
            print(f"SKIPPED kill9 on {args.backend}: cannot create a database ({e})")
            return
    try:
        run(args, rng, database)
    except BaseException:
        if database:
            print(f"kept for a post-mortem: database {database.url}")
        raise
    if database:
        database.drop()


class PrivateDatabase:
    """A database of this run's own on the shared PostgreSQL or MariaDB server."""

    def __init__(self, backend):
        self.backend = backend
        self.name = f"ck_rel_kill9_{os.getpid()}_{int(time.time())}"
        if backend == "postgres":
            self.server = os.environ.get("CRONKEEPER_TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
        else:
            self.server = os.environ.get("CRONKEEPER_TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306/"
        self.sql(f"CREATE DATABASE {self.name}")
        parts = urllib.parse.urlsplit(self.server)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def sql(self, sql):
        if self.backend == "postgres":
            subprocess.run(["psql", self.server, "-X", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, timeout=60)
        else:
            mysql_query(self.server, sql)

    def drop(self):
        self.sql(f"DROP DATABASE IF EXISTS {self.name}" + (" WITH (FORCE)" if self.backend == "postgres" else ""))


def run(args, rng, database):
    svc = Service(database_url=database.url if database else None)
    mark_dir = os.path.join(svc.dir, "marks")
    os.makedirs(mark_dir)
    with open(svc.config, "a") as f:
        f.write(config(mark_dir, args.in_flight))
    svc.start()
    fig = Figures(f"kill -9 ({args.rounds} rounds, {args.backend})")
    ref = [svc]
    feeder = Feeder(ref, args.in_flight, rng)
    feeder.start()
    in_flight_at_kill = []
    try:
        for round_no in range(1, args.rounds + 1):
            # Let the lanes fill up (up to 10 s), then kill at a random moment.
            ramp_until = time.time() + 10
            while time.time() < ramp_until and len(svc.runs("status = 'RUNNING'")) < args.in_flight * 0.8:
                time.sleep(0.2)
            time.sleep(rng.uniform(0.0, 2.0))
            running = svc.query("SELECT id, pid, pid_start FROM runs WHERE status = 'RUNNING'")
            svc.kill9()
            killed_at_ms = int(time.time() * 1000)
            in_flight_at_kill.append(len(running))
            svc.start()  # healthy means start-up recovery has run
            left = svc.runs("status = 'RUNNING' AND started_at < ?", (killed_at_ms,))
            check(not left, f"round {round_no}: runs of the killed process still RUNNING after recovery: {[r['id'] for r in left]}")
            orphans = [r for r in running if r["pid"] and proc_alive(r["pid"], r["pid_start"])]
            check(not orphans, f"round {round_no}: job processes of the killed service still alive: {orphans}")
            # A run's pid is recorded only once it has lived 100 ms, so look for
            # the killed runs' processes by their CRONKEEPER_RUN mark as well.
            killed_ids = {r["id"] for r in running}
            marked = [(pid, run) for pid, run in marked_processes() if run in killed_ids]
            check(not marked, f"round {round_no}: processes still marked with a killed run: {marked}")
            print(f"    round {round_no:2}: killed with {len(running):3} RUNNING; after restart none left RUNNING, no orphan alive")
    finally:
        feeder.stop.set()
        feeder.join()

    # Let everything finish: retries wait 1 s, the longest job 3 s.
    deadline = time.time() + 120
    svc.gql('mutation { pauseJobs(codes: ["forbid_0","forbid_1","forbid_2","forbid_3","forbid_4"]) { code } }', role="operator")
    while time.time() < deadline:
        if not svc.runs("status IN ('QUEUED','PENDING','RUNNING')"):
            break
        time.sleep(0.5)
    svc.stop()

    runs = svc.runs()
    by_id = {r["id"]: r for r in runs}
    unfinished = [r["id"] for r in runs if r["status"] not in TERMINAL]
    check(not unfinished, f"runs not finished after the last restart: {unfinished}")
    lost = [i for i in feeder.requested if i not in by_id]
    interrupted = [r for r in runs if r["status"] == "INTERRUPTED"]
    retries = [r for r in runs if r["trigger_kind"] == "retry"]
    retried_ids = {(r["retry_of"], r["attempt"]) for r in retries}
    # An interrupted attempt n of a job with max_retries m has attempt n+1 (n <= m).
    max_retries = lambda code: 2 if code.startswith("allow_") else 1
    missing_retry = [
        r["id"] for r in interrupted
        if r["attempt"] <= max_retries(r["job_code"]) and ((r["retry_of"] or r["id"]), r["attempt"] + 1) not in retried_ids
    ]
    forbid_runs = [r for r in runs if r["job_code"].startswith("forbid_")]
    skewed = []
    db_overlaps = overlaps(forbid_runs, skewed)
    dup_file = os.path.join(mark_dir, "duplicates")
    flock_dups = open(dup_file).read().splitlines() if os.path.exists(dup_file) else []

    fig["runs requested over the API (manual)"] = len(feeder.requested)
    fig["API calls refused while the service was down"] = feeder.refused
    fig["RUNNING at the moment of each kill (min/avg/max)"] = (
        f"{min(in_flight_at_kill)}/{sum(in_flight_at_kill) / len(in_flight_at_kill):.0f}/{max(in_flight_at_kill)}"
    )
    fig["runs started"] = sum(1 for r in runs if r["started_at"] is not None)
    fig["runs finished (terminal)"] = sum(1 for r in runs if r["status"] in TERMINAL)
    for status in TERMINAL:
        fig[f"  {status}"] = sum(1 for r in runs if r["status"] == status)
    fig["interrupted"] = len(interrupted)
    fig["retried (retry runs created)"] = len(retries)
    fig["scheduled forbid fire times (rows, incl. folded MISSED/SKIPPED counts)"] = sum(
        max(r["missed_count"], 1) for r in forbid_runs if r["trigger_kind"] in ("schedule", "catch_up")
    )
    fig["lost (requested, no row)"] = len(lost)
    fig["interrupted without their retry"] = len(missing_retry)
    fig["duplicates: forbid overlaps in start/finish times"] = len(db_overlaps)
    fig[f"forbid start stamped before the previous finish by at most {STAMP_SKEW_MS} ms (stamp order, not an overlap; max ms)"] = (
        f"{len(skewed)} ({max((d for *_, d in skewed), default=0)})")
    # A kill between spawn and pid record used to leave a job running that
    # recovery could not find, and a forbid job's next run overlapped it. Since
    # recovery also ends processes by their CRONKEEPER_RUN mark, any collision
    # fails; runs killed before their pid was recorded are only counted.
    unrecorded = [r for r in interrupted if r["pid"] is None and r["started_at"] is not None]
    fig["interrupted before their pid was recorded (ended by their run mark)"] = len(unrecorded)
    fig["duplicates: forbid flock collisions (job side)"] = len(flock_dups)
    fig.show()
    check(not lost, f"requested runs lost: {lost[:20]}")
    check(not missing_retry, f"interrupted runs without a retry: {missing_retry[:20]}")
    check(not db_overlaps, f"forbid runs overlapping in the database: {db_overlaps[:20]}")
    check(not flock_dups, f"forbid jobs ran twice at once: {flock_dups[:20]}")
    check(len(interrupted) > 0, "no run was interrupted: the kills did not hit runs in flight")
    check(max(in_flight_at_kill) >= args.in_flight // 2, "fewer runs in flight than intended")


if __name__ == "__main__":
    run_main(main)
