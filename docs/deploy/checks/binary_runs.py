"""The artefacts' command lines and variables, run against the real binary."""

import json
import os
import re
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from artefacts import config_map_toml, container_args, exec_args, of_kind, seconds, single_server, slots, unit_env, unit_file, unit_values, units
from harness import HARNESS_ENV, HERE, REPO, SETUP, SYSTEMD, binary, check, clean_env, note, run, running, sigterm, sqlite_cli


@check("every CRONKEEPER_* variable the artefacts and setup pages name exists in the service")
def _():
    source = "\n".join(p.read_text() for p in (REPO / "service/src").rglob("*.rs"))
    real = set(re.findall(r'"(CRONKEEPER_[A-Z0-9_]+)"', source))
    files = [p for p in HERE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")] + sorted(SETUP.glob("*.md"))
    named, build_args = {}, set()
    for p in files:
        text = p.read_text()
        build_args |= set(re.findall(r"(?:^ARG |--build-arg )(CRONKEEPER_[A-Z0-9_]+)", text, re.M))
        for name in re.findall(r"\bCRONKEEPER_[A-Z0-9_]*[A-Z0-9]\b", text):
            named.setdefault(name, p.relative_to(REPO))
    for name in build_args | HARNESS_ENV:
        named.pop(name, None)
    lane_var = re.compile(r"CRONKEEPER_LANES_[A-Z0-9_]+_(SLOTS|DEFAULT_TIMEOUT)$")
    unknown = {n: str(p) for n, p in named.items() if n not in real and not lane_var.match(n)}
    assert not unknown, f"not in service/src: {unknown}"


@check("every ExecStart and container command line parses with the real binary")
def _():
    lines = [(p.name, exec_args(unit_file(p))) for p in units()]
    lines += [(d["metadata"]["name"], container_args(d)[1]) for d in of_kind("Deployment")]
    for path in (HERE / "Dockerfile.magento-worker", HERE / "Dockerfile"):
        cmd = re.search(r"^CMD (\[.*\])$", path.read_text(), re.M)
        lines.append((path.name, json.loads(cmd.group(1))))
    for where, args in lines:
        # clap rejects an unknown subcommand, flag or value shape before it acts
        # on the trailing --help, which then exits 0 without starting anything.
        r = run([binary(), *args, "--help"])
        assert r.returncode == 0, f"{where}: `cronkeeper {' '.join(args)}`: {r.stderr.strip()}"


def start(args, env, stop_within_s):
    """Starts `cronkeeper <args>` on a free loopback port, checks both probes,
    then SIGTERM: it must exit 0 within the stop budget its unit or pod gives."""
    with running(args, env) as proc:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        assert m, f"no listening line: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        base = m.group(1)
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            assert json.load(r)["status"] == "ok"
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                    assert json.load(r)["ready"] is True
                break
            except urllib.error.HTTPError as e:
                assert time.monotonic() < deadline, f"/readyz still {e.code} after 15 s"
                time.sleep(0.5)
        took = sigterm(proc, stop_within_s)
        note(f"`cronkeeper {' '.join(args)}`: ready, stopped on SIGTERM in {took:.1f} s (budget {stop_within_s:.0f} s)")


@check("cronkeeper.service's command line and example configuration start, answer the probes and stop on SIGTERM")
def _():
    with tempfile.TemporaryDirectory() as tmp:
        unit, args, env, _ = single_server(Path(tmp))
        start(args, env, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))


@check("the API pod's command line and ConfigMap start, answer the probes and stop within the grace period")
def _():
    [api] = [d for d in of_kind("Deployment") if d["metadata"]["name"] == "cronkeeper-api"]
    _, args = container_args(api)
    args = list(args)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cronkeeper.toml"
        config.write_text(config_map_toml())
        args[args.index("--config") + 1] = str(config)
        env = clean_env(
            CRONKEEPER_JWT_SECRET="a-test-secret-of-at-least-thirty-two-bytes",
            CRONKEEPER_DATABASE_URL=f"sqlite://{tmp}/cronkeeper.db",
            CRONKEEPER_DATA_DIR=str(Path(tmp) / "state"),
            CRONKEEPER_LISTEN="127.0.0.1:0",
        )
        start(args, env, api["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])


@check("cronkeeper-worker.service's command line starts a worker that stops on SIGTERM within TimeoutStopSec")
def _():
    unit = unit_file(SYSTEMD / "cronkeeper-worker.service")
    args = exec_args(unit)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cronkeeper.toml"
        shutil.copy(SYSTEMD / "cronkeeper.toml.example", config)
        args[args.index("--config") + 1] = str(config)
        # The unit's environment as written, plus the database its env file
        # would name: one of the machine's own, SQLite here (a worker needs no
        # server database to start).
        env = clean_env(unit_env(unit), CRONKEEPER_DATABASE_URL=f"sqlite://{tmp}/cronkeeper.db", CRONKEEPER_MAGENTO_ROOT=tmp)
        with running(args, env) as proc:
            line = proc.stdout.readline()
            reported = re.search(r"lanes (\S+?),? ", line)
            lanes = ",".join(f"{k}={v}" for k, v in slots(args).items())
            assert reported and set(reported.group(1).split(",")) == set(lanes.split(",")), f"expected the worker to report lanes {lanes}: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
            time.sleep(2)
            assert proc.poll() is None, f"the worker exited: {proc.stderr.read()[-2000:]}"
            took = sigterm(proc, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))
            note(f"worker up with lanes {lanes}, stopped on SIGTERM in {took:.1f} s")


def first_run_when_signalled(signal_jobs_too):
    """Single server with one job that takes 3 s. Once it runs, SIGTERM goes
    to cronkeeper alone (KillMode=mixed, the kubelet) or, with
    `signal_jobs_too`, also to the job's process group at the same moment (what
    KillMode=control-group does to every process of the unit). Returns the
    run's (status, output) as cronkeeper recorded it."""
    sqlite3 = sqlite_cli()
    with tempfile.TemporaryDirectory() as tmp:
        unit, args, env, config = single_server(Path(tmp))
        with config.open("a") as f:
            f.write('\n[[jobs]]\ncode = "slow_export"\nschedule = "@every 2s"\ncommand = ["sh", "-c", "sleep 3; echo finished"]\n')
        db = Path(tmp) / "state" / "cronkeeper.db"
        with running(args, env) as proc:
            assert "listening" in proc.stdout.readline(), "serve did not start"
            deadline = time.monotonic() + 20
            while True:
                r = run([sqlite3, str(db), "SELECT pid FROM runs WHERE status = 'RUNNING' AND pid IS NOT NULL LIMIT 1"])
                if r.stdout.strip():
                    break
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.2)
            if signal_jobs_too:
                os.killpg(int(r.stdout.strip()), signal.SIGTERM)
            sigterm(proc, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))
        r = run([sqlite3, "-separator", "|", str(db), "SELECT status, coalesce(output, '') FROM runs WHERE status NOT IN ('QUEUED', 'PENDING', 'MISSED', 'SKIPPED') ORDER BY id LIMIT 1"])
        status, _, output = r.stdout.strip().partition("|")
        return status, output.strip()


@check("KillMode=mixed: SIGTERM to cronkeeper alone lets a running job finish; to the whole unit it kills it")
def _():
    status, output = first_run_when_signalled(signal_jobs_too=False)
    assert (status, output) == ("SUCCEEDED", "finished"), f"with the signal to cronkeeper only, the run ended {status} {output!r}"
    status, output = first_run_when_signalled(signal_jobs_too=True)
    assert status != "SUCCEEDED" and "finished" not in output, f"with the signal to the job too, the run still ended {status} {output!r}"
    note(f"SIGTERM to cronkeeper only: the job finished in the drain (SUCCEEDED); to the job's group as well: {status}")
