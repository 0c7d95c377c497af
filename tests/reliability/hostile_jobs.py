"""Hostile jobs against the real service:

- a job whose leader and forked grandchild both ignore SIGTERM: the timeout
  still ends the whole group (SIGKILL after kill_grace), no process survives;
- a job that writes gigabytes to stdout: the stored output stays within
  output_cap_bytes, and cronkeeper's own VmRSS stays bounded while it reads;
- a job that eats memory (512 MiB, touched) and then hangs: the timeout ends
  it, and cronkeeper's memory is not affected.

cronkeeper's VmRSS (/proc/<pid>/status) is sampled every 100 ms throughout.

Usage: hostile_jobs.py [--flood-bytes N] [--eat-mib N]
"""

import argparse
import json
import os
import re
import threading
import time

from common import Figures, Service, binary_or_exit, check, run_main

OUTPUT_CAP = 65536
KILL_GRACE_S = 1


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append(vm_rss_kib(self.pid))
            except OSError:
                return
            time.sleep(0.1)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_finished(svc, code, within):
    deadline = time.time() + within
    while time.time() < deadline:
        rs = svc.runs("job_code = ? AND status NOT IN ('QUEUED','PENDING','RUNNING')", (code,))
        if rs:
            return rs[-1]
        time.sleep(0.2)
    raise AssertionError(f"{code} did not finish within {within}s:\n{svc.log_tail()}")


def pids_in(path):
    try:
        return [int(x) for x in open(path).read().split()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flood-bytes", type=int, default=2 * 1024**3)
    ap.add_argument("--eat-mib", type=int, default=512)
    args = ap.parse_args()
    binary_or_exit()
    svc = Service(timers={"kill_grace": f"{KILL_GRACE_S}s", "output_cap_bytes": OUTPUT_CAP})
    d = svc.dir
    stubborn = (
        f'sh -c \'trap "" TERM; echo $$ >> {d}/stubborn.pids; while :; do sleep 1; done\' & '
        f'trap "" TERM; echo $$ >> {d}/stubborn.pids; while :; do sleep 1; done'
    )
    flood = f"echo $$ > {d}/flood.pids; yes 0123456789abcdef-cronkeeper-output-flood | head -c {args.flood_bytes}"
    eater = (
        f"import os, time\nopen('{d}/eater.pids', 'w').write(str(os.getpid()))\n"
        f"b = bytearray({args.eat_mib} << 20)\n"
        "for i in range(0, len(b), 4096): b[i] = 1\n"
        f"open('{d}/eater.ready', 'w').write('1')\n"
        "time.sleep(3600)\n"
    )
    with open(svc.config, "a") as f:
        f.write(
            '[lanes.default]\nslots = 4\n'
            f'[[jobs]]\ncode = "stubborn"\nschedule = "0 0 1 1 *"\npaused = true\ntimeout = "3s"\ncommand = ["sh", "-c", {json.dumps(stubborn)}]\n'
            f'[[jobs]]\ncode = "flood"\nschedule = "0 0 1 1 *"\npaused = true\ntimeout = "10m"\ncommand = ["sh", "-c", {json.dumps(flood)}]\n'
            f'[[jobs]]\ncode = "eater"\nschedule = "0 0 1 1 *"\npaused = true\ntimeout = "8s"\ncommand = ["python3", "-c", {json.dumps(eater)}]\n'
        )
    svc.start()
    fig = Figures("Hostile jobs")
    sampler = RssSampler(svc.proc.pid)
    try:
        time.sleep(2)
        baseline = vm_rss_kib(svc.proc.pid)
        fig["cronkeeper VmRSS at rest (KiB)"] = baseline
        sampler.start()

        # 1. SIGTERM-proof leader and grandchild.
        t0 = time.time()
        svc.gql('mutation { runJobNow(code: "stubborn") { id } }')
        run = wait_finished(svc, "stubborn", 60)
        took = time.time() - t0
        pids = pids_in(f"{d}/stubborn.pids")
        survivors = [p for p in pids if alive(p)]
        fig["stubborn: status"] = run["status"]
        fig["stubborn: processes that ignored SIGTERM"] = len(pids)
        fig["stubborn: processes alive after the run"] = len(survivors)
        fig["stubborn: seconds from request to end (timeout 3s + grace 1s)"] = round(took, 1)
        check(run["status"] == "TIMED_OUT", f"stubborn ended {run['status']}")
        check(len(pids) == 2, f"expected leader and grandchild pids, got {pids}")
        check(not survivors, f"processes survived the timeout: {survivors}")

        # 2. Gigabytes on stdout.
        before = len(sampler.samples)
        t0 = time.time()
        svc.gql('mutation { runJobNow(code: "flood") { id } }')
        run = wait_finished(svc, "flood", 660)
        took = time.time() - t0
        flood_rss = sampler.samples[before:] or [0]
        out = run["output"] or ""
        m = re.search(r"\[(\d+) bytes omitted\]", out)
        omitted = int(m.group(1)) if m else 0
        fig["flood: status"] = run["status"]
        fig["flood: bytes written by the job"] = args.flood_bytes
        fig["flood: bytes omitted from the stored output"] = omitted
        fig["flood: seconds"] = round(took, 1)
        fig["flood: MiB/s read by cronkeeper"] = round(args.flood_bytes / 2**20 / max(took, 0.001))
        fig["flood: stored output (bytes)"] = len(out.encode())
        fig["flood: cronkeeper VmRSS max during flood (KiB)"] = max(flood_rss)
        check(run["status"] == "SUCCEEDED", f"flood ended {run['status']}: {run['error']}")
        check(len(out.encode()) <= OUTPUT_CAP + 256, f"output not capped: {len(out)} bytes")
        check(omitted >= args.flood_bytes - OUTPUT_CAP - 1024, f"omitted {omitted} bytes, expected about {args.flood_bytes}")
        check(max(flood_rss) - baseline < 64 * 1024, f"cronkeeper grew by {max(flood_rss) - baseline} KiB while reading the flood")

        # 3. Memory eater, ended by its timeout.
        before = len(sampler.samples)
        svc.gql('mutation { runJobNow(code: "eater") { id } }')
        deadline = time.time() + 60
        eater_rss = 0
        while time.time() < deadline and not os.path.exists(f"{d}/eater.ready"):
            time.sleep(0.2)
        check(os.path.exists(f"{d}/eater.ready"), "the eater never finished allocating")
        eater_pid = pids_in(f"{d}/eater.pids")[0]
        eater_rss = vm_rss_kib(eater_pid)
        run = wait_finished(svc, "eater", 60)
        fig["eater: status"] = run["status"]
        fig["eater: its VmRSS before the timeout (KiB)"] = eater_rss
        fig["eater: alive after the run"] = alive(eater_pid)
        fig["eater: cronkeeper VmRSS max meanwhile (KiB)"] = max(sampler.samples[before:] or [0])
        check(run["status"] == "TIMED_OUT", f"eater ended {run['status']}")
        check(eater_rss >= args.eat_mib * 1024 * 0.9, f"the eater held only {eater_rss} KiB")
        check(not alive(eater_pid), "the eater survived its timeout")
    finally:
        sampler.stop.set()
        svc.stop()
    fig["cronkeeper VmRSS max over the whole test (KiB)"] = max(sampler.samples or [0])
    fig.show()
    check(max(sampler.samples) - baseline < 64 * 1024, "cronkeeper's memory was not bounded")


if __name__ == "__main__":
    run_main(main)
