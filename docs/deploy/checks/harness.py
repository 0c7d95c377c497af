"""The harness of the deployment checks: paths, the `check` decorator that
counts and prints outcomes, and helpers to run tools and the cronkeeper binary.

Each check prints `ok - <name>`, `FAIL - <name>: <why>` or `SKIPPED <name>: <why>`.
With CI set, a missing tool or binary is a failure, never a skip.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent.parent
K8S = HERE / "kubernetes"
SYSTEMD = HERE / "systemd"
SETUP = REPO / "docs" / "setup"
IN_CI = bool(os.environ.get("CI"))
TOOLS = Path(os.environ.get("CRONKEEPER_DEPLOY_VENV", Path.home() / ".cache/cronkeeper/deploy-venv")) / "bin"
BIN = Path(os.environ.get("CRONKEEPER_BIN", REPO / "target/debug/cronkeeper"))
UNIT_BIN = "/usr/local/bin/cronkeeper"
# Kubernetes versions the manifests must be valid for: an old one still in
# wide use and the newest the validator knows.
K8S_VERSIONS = ["1.27.0", "1.37.0"]
# Variables of the test harness itself, not of cronkeeper.
HARNESS_ENV = {"CRONKEEPER_BIN", "CRONKEEPER_DEPLOY_VENV", "CRONKEEPER_TEST_POSTGRES_URL", "CRONKEEPER_TEST_MYSQL_URL", "CRONKEEPER_TEST_AMQP_URL"}
# What cronkeeper needs after drain_timeout + kill_grace: up to 5 s for a
# group's members to go, then the rest of the shutdown.
STOP_MARGIN_S = 15

results = {"passed": 0, "failed": 0, "skipped": 0}


class Skip(Exception):
    pass


def check(name):
    def wrap(fn):
        try:
            fn()
        except Skip as s:
            if IN_CI:
                results["failed"] += 1
                print(f"FAIL - {name}: {s} (nothing may be skipped in CI)")
            else:
                results["skipped"] += 1
                print(f"SKIPPED {name}: {s}")
        except AssertionError as e:
            results["failed"] += 1
            print(f"FAIL - {name}: {e}")
        except Exception as e:  # a broken check fails alone, the others still run
            results["failed"] += 1
            print(f"FAIL - {name}: {type(e).__name__}: {e}")
        else:
            results["passed"] += 1
            print(f"ok - {name}")
        return fn
    return wrap


def note(message):
    print(f"  note: {message}")


def tool(name):
    path = TOOLS / name
    if not path.exists():
        raise Skip(f"{path} is missing; run docs/deploy/install-tools.sh")
    return str(path)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def binary():
    if not BIN.exists():
        raise Skip(f"no cronkeeper binary at {BIN} (set CRONKEEPER_BIN or cargo build -p cronkeeper)")
    return str(BIN)


@contextlib.contextmanager
def running(args, env):
    """`cronkeeper <args>` as a child, killed on the way out if still alive."""
    proc = subprocess.Popen([binary(), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def sigterm(proc, within_s):
    """SIGTERM, as systemd and the kubelet send it: exit 0 within the budget."""
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=within_s)
    assert code == 0, f"exit {code}: {proc.stderr.read()[-2000:]}"
    return time.monotonic() - began


def clean_env(*layers, **extra):
    """This process's environment without any CRONKEEPER_* variable, then each
    layer (a unit's Environment=, an env file's values) and `extra` on top,
    later ones winning: what a test machine must change overrides the unit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRONKEEPER_")}
    for layer in (*layers, extra):
        env.update(layer)
    return env


def cli(args, env):
    r = run([binary(), *args], env=env)
    assert r.returncode == 0, f"cronkeeper {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}"
    return r


def sqlite_cli():
    path = shutil.which("sqlite3")
    if not path:
        raise Skip("the sqlite3 command-line tool is not installed (docs/deploy/install-tools.sh installs it)")
    return path


def server_url(var, default):
    return os.environ.get(var, default)


def fresh_database(kind):
    """A new empty database on the machine's PostgreSQL or MariaDB, as in the
    store suite: (its URL for cronkeeper, its name)."""
    name = f"cronkeeper_deploy_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    if kind == "postgres":
        admin = server_url("CRONKEEPER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        psql = shutil.which("psql")
        if not psql or run([psql, admin, "-c", "SELECT 1"]).returncode != 0:
            raise Skip(f"PostgreSQL is not reachable at {admin} with psql")
        assert run([psql, admin, "-c", f"CREATE DATABASE {name}"]).returncode == 0
        return admin.rsplit("/", 1)[0] + "/" + name, name
    url = server_url("CRONKEEPER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/")
    mysql = shutil.which("mysql")
    if not mysql or run([mysql, "-h127.0.0.1", "-uroot", "-e", "SELECT 1"]).returncode != 0:
        raise Skip("MariaDB is not reachable at 127.0.0.1:3306 as root with the mysql client")
    assert run([mysql, "-h127.0.0.1", "-uroot", "-e", f"CREATE DATABASE {name}"]).returncode == 0
    return url.rstrip("/") + "/" + name, name


def drop_database(kind, name):
    if kind == "postgres":
        admin = server_url("CRONKEEPER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        run(["psql", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    else:
        run(["mysql", "-h127.0.0.1", "-uroot", "-e", f"DROP DATABASE IF EXISTS {name}"])


def query(kind, url, name, sql):
    """Rows of `sql` on a database made by fresh_database, as lists of strings."""
    argv = ["psql", url, "-tA", "-F", "\t", "-c", sql] if kind == "postgres" else ["mysql", "-h127.0.0.1", "-uroot", "-N", "-B", "-D", name, "-e", sql]
    r = run(argv)
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines() if line]
