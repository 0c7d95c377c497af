"""The multi-node units together: cronkeeper-api.service's `serve --no-workers`
and cronkeeper-worker.service's `worker`, as written, on one PostgreSQL
or MariaDB database and the machine's RabbitMQ (the set-up of docs/setup/multi-node.md)."""

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from artefacts import exec_args, seconds, unit_env, unit_file, unit_values
from harness import SYSTEMD, Skip, check, clean_env, drop_database, fresh_database, note, query, run, running, sigterm

AMQP_URL = os.environ.get("CRONKEEPER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")


def broker_reachable():
    u = urlparse(AMQP_URL)
    try:
        socket.create_connection((u.hostname, u.port or 5672), timeout=2).close()
        return True
    except OSError:
        return False


def queues(prefix):
    """Our queues on the machine's broker (rabbitmqctl, as root), or None."""
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return None
    names = run([ctl, "list_queues", "-q", "--no-table-headers", "name"]).stdout.split()
    return [n for n in names if n.startswith(prefix + ".")]


def delete_queues(prefix):
    """Our queues on the machine's shared broker go when the check ends."""
    for name in queues(prefix) or []:
        run(["rabbitmqctl", "delete_queue", name])


# The pid inside an instance id (`node:pid:start_ticks:boot`), per dialect.
PID_OF_WORKER = {"postgres": "split_part(worker, ':', 2)", "mysql": "SUBSTRING_INDEX(SUBSTRING_INDEX(worker, ':', 2), ':', -1)"}


def started(proc, marker, what):
    line = proc.stdout.readline()
    if marker not in line:
        proc.wait(timeout=10)
        raise AssertionError(f"{what} did not start: {line!r} {proc.stderr.read()[-1500:]}")


def succeeded_by(kind, url, name, pid):
    """SUCCEEDED runs of the smoke job, by the process with this pid and by others."""
    rows = query(kind, url, name, f"SELECT {PID_OF_WORKER[kind]}, count(*) FROM runs WHERE job_code = 'deploy_smoke' AND status = 'SUCCEEDED' GROUP BY 1")
    counts = {pid_: int(n) for pid_, n in rows}
    mine = counts.pop(str(pid), 0)
    return mine, sum(counts.values())


def api_and_worker_together(kind):
    if not broker_reachable():
        raise Skip(f"RabbitMQ is not reachable at {urlparse(AMQP_URL).hostname} (CRONKEEPER_TEST_AMQP_URL)")
    api_unit, worker_unit = unit_file(SYSTEMD / "cronkeeper-api.service"), unit_file(SYSTEMD / "cronkeeper-worker.service")
    url, database = fresh_database(kind)
    prefix = f"ckdeploy{os.getpid()}{kind}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "cronkeeper.toml"
            shutil.copy(SYSTEMD / "cronkeeper.toml.example", config)
            with config.open("a") as f:
                f.write('\n[[jobs]]\ncode = "deploy_smoke"\nschedule = "@every 1s"\nlane = "default"\ncommand = ["true"]\n')
            shared = {"CRONKEEPER_DATABASE_URL": url, "CRONKEEPER_AMQP_URL": AMQP_URL, "CRONKEEPER_AMQP_PREFIX": prefix}
            api_args, worker_args = exec_args(api_unit), exec_args(worker_unit)
            for args in (api_args, worker_args):
                args[args.index("--config") + 1] = str(config)
            # Each unit's own environment as written; what its env file would
            # hold (shared); and only where a test machine must differ: a free
            # loopback port, a state directory, a Magento root.
            api_env = clean_env(unit_env(api_unit), shared, CRONKEEPER_JWT_SECRET="a-test-secret-of-at-least-thirty-two-bytes", CRONKEEPER_LISTEN="127.0.0.1:0", CRONKEEPER_DATA_DIR=str(Path(tmp) / "api"))
            worker_env = clean_env(unit_env(worker_unit), shared, CRONKEEPER_MAGENTO_ROOT=tmp)
            # The API node first, as docs/setup/upgrading-and-backups.md orders
            # it: on MariaDB, sqlx's migration lock does not take (GET_LOCK
            # refuses its timeout of -1), so two processes migrating a fresh
            # database at once would race.
            with running(api_args, api_env) as api:
                started(api, "listening", "the API node")
                with running(worker_args, worker_env) as worker:
                    started(worker, "worker", "the worker")
                    deadline = time.monotonic() + 30
                    while (done := succeeded_by(kind, url, database, worker.pid))[0] < 3:
                        assert api.poll() is None and worker.poll() is None, "a process exited"
                        assert time.monotonic() < deadline, f"the worker finished {done[0]} runs in 30 s"
                        time.sleep(0.5)
                    # The runs went through the broker, not the database's queue.
                    on_broker = queues(prefix)
                    if on_broker is None:
                        note("rabbitmqctl is not available: the lane queues on the broker were not listed")
                    else:
                        assert f"{prefix}.lane.default" in on_broker, f"no queue {prefix}.lane.default on the broker: {on_broker}"
                    worker_took = sigterm(worker, seconds(unit_values(worker_unit, "Service", "TimeoutStopSec")[0]))
                    api_took = sigterm(api, seconds(unit_values(api_unit, "Service", "TimeoutStopSec")[0]))
            mine, others = succeeded_by(kind, url, database, worker.pid)
            assert others == 0, f"{others} runs were run by a process other than the worker (the API node has no workers)"
            note(f"the worker ran {mine} runs through {prefix}.lane.default; SIGTERM stopped it in {worker_took:.1f} s and the API node in {api_took:.1f} s")
    finally:
        drop_database(kind, database)
        delete_queues(prefix)


for kind, server in (("postgres", "PostgreSQL"), ("mysql", "MariaDB")):
    @check(f"cronkeeper-api.service and cronkeeper-worker.service together on {server} and RabbitMQ: the worker runs the jobs")
    def _(kind=kind):
        api_and_worker_together(kind)
