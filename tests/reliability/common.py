"""Shared by the reliability scripts: start the real `cronkeeper` binary on a
free port with a fresh data directory, talk GraphQL to it, read its SQLite
database directly (an independent view of the run table), and report figures.

The binary comes from CRONKEEPER_BIN (scripts/test-all passes the one it
built); nothing here links against the service's code.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import urllib.parse
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jwt  # PyJWT: an independent implementation for minting tokens

SECRET = "reliability-secret-reliability-secret-0123456789"
BIN = os.environ.get("CRONKEEPER_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "target", "debug", "cronkeeper"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(role="admin", sub="reliability", ttl=300, secret=SECRET, **overrides):
    now = int(time.time())
    claims = {"sub": sub, "role": role, "aud": "cronkeeper", "iat": now, "exp": now + ttl}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


_made_dirs = []
_passed = []


def run_main(main):
    """Runs a script's main; removes its temporary directories if it passed,
    and keeps them (logs, databases, markers) for a post-mortem if it failed."""
    try:
        main()
    except BaseException:
        print(f"kept for a post-mortem: {' '.join(_made_dirs)}", file=sys.stderr)
        raise
    _passed.append(True)


@atexit.register
def _remove_dirs():
    if _passed:
        for d in _made_dirs:
            shutil.rmtree(d, ignore_errors=True)


class Service:
    """One `cronkeeper serve` process on a temporary directory."""

    def __init__(self, extra_config="", database_url=None, env=None, base_dir=None, timers=None):
        self.dir = base_dir or tempfile.mkdtemp(prefix="ck-rel-")
        _made_dirs.append(self.dir)
        self.port = free_port()
        self.db_path = os.path.join(self.dir, "ck.db")
        self.database_url = database_url or f"sqlite://{self.db_path}"
        if self.database_url.startswith("sqlite://"):
            self.db_path = self.database_url[len("sqlite://"):]
        self.config = os.path.join(self.dir, "cronkeeper.toml")
        self.log_path = os.path.join(self.dir, "service.log")
        t = {
            "kill_grace": "1s",
            "drain_timeout": "3s",
            "heartbeat_interval": "1s",
            "heartbeat_expiry": "10s",
        }
        t.update(timers or {})
        base = f'listen = "127.0.0.1:{self.port}"\ndatabase_url = "{self.database_url}"\ndata_dir = "{self.dir}"\n'
        base += "".join(f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n" for k, v in t.items())
        with open(self.config, "w") as f:
            f.write(base + extra_config)
        self.env = dict(os.environ, RUST_LOG="info,sqlx=warn", CRONKEEPER_JWT_SECRET=SECRET)
        self.env.update(env or {})
        self.proc = None

    # -- life cycle -------------------------------------------------------
    def start(self, wait=True):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", self.config],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=self.env,
            cwd=self.dir,
        )
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, within=60):
        deadline = time.time() + within
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cronkeeper exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"cronkeeper not healthy on {self.port} within {within}s:\n{self.log_tail()}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    # -- HTTP ---------------------------------------------------------------
    def post(self, body, headers=None, timeout=30):
        """POST /graphql; returns (status, parsed json or raw text)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql", data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def gql(self, query, variables=None, role="admin"):
        status, body = self.post(
            {"query": query, "variables": variables or {}},
            {"Authorization": f"Bearer {token(role)}"},
        )
        if status != 200 or not isinstance(body, dict) or body.get("errors"):
            raise RuntimeError(f"GraphQL failed ({status}): {body}")
        return body["data"]

    def get(self, path, timeout=5):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    # -- the store, read directly -------------------------------------------
    def db(self):
        con = sqlite3.connect(self.db_path, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def query(self, sql, args=()):
        """Rows of `sql` as dicts, read past the service: the SQLite file, or
        PostgreSQL through psql (`?` placeholders take integers only there)."""
        if self.database_url.startswith("postgres"):
            for a in args:
                sql = sql.replace("?", str(int(a)), 1)
            out = subprocess.run(
                ["psql", self.database_url, "-X", "-At", "-v", "ON_ERROR_STOP=1",
                 "-c", f"SELECT COALESCE(json_agg(q), '[]') FROM ({sql}) q"],
                check=True, capture_output=True, text=True, timeout=60,
            ).stdout
            return json.loads(out)
        if self.database_url.startswith(("mysql", "mariadb")):
            return mysql_query(self.database_url, sql, args)
        con = self.db()
        try:
            return [dict(r) for r in con.execute(sql, args)]
        finally:
            con.close()

    def runs(self, where="1=1", args=()):
        return self.query(f"SELECT * FROM runs WHERE {where} ORDER BY id", args)


def mysql_query(url, sql, args=()):
    """Rows of `sql` on MySQL/MariaDB through the `mariadb` client's XML output
    (`?` placeholders take integers only); integer-looking values become ints."""
    import xml.etree.ElementTree as ET
    for a in args:
        sql = sql.replace("?", str(int(a)), 1)
    parts = urllib.parse.urlsplit(url)
    cmd = ["mariadb", "-X", "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306),
           "-u", urllib.parse.unquote(parts.username or "root"), parts.path.lstrip("/"), "-e", sql]
    env = dict(os.environ, MYSQL_PWD=urllib.parse.unquote(parts.password or ""))
    out = subprocess.run(cmd, check=True, capture_output=True, timeout=60, env=env).stdout
    if not out.strip():
        return []  # a statement that returns no rows prints nothing
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    rows = []
    for row in ET.fromstring(out).iter("row"):
        r = {}
        for field in row.iter("field"):
            text = field.text or ""
            r[field.get("name")] = None if field.get(nil) == "true" else int(text) if text.lstrip("-").isdigit() else text
        rows.append(r)
    return rows


def probe(svc, path):
    """The status of GET path, or the exception's name (a refused or timed-out probe)."""
    try:
        return svc.get(path, timeout=5)[0]
    except Exception as e:
        return type(e).__name__


def watch_probes(svc, seconds):
    """/healthz and /readyz once a second for `seconds`: (health, ready) lists."""
    health, ready = [], []
    t0 = time.time()
    while time.time() - t0 < seconds:
        health.append(probe(svc, "/healthz"))
        ready.append(probe(svc, "/readyz"))
        time.sleep(1)
    return health, ready


def seconds_until_ready(svc, within):
    """Polls /readyz; the seconds it took to answer 200, or None."""
    t0 = time.time()
    while time.time() - t0 < within:
        if probe(svc, "/readyz") == 200:
            return time.time() - t0
        time.sleep(0.5)
    return None


def toml_value(v):
    """A TOML value; JSON's strings, numbers and lists are TOML's too."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)


def toml_table(name, fields):
    """One `[[name]]` entry, e.g. a job for the config file."""
    return f"[[{name}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in fields.items())


class Figures:
    """Named counters printed as one block at the end of a script."""

    def __init__(self, title):
        self.title = title
        self.values = {}

    def __setitem__(self, k, v):
        self.values[k] = v

    def __getitem__(self, k):
        return self.values.get(k, 0)

    def add(self, k, n=1):
        self.values[k] = self.values.get(k, 0) + n

    def show(self):
        print(f"--- {self.title}")
        for k, v in self.values.items():
            print(f"    {k}: {v}")
        sys.stdout.flush()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def binary_or_exit():
    if not os.path.exists(BIN):
        print(f"cronkeeper binary not found at {BIN}; set CRONKEEPER_BIN", file=sys.stderr)
        sys.exit(2)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, on a
    free port), so a test may stop it or reconfigure it without touching the
    machine's server. Subclasses start it with their own options."""

    def __init__(self, prefix):
        import glob
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise FileNotFoundError("no /usr/lib/postgresql/*/bin")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.data = f"{self.dir}/data"
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.pg("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def pg(self, tool, *args):
        subprocess.run(self.as_pg + [f"{self.bin}/{tool}", *args], check=True, capture_output=True)

