"""The database unreachable for 30 s under load.

- sqlite: another process holds `BEGIN EXCLUSIVE` (with a write pending) on
  the database file for 30 s.
- postgres: a private PostgreSQL (initdb + pg_ctl on a free port in a temp
  dir; the machine's shared server is never touched) is stopped for 30 s and
  started again on the same port.
- mariadb: the same with a private MariaDB (mariadb-install-db + mariadbd
  --datadir --port --socket in a temp dir).

Under load (@every 1s jobs and manual runs). Asserted: /healthz keeps
answering 200 (the service stays up); /readyz says not ready during the
outage and ready again afterwards by itself; the dead man's switch (a local
HTTP server standing in for Healthchecks.io) stops being pinged during the
outage and is pinged again after it, which is how cronkeeper alerts on it; no
run state is lost: every run that existed before the outage is still there,
none stays RUNNING, and new runs succeed after it.

Usage: db_outage.py [sqlite|postgres|mariadb] [--seconds N]
"""

import argparse
import http.server
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

from common import IN_CI, Figures, PrivatePostgres, Service, binary_or_exit, check, free_port, probe, seconds_until_ready, watch_probes, run_main

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "KILLED", "INTERRUPTED", "MISSED", "SKIPPED")


class PingRecorder(http.server.ThreadingHTTPServer):
    """The outside check of the dead man's switch: records when it was pinged."""

    def __init__(self):
        pings = self.pings = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                pings.append(time.time())
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SqliteOutage:
    name = "SQLite (file held by BEGIN EXCLUSIVE in another process)"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ck-outage-")
        self.url = f"sqlite://{self.dir}/ck.db"
        self.holder = None

    def query(self, sql):
        con = sqlite3.connect(f"{self.dir}/ck.db", timeout=60)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def begin(self):
        # A separate process, as another program on the machine would be.
        code = (
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect('{self.dir}/ck.db', timeout=60, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute(\"UPDATE settings SET value = value WHERE 0\")\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('ROLLBACK')\n"
        )
        self.holder = subprocess.Popen(["python3", "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(self.holder.stdout.readline().strip() == "locked", "could not take the exclusive lock")

    def end(self):
        self.holder.stdin.write("\n")
        self.holder.stdin.flush()
        self.holder.wait(timeout=30)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresOutage(PrivatePostgres):
    name = "PostgreSQL (private instance stopped)"

    def __init__(self):
        super().__init__("ck-pg-")
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE ck"], check=True, capture_output=True)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/ck"

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg("pg_ctl", "-D", self.data, "-o", opts, "-l", f"{self.dir}/pg.log", "-w", "start")

    def query(self, sql):
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "ck", "-At", "-F", "|", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def begin(self):
        self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def end(self):
        self.start()

    def cleanup(self):
        try:
            self.pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)




class MariadbOutage:
    name = "MariaDB (private instance stopped)"

    def __init__(self):
        if not shutil.which("mariadbd") and not os.path.exists("/usr/sbin/mariadbd"):
            raise FileNotFoundError("no mariadbd")
        self.dir = tempfile.mkdtemp(prefix="ck-maria-")
        self.port = free_port()
        self.data = f"{self.dir}/data"
        self.socket = f"{self.dir}/mysqld.sock"
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        if user:
            shutil.chown(self.dir, "mysql", "mysql")
        subprocess.run(
            ["mariadb-install-db", f"--datadir={self.data}", "--auth-root-authentication-method=normal", "--skip-test-db", *user],
            check=True, capture_output=True,
        )
        self.user = user
        self.proc = None
        self.start()
        self.client("CREATE DATABASE ck")
        self.url = f"mysql://root@127.0.0.1:{self.port}/ck"

    def client(self, sql, db=None):
        cmd = ["mariadb", "-h", "127.0.0.1", "-P", str(self.port), "-u", "root", "-N", "-B", "-e", sql]
        return subprocess.run(cmd + ([db] if db else []), check=True, capture_output=True, text=True).stdout

    def start(self):
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--socket={self.socket}", f"--pid-file={self.dir}/mysqld.pid", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
             *self.user],
            stdout=subprocess.DEVNULL, stderr=open(f"{self.dir}/mariadb.log", "a"),
        )
        for _ in range(120):
            try:
                self.client("SELECT 1")
                return
            except subprocess.CalledProcessError:
                time.sleep(0.5)
        raise RuntimeError("the private MariaDB did not start")

    def query(self, sql):
        return [tuple(line.split("\t")) for line in self.client(sql, "ck").splitlines() if line]

    def begin(self):
        self.proc.terminate()  # mariadbd shuts down cleanly on SIGTERM
        self.proc.wait(timeout=60)

    def end(self):
        self.start()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", nargs="?", default="sqlite", choices=["sqlite", "postgres", "mariadb"])
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    binary_or_exit()
    try:
        outage = {"sqlite": SqliteOutage, "postgres": PostgresOutage, "mariadb": MariadbOutage}[args.backend]()
    except (FileNotFoundError, subprocess.CalledProcessError, RuntimeError) as e:
        if IN_CI:
            raise
        print(f"SKIPPED db_outage {args.backend}: cannot start a private server ({e})")
        return
    pings = PingRecorder()
    svc = Service(
        f'[alerts]\ndead_mans_switch_url = "http://127.0.0.1:{pings.server_port}/ping"\ndead_mans_switch_every = "1s"\n'
        '[lanes.default]\nslots = 8\n'
        + "".join(
            f'[[jobs]]\ncode = "tick_{i}"\nschedule = "@every 1s"\nconcurrency = "allow"\ncommand = ["sleep", "0.{3 + i}"]\n'
            for i in range(4)
        )
        + '[[jobs]]\ncode = "long"\nschedule = "0 0 1 1 *"\npaused = true\ncommand = ["sleep", "20"]\n',
        database_url=outage.url,
        # Shorter than the outage on purpose: the long run ends 20 s into it, and
        # its outcome must still be stored once the database is back (it used to
        # be given up after heartbeat_expiry, leaving the run RUNNING until a
        # restart).
        timers={"heartbeat_expiry": "10s"},
    )
    fig = Figures(f"Database unreachable for {args.seconds}s: {outage.name}")
    try:
        svc.start()
        time.sleep(4)
        long_id = int(svc.gql('mutation { runJobNow(code: "long") { id } }', role="operator")["runJobNow"]["id"])
        time.sleep(3)
        check(probe(svc, "/readyz") == 200, "not ready before the outage")
        before = {int(r[0]): r[1] for r in outage.query("SELECT id, status FROM runs")}
        pinged_before = len(pings.pings)

        t0 = time.time()
        outage.begin()
        health, ready = watch_probes(svc, args.seconds)
        outage_pings = [p for p in pings.pings if t0 + 8 < p < time.time()]
        outage.end()
        t1 = time.time()
        ready_again = seconds_until_ready(svc, 90)
        check(ready_again is not None, f"not ready again 90 s after the outage:\n{svc.log_tail()}")
        time.sleep(25)  # the long run ends (20 s), and scheduled runs go on
        pings_after = [p for p in pings.pings if p > t1]
        after = {int(r[0]): (r[1], r[2]) for r in outage.query("SELECT id, status, started_at FROM runs")}
        lost = [i for i in before if i not in after]
        stuck = [i for i, (s, started) in after.items() if s == "RUNNING" and started and int(started) < int(t1 * 1000) - 25000]
        new_ok = [i for i, (s, started) in after.items() if s == "SUCCEEDED" and started and int(started) > int(t1 * 1000)]
        alive = svc.proc.poll() is None

        fig["service process alive throughout"] = alive
        fig["/healthz answers during the outage (200 of total)"] = f"{health.count(200)} of {len(health)}"
        fig["/readyz during the outage"] = f"{sum(1 for r in ready if r != 200)} not ready of {len(ready)}"
        fig["seconds until /readyz was 200 again"] = round(ready_again, 1)
        fig["dead man's switch pings during the outage (from 8 s in)"] = len(outage_pings)
        fig["dead man's switch pings before the outage"] = pinged_before
        fig["dead man's switch pings after it"] = len(pings_after)
        fig["runs before the outage"] = len(before)
        fig["runs before the outage that are gone"] = len(lost)
        fig["the long run (RUNNING through the outage) ended"] = after.get(long_id, ("?",))[0]
        fig["runs stuck RUNNING afterwards"] = len(stuck)
        fig["runs started and SUCCEEDED after the outage"] = len(new_ok)
        fig.show()
        check(alive, "the service died during the outage")
        check(health.count(200) == len(health), f"/healthz failed during the outage: {health}")
        # SQLite: reads go on, so not ready only once a tick failed or stuck for 15 s.
        not_ready = sum(1 for r in ready if r != 200)
        check(not_ready * 3 >= len(ready), f"/readyz said not ready for under a third of the outage: {ready}")
        check(not outage_pings, "the dead man's switch kept pinging while the database was away")
        check(pinged_before > 0, "the dead man's switch was not pinged before the outage")
        check(pings_after, "the dead man's switch did not resume")
        check(not lost, f"runs lost: {lost}")
        check(not stuck, f"runs stuck RUNNING: {stuck}")
        check(after[long_id][0] in TERMINAL, f"the long run did not finish: {after[long_id]}")
        check(len(new_ok) >= 5, f"scheduling did not resume: {len(new_ok)} runs succeeded after the outage")
    finally:
        svc.stop()
        outage.cleanup()
        pings.shutdown()


if __name__ == "__main__":
    run_main(main)
