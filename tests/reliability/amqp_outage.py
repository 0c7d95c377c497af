"""RabbitMQ stopped for 30 s under load, with AMQP dispatch.

A private RabbitMQ node (its own node name, AMQP and distribution ports,
mnesia and log directories, an empty plugin list and a config file of its
own, started from the Debian package's rabbitmq-server script in a temp
dir; the machine's broker on 5672 is never touched) carries cronkeeper's lane
queues. Load: 20 `@every 1s` jobs (`sleep 0.2`) and a 20 s manual run that is
RUNNING when the broker goes. Each job execution appends a line to a marker
file of its job, so a run executed twice shows up there whatever the
database says. The node is stopped (`rabbitmqctl stop`) for --seconds and
started again on the same directories.

Asserted:
- the service stays up: /healthz answers 200 throughout;
- it reports not ready: /readyz is 503 with `broker: false` from a few
  seconds into the outage until the broker is back, and 200 again by itself;
- it alerts: a `lane_saturated` rule with `duration = "10s"` (the oldest
  QUEUED run of a lane waited more than 10 s, which is what a broker outage
  does to the lanes it dispatches) opens and notifies a webhook (a local HTTP
  server) during the outage, and resolves after it;
- it resumes: runs are published and SUCCEED after the outage;
- no run state lost, every scheduled run accounted for exactly once: every
  run from before the outage is still there, each fire second of each job
  between the first and the last has exactly one row (a run, or counted in a
  folded MISSED/SKIPPED row), no run is left QUEUED or RUNNING once the jobs
  are paused and drained, and each job executed exactly as many times as it
  has started runs (the marker files), the 20 s run once.

Usage: amqp_outage.py [--seconds N]
"""

import argparse
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from common import IN_CI, Figures, Service, binary_or_exit, check, free_port, probe, run_main, seconds_until_ready, toml_table

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "KILLED", "INTERRUPTED", "MISSED", "SKIPPED")
JOBS = 20
MARK = 'echo "$$" >> "$MARK_DIR/$JOB"; exec sleep "$SLEEP"'


class WebhookRecorder(http.server.ThreadingHTTPServer):
    """The alert channel's far end: records (time, body) of every POST."""

    def __init__(self):
        got = self.got = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                got.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def events(self, since=0.0, until=float("inf")):
        return [(at, b["event"], b["alert"]["subject"]) for at, b in self.got if since <= at < until]


class PrivateRabbit:
    """One RabbitMQ node of our own on free ports, in a temp dir."""

    def __init__(self):
        server = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # Debian's wrapper in /usr/sbin switches user
        if not os.path.exists(server):
            server = shutil.which("rabbitmq-server")
        if not server:
            raise FileNotFoundError("no rabbitmq-server")
        self.server = server
        self.ctl = os.path.join(os.path.dirname(server), "rabbitmqctl")
        self.dir = tempfile.mkdtemp(prefix="ck-rabbit-")
        self.port = free_port()
        dist = free_port()
        self.node = f"ckrel{self.port}@localhost"
        for name, text in (("rabbitmq.conf", f"listeners.tcp.local = 127.0.0.1:{self.port}\n"),
                           ("rabbitmq-env.conf", ""), ("enabled_plugins", "[].\n")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.env = dict(
            os.environ,
            HOME=self.dir,  # its own Erlang cookie
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(dist),
            RABBITMQ_MNESIA_BASE=f"{self.dir}/mnesia",
            RABBITMQ_LOG_BASE=f"{self.dir}/log",
            RABBITMQ_CONFIG_FILE=f"{self.dir}/rabbitmq.conf",
            RABBITMQ_CONF_ENV_FILE=f"{self.dir}/rabbitmq-env.conf",
            RABBITMQ_ENABLED_PLUGINS_FILE=f"{self.dir}/enabled_plugins",
            RABBITMQ_PID_FILE=f"{self.dir}/rabbit.pid",
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        self.proc = None
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2f"

    def start(self, within=120):
        self.proc = subprocess.Popen([self.server], env=self.env, cwd=self.dir, stdout=open(f"{self.dir}/out.log", "a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + within
        while time.time() < deadline:
            check(self.proc.poll() is None, f"the private RabbitMQ exited:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the private RabbitMQ did not listen on {self.port} within {within} s:\n{self.log_tail()}")

    def stop(self):
        subprocess.run([self.ctl, "-n", self.node, "stop"], env=self.env, check=True, capture_output=True, timeout=60)
        self.proc.wait(timeout=60)
        self.proc = None

    def log_tail(self):
        try:
            with open(f"{self.dir}/out.log", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.stop()
            except Exception:  # noqa: BLE001 - end it the hard way
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def config(rabbit, hook_port, mark_dir):
    jobs = [
        {"code": f"tick_{i:02}", "schedule": "@every 1s", "lane": "default", "command": ["sh", "-c", MARK],
         "env": {"MARK_DIR": mark_dir, "JOB": f"tick_{i:02}", "SLEEP": "0.2"}}
        for i in range(JOBS)
    ]
    jobs.append({"code": "long", "schedule": "0 0 1 1 *", "paused": True, "command": ["sh", "-c", MARK],
                 "env": {"MARK_DIR": mark_dir, "JOB": "long", "SLEEP": "20"}})
    return (
        f'amqp_url = "{rabbit.url}"\namqp_prefix = "ck-rel-{rabbit.port}"\n'
        "[lanes.default]\nslots = 8\n"
        '[alerts]\nevaluate_every = "1s"\nretry_initial = "1s"\nretry_max = "2s"\n'
        + toml_table("alerts.channels", {"name": "pager", "kind": "webhook", "url": f"http://127.0.0.1:{hook_port}/hook",
                                         "secret": "reliability-webhook-secret"})
        + toml_table("alerts.rules", {"name": "lanes stalled", "when": "lane_saturated", "duration": "10s", "channels": ["pager"]})
        + "".join(toml_table("jobs", j) for j in jobs)
    )


def watch(svc, seconds):
    """/healthz, and /readyz with its body, once a second: ([health], [(status, broker)])."""
    health, ready = [], []
    t0 = time.time()
    while time.time() - t0 < seconds:
        health.append(probe(svc, "/healthz"))
        try:
            status, body = svc.get("/readyz", timeout=5)
            ready.append((status, body.get("broker") if isinstance(body, dict) else None))
        except Exception as e:  # noqa: BLE001 - a refused probe is an answer too
            ready.append((type(e).__name__, None))
        time.sleep(1)
    return health, ready


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    binary_or_exit()
    try:
        rabbit = PrivateRabbit()
        rabbit.start()
    except (FileNotFoundError, RuntimeError, AssertionError) as e:
        if IN_CI:
            raise
        print(f"SKIPPED amqp_outage: cannot start a private RabbitMQ ({e})")
        return
    hook = WebhookRecorder()
    svc = Service()
    mark_dir = os.path.join(svc.dir, "marks")
    os.makedirs(mark_dir)
    with open(svc.config, "a") as f:
        f.write(config(rabbit, hook.server_port, mark_dir))
    fig = Figures(f"RabbitMQ stopped for {args.seconds}s under load (AMQP dispatch)")
    try:
        svc.start()
        check(seconds_until_ready(svc, 60) is not None, f"not ready with the broker up:\n{svc.log_tail()}")
        time.sleep(5)
        long_id = int(svc.gql('mutation { runJobNow(code: "long") { id } }', role="operator")["runJobNow"]["id"])
        time.sleep(3)
        check(probe(svc, "/readyz") == 200, "not ready before the outage")
        before = {r["id"]: r["status"] for r in svc.runs()}
        ok_before = sum(1 for s in before.values() if s == "SUCCEEDED")

        rabbit.stop()
        t0 = time.time()
        health, ready = watch(svc, args.seconds)
        rabbit.start()
        t1 = time.time()
        ready_again = seconds_until_ready(svc, 90)
        check(ready_again is not None, f"not ready again 90 s after the broker came back:\n{svc.log_tail()}")
        time.sleep(25)  # the long run ends, the backlog is worked off, scheduling goes on
        alive = svc.proc.poll() is None
        svc.gql("mutation($c: [String!]!) { pauseJobs(codes: $c) { code } }", {"c": [f"tick_{i:02}" for i in range(JOBS)]}, role="operator")
        paused_at = time.time()
        deadline = time.time() + 90
        while time.time() < deadline and svc.runs("status IN ('PENDING','QUEUED','RUNNING')"):
            time.sleep(0.5)
        time.sleep(3)  # alert resolution: evaluated every second
        runs = svc.runs()
        svc.stop()

        by_id = {r["id"]: r for r in runs}
        lost = [i for i in before if i not in by_id]
        unfinished = [r["id"] for r in runs if r["status"] not in TERMINAL]
        new_ok = [r for r in runs if r["status"] == "SUCCEEDED" and r["started_at"] and r["started_at"] > t1 * 1000]
        # Exactly once per fire time: each second between a job's first and last
        # fire key has one row, or is folded into a MISSED/SKIPPED row's count.
        gaps, doubles, executions_off = {}, {}, {}
        for i in range(JOBS):
            code = f"tick_{i:02}"
            rows = [r for r in runs if r["job_code"] == code and r["fire_key"] is not None]
            keys = sorted(r["fire_key"] for r in rows)
            counted = sum(max(r["missed_count"], 1) for r in rows)
            span = (keys[-1] - keys[0]) // 1000 + 1
            if counted < span:
                gaps[code] = span - counted
            if len(set(keys)) != len(keys) or counted > span:
                doubles[code] = counted - span
            started = sum(1 for r in runs if r["job_code"] == code and r["started_at"] is not None)
            with open(os.path.join(mark_dir, code)) as f:
                executed = len(f.read().splitlines())
            if executed != started:
                executions_off[code] = (executed, started)
        with open(os.path.join(mark_dir, "long")) as f:
            long_executions = len(f.read().splitlines())
        statuses = {}
        for r in runs:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        outage_events = hook.events(t0, t1)
        after_events = hook.events(t1)
        opened = [e for e in outage_events if e[1] == "opened"]
        resolved = [e for e in after_events if e[1] == "resolved"]
        not_ready = [r for r in ready if r[0] != 200]

        fig["service process alive throughout"] = alive
        fig["/healthz during the outage (200 of total)"] = f"{health.count(200)} of {len(health)}"
        fig["/readyz during the outage: 503 with broker false, of total"] = (
            f"{sum(1 for s, b in ready if s == 503 and b is False)} of {len(ready)} (first not-ready probe: "
            f"{next((k for k, r in enumerate(ready) if r[0] != 200), None)} s in)")
        fig["seconds until /readyz was 200 again after the start"] = round(ready_again, 1)
        fig["alert notifications during the outage"] = outage_events
        fig["seconds from the stop to the first 'opened' notification"] = round(opened[0][0] - t0, 1) if opened else None
        fig["'resolved' notifications after it (seconds after the start)"] = [(round(at - t1, 1), s) for at, _, s in resolved]
        fig["runs before the outage / gone afterwards"] = f"{len(before)} / {len(lost)}"
        fig["runs SUCCEEDED before the outage / started after it and SUCCEEDED"] = f"{ok_before} / {len(new_ok)}"
        fig["runs by status at the end"] = statuses
        fig["the 20 s run (RUNNING when the broker stopped)"] = f"{by_id[long_id]['status']}, executed {long_executions} time(s)"
        fig["fire seconds without a row / with more than one"] = f"{sum(gaps.values())} / {sum(doubles.values())}"
        fig["jobs whose executions differ from their started runs"] = executions_off or 0
        fig["runs left QUEUED or RUNNING after the drain"] = len(unfinished)
        fig["seconds from pausing to drained"] = round(time.time() - paused_at, 1)
        fig.show()

        check(alive, "the service died during the outage")
        check(health.count(200) == len(health), f"/healthz failed during the outage: {health}")
        # The broker connection is watched every 0.5 s; allow 5 s to notice the stop.
        late = [r for k, r in enumerate(ready) if k >= 5 and not (r[0] == 503 and r[1] is False)]
        check(not late, f"/readyz was not 503 with broker false during the outage: {ready}")
        check(opened, f"no alert was opened (notified) during the outage: {hook.events()}")
        check(resolved, f"the alert did not resolve after the outage: {hook.events()}")
        check(not lost, f"runs lost: {lost}")
        check(not unfinished, f"runs not finished after the drain: {unfinished}")
        check(by_id[long_id]["status"] == "SUCCEEDED" and long_executions == 1,
              f"the long run: {by_id[long_id]['status']}, executed {long_executions} times")
        check(not gaps, f"fire seconds with no run: {gaps}")
        check(not doubles, f"fire seconds with more than one run: {doubles}")
        check(not executions_off, f"executions differ from started runs (job: executed, started): {executions_off}")
        check(len(new_ok) >= 5 * JOBS, f"scheduling did not resume: {len(new_ok)} runs succeeded after the outage")
        check(not_ready, "never not ready")
    finally:
        svc.stop()
        rabbit.cleanup()
        hook.shutdown()


if __name__ == "__main__":
    run_main(main)
