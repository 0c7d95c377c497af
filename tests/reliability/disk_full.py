"""Disk full under the SQLite database: the file lives on a small tmpfs that
a filler file then fills to the last byte while jobs keep running and writing
output. Asserted: the service stays up, says why in its log (a clear
"database or disk is full" error), /readyz says not ready; once space
returns it resumes by itself and keeps what it writes (see the SQLite
connection fix in store/mod.rs), and after a restart and stop `PRAGMA
integrity_check` says `ok` and no run is left RUNNING.

Needs root (mount -t tmpfs). Outside CI without root it prints SKIPPED.

Usage: disk_full.py [--size-mib N] [--full-seconds N]
"""

import argparse
import os
import sqlite3
import subprocess
import tempfile
import time

from common import IN_CI, Figures, Service, binary_or_exit, check, probe, seconds_until_ready, watch_probes, run_main




def fill(path):
    """Writes until the filesystem refuses; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
                written += len(chunk)
            except OSError:
                break
        for size in (4096, 512, 1):  # the last scraps too
            while True:
                try:
                    f.write(b"\0" * size)
                    written += size
                except OSError:
                    break
    return written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=16)
    ap.add_argument("--full-seconds", type=int, default=20)
    args = ap.parse_args()
    binary_or_exit()
    mnt = tempfile.mkdtemp(prefix="ck-full-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mib}m", "tmpfs", mnt], capture_output=True, text=True)
    if mounted.returncode != 0:
        if IN_CI:
            raise SystemExit(f"cannot mount a tmpfs for the disk-full test: {mounted.stderr.strip()}")
        print(f"SKIPPED disk_full: cannot mount a tmpfs ({mounted.stderr.strip()}); run as root")
        return
    db = os.path.join(mnt, "ck.db")
    # 16 KiB of output per run, 6 jobs a second: the database grows ~100 KiB/s.
    writer = "head -c 16384 /dev/urandom | base64 -w 120"
    svc = Service(
        '[lanes.default]\nslots = 8\n'
        + "".join(
            f'[[jobs]]\ncode = "writer_{i}"\nschedule = "@every 1s"\nconcurrency = "allow"\ncommand = ["sh", "-c", "{writer}"]\n'
            for i in range(6)
        ),
        database_url=f"sqlite://{db}",
    )
    fig = Figures(f"Disk full under the SQLite file ({args.size_mib} MiB tmpfs)")
    filler = os.path.join(mnt, "filler")
    try:
        svc.start()
        time.sleep(5)
        check(probe(svc, "/readyz") == 200, "not ready before the disk filled")
        fig["runs before the disk filled"] = len(svc.runs())
        fig["filler bytes written"] = fill(filler)
        t0 = time.time()
        health, ready = watch_probes(svc, args.full_seconds)
        log = svc.log_tail(200_000)
        full_lines = [l for l in log.splitlines() if "full" in l.lower()]
        os.remove(filler)
        t1 = time.time()
        ready_again = seconds_until_ready(svc, 60)
        time.sleep(5)
        succeeded_after = len(svc.runs("status = 'SUCCEEDED' AND started_at > ?", (int(t1 * 1000),)))
        alive = svc.proc.poll() is None
        seen_running = len(svc.runs())  # what another reader sees while it runs
        svc.stop()
        con = sqlite3.connect(db)
        left_running = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'RUNNING'").fetchone()[0]
        con.close()
        # Runs that ended while the disk was full keep retrying their outcome
        # until space returns; a restart's recovery must find nothing to close.
        svc.start()
        svc.stop()
        con = sqlite3.connect(db)
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        running = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'RUNNING'").fetchone()[0]
        total = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        con.close()

        fig["service alive while full"] = alive
        fig["/healthz while full (200 of total)"] = f"{health.count(200)} of {len(health)}"
        fig["/readyz while full"] = f"{sum(1 for r in ready if r != 200)} not ready of {len(ready)}"
        fig["log lines naming the full disk"] = len(full_lines)
        fig["first such line"] = full_lines[0][-200:] if full_lines else "-"
        fig["seconds until ready after space returned"] = None if ready_again is None else round(ready_again, 1)
        fig["runs SUCCEEDED in the 5 s after"] = succeeded_after
        fig["PRAGMA integrity_check after a clean stop"] = integrity
        fig["runs left RUNNING by the clean stop"] = left_running
        fig["runs left RUNNING after a restart (recovery) and stop"] = running
        fig["runs in the database"] = total
        fig.show()
        check(alive, "the service died on a full disk")
        check(health.count(200) == len(health), f"/healthz failed while the disk was full: {health}")
        check(full_lines, "no log line says the disk is full")
        check(any(r != 200 for r in ready), f"/readyz stayed ready on a full disk: {ready}")
        check(ready_again is not None, "not ready again within 60 s after space returned")
        check(succeeded_after > 0, "no run succeeded after space returned")
        check(integrity == "ok", f"integrity_check: {integrity}")
        check(left_running == 0, f"{left_running} runs left RUNNING by a clean stop")
        check(running == 0, f"{running} runs left RUNNING after recovery")
        check(total >= seen_running, f"runs lost at the stop: {seen_running} seen while running, {total} after")
    finally:
        svc.stop()
        if os.environ.get("KEEP_DB"):  # for a post-mortem: copy the database out first
            subprocess.run(["cp", "-a", db, db + "-wal", db + "-shm", os.environ["KEEP_DB"]], capture_output=True)
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


if __name__ == "__main__":
    run_main(main)
