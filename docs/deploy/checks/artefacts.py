"""Reading the artefacts: durations, systemd units, manifests, command lines."""

import re
import shutil
import tomllib

import yaml

from harness import K8S, STOP_MARGIN_S, SYSTEMD, UNIT_BIN, clean_env

DURATION_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400, "days": 86400}


def seconds(text):
    """`90s`, `6min`, `1m30s`, `5m`, `7days`: cronkeeper's and systemd's forms."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text.strip())
    assert parts and "".join(n + u for n, u in parts) == re.sub(r"\s+", "", text), f"`{text}` is not a duration"
    return sum(float(n) * DURATION_UNITS[u] for n, u in parts)


def unit_file(path):
    """A unit as {section: [(key, value)]}, keeping repeated keys."""
    sections, current = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key, value))
    return sections


def unit_values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def unit_env(unit):
    env = {}
    for value in unit_values(unit, "Service", "Environment"):
        for pair in value.split():
            k, _, v = pair.partition("=")
            env[k] = v
    return env


def units():
    return sorted(SYSTEMD.glob("*.service"))


def manifests():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def of_kind(kind):
    return [d for _, d in manifests() if d["kind"] == kind]


def config_map_toml():
    [cm] = of_kind("ConfigMap")
    return cm["data"]["cronkeeper.toml"]


def lanes_of(toml_text):
    return {"critical", "default", "bulk"} | set(tomllib.loads(toml_text).get("lanes", {}))


def flag(args, name):
    return args[args.index(name) + 1] if name in args else None


def runs_workers(args):
    return args[0] == "worker" or (args[0] == "serve" and "--no-workers" not in args)


def exec_args(unit):
    [line] = unit_values(unit, "Service", "ExecStart")
    argv = line.split()
    assert argv[0] == UNIT_BIN, f"ExecStart runs {argv[0]}, not {UNIT_BIN}"
    return argv[1:]


def container_args(deployment):
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    return c, c["args"]


def stop_budget_s(env):
    drain = seconds(env.get("CRONKEEPER_DRAIN_TIMEOUT", "60s"))
    grace = seconds(env.get("CRONKEEPER_KILL_GRACE", "10s"))
    return drain + grace + STOP_MARGIN_S


def slots(args):
    value = flag(args, "--slots") or ""
    return {k: int(v) for k, v in (p.split("=") for p in value.split(",") if p)}


def single_server(tmp):
    """cronkeeper.service's command line and environment, with the example
    configuration, changed only where a test machine must differ: the state
    directory (tmp/state) and a free port."""
    unit = unit_file(SYSTEMD / "cronkeeper.service")
    args = exec_args(unit)
    config = tmp / "cronkeeper.toml"
    shutil.copy(SYSTEMD / "cronkeeper.toml.example", config)
    args[args.index("--config") + 1] = str(config)
    env = clean_env(unit_env(unit), CRONKEEPER_DATA_DIR=str(tmp / "state"), CRONKEEPER_LISTEN="127.0.0.1:0")
    return unit, args, env, config
