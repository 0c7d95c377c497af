"""The systemd units: systemd-analyze, kill mode, stop budgets, secrets, lanes."""

import re
import shutil
import tempfile
from pathlib import Path

from artefacts import exec_args, flag, lanes_of, runs_workers, seconds, slots, stop_budget_s, unit_env, unit_file, unit_values, units
from harness import SYSTEMD, UNIT_BIN, Skip, binary, check, note, run


for unit_path in units():
    @check(f"systemd-analyze verify {unit_path.name} reports nothing")
    def _(unit_path=unit_path):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            raise Skip("systemd-analyze is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            # verify insists that ExecStart's binary exists: point it at the
            # one built here, change nothing else.
            copy = Path(tmp) / unit_path.name
            copy.write_text(unit_path.read_text().replace(UNIT_BIN, str(Path(binary()).resolve())))
            r = run([analyze, "verify", "--man=no", str(copy)])
        # Unknown keys and misplaced settings are warnings with exit 0: any
        # output at all fails the check.
        out = (r.stdout + r.stderr).strip()
        assert r.returncode == 0 and not out, out or f"exit {r.returncode}"

    @check(f"systemd-analyze security rates {unit_path.name} at 2.5 or better")
    def _(unit_path=unit_path):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            raise Skip("systemd-analyze is not installed")
        r = run([analyze, "security", "--offline=yes", "--threshold=25", "--no-pager", str(unit_path)])
        overall = [l for l in r.stdout.splitlines() if "Overall exposure" in l]
        assert r.returncode == 0, overall or r.stderr
        note(overall[0].split("→")[-1].strip() if overall else r.stdout[-200:])


@check("units that run jobs use KillMode=mixed and a TimeoutStopSec above their stop budget")
def _():
    for path in units():
        unit = unit_file(path)
        args = exec_args(unit)
        assert unit_values(unit, "Service", "KillMode") == ["mixed"], f"{path.name}: KillMode must be mixed"
        timeout = seconds(unit_values(unit, "Service", "TimeoutStopSec")[0])
        if runs_workers(args):
            budget = stop_budget_s(unit_env(unit))
            assert timeout >= budget, f"{path.name}: TimeoutStopSec {timeout}s < {budget}s"
            assert unit_values(unit, "Service", "WorkingDirectory") == unit_env(unit).get("CRONKEEPER_MAGENTO_ROOT", "").split(), f"{path.name}: jobs should start in the Magento root"
            user = unit_values(unit, "Service", "User")
            assert user and user != ["root"], f"{path.name}: jobs must run as the shop's user"


@check("no unit holds a secret: they come from EnvironmentFile")
def _():
    for path in units():
        unit = unit_file(path)
        env = unit_env(unit)
        leaked = [k for k in env if re.search(r"SECRET|DATABASE_URL|AMQP_URL|PASSWORD", k)]
        assert not leaked, f"{path.name} sets {leaked}"
        assert unit_values(unit, "Service", "EnvironmentFile"), f"{path.name} has no EnvironmentFile"


@check("the worker unit serves lanes the example configuration declares")
def _():
    known = lanes_of((SYSTEMD / "cronkeeper.toml.example").read_text())
    for path in units():
        args = exec_args(unit_file(path))
        if args[0] == "worker":
            lanes = flag(args, "--lanes").split(",")
            assert set(lanes) <= known and set(slots(args)) == set(lanes), f"{path.name}: {args}"
