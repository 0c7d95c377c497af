"""Checks the deployment artefacts in docs/deploy/ against the tools that judge
them and against the real cronkeeper binary. Run through docs/deploy/test.sh.

Each check prints `ok - <name>`, `FAIL - <name>: <why>` or
`SKIPPED <name>: <why>`; the last line is `deploy: N passed, N failed[, N skipped]`.
With CI set, a missing tool or binary is a failure, never a skip.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
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
# Names other helpers are adding to the service right now. Until they are in
# the source, a mention is reported as pending instead of failing the run.
BEING_BUILT_ENV = {"CRONKEEPER_AMQP_URL", "CRONKEEPER_AMQP_PREFIX"}
# Variables of the test harness itself, not of cronkeeper.
HARNESS_ENV = {"CRONKEEPER_BIN", "CRONKEEPER_DEPLOY_VENV", "CRONKEEPER_TEST_POSTGRES_URL", "CRONKEEPER_TEST_MYSQL_URL"}
# What cronkeeper needs after drain_timeout + kill_grace: up to 5 s for a
# group's members to go, then the rest of the shutdown.
STOP_MARGIN_S = 15

results = {"passed": 0, "failed": 0, "skipped": 0}


class Skip(Exception):
    pass


class Pending(Exception):
    """What is checked needs a feature another helper is building now: counted
    as skipped, in CI too, until the feature is in the binary."""


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
        except Pending as p:
            results["skipped"] += 1
            print(f"SKIPPED {name}: pending: {p}")
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


# ---------------------------------------------------------------- parsing

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


def binary():
    if not BIN.exists():
        raise Skip(f"no cronkeeper binary at {BIN} (set CRONKEEPER_BIN or cargo build -p cronkeeper)")
    return str(BIN)


def has_subcommand(name):
    return re.search(rf"^\s+{name}\s", run([binary(), "--help"]).stdout, re.M) is not None


# ---------------------------------------------------------------- Kubernetes

for version in K8S_VERSIONS:
    @check(f"kubernetes manifests are valid {version} objects (kubernetes-validate --strict)")
    def _(version=version):
        files = sorted(str(p) for p in K8S.glob("*.yaml"))
        r = run([tool("kubernetes-validate"), "--strict", "-k", version, *files])
        bad = [l for l in (r.stdout + r.stderr).splitlines() if not l.startswith("INFO")]
        # A WARN is a kind the validator has no schema for: every manifest here
        # is a core kind, so that would be a manifest nothing checked.
        assert r.returncode == 0 and not bad, "\n".join(bad) or f"exit {r.returncode}"
        checked = (r.stdout + r.stderr).count(" passed for resource ")
        assert checked == len(manifests()), f"{checked} resources validated, {len(manifests())} in the files"


@check("kubernetes-validate rejects a manifest with an unknown field (the validation can fail)")
def _():
    doc = yaml.safe_load((K8S / "api-deployment.yaml").read_text())
    doc["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pth"] = "/healthz"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(doc, f)
        f.flush()
        r = run([tool("kubernetes-validate"), "--strict", f.name])
    assert r.returncode != 0 and "pth" in r.stdout + r.stderr, "a misspelt field passed"


@check("the API Deployment runs `serve --no-workers` twice, probes /healthz and /readyz on the listen port")
def _():
    [api] = [d for d in of_kind("Deployment") if d["metadata"]["name"] == "cronkeeper-api"]
    assert api["spec"]["replicas"] == 2, "replicas must be 2"
    c, args = container_args(api)
    assert args[:2] == ["serve", "--no-workers"], f"args are {args}"
    port = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness is not /healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is not /readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert port[c[probe]["httpGet"]["port"]] is not None
    listen = tomllib.loads(config_map_toml())["listen"]
    assert listen.endswith(f":{port['http']}"), f"listen {listen} is not the containerPort {port['http']}"
    assert flag(args, "--config") == "/etc/cronkeeper/cronkeeper.toml"
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert "/etc/cronkeeper" in mounts, "the ConfigMap is not mounted at /etc/cronkeeper"


@check("each worker Deployment serves lanes the ConfigMap declares, with slots for exactly those lanes")
def _():
    known = lanes_of(config_map_toml())
    workers = [d for d in of_kind("Deployment") if d["metadata"]["labels"].get("app.kubernetes.io/component") == "worker"]
    assert len(workers) >= 2, "expected one worker Deployment per lane"
    for d in workers:
        c, args = container_args(d)
        assert args[0] == "worker", f"{d['metadata']['name']}: args are {args}"
        lanes = flag(args, "--lanes").split(",")
        assert set(lanes) <= known, f"{d['metadata']['name']}: lanes {lanes} not all in {sorted(known)}"
        assert set(slots(args)) == set(lanes), f"{d['metadata']['name']}: --slots {slots(args)} do not match --lanes {lanes}"
        assert d["spec"]["template"]["metadata"]["labels"]["lane"] == lanes[0]


@check("pods get their stop budget: terminationGracePeriodSeconds >= drain_timeout + kill_grace + margin")
def _():
    for d in of_kind("Deployment"):
        c, args = container_args(d)
        if not runs_workers(args):
            continue
        env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
        budget = stop_budget_s(env)
        grace = d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace >= budget, f"{d['metadata']['name']}: {grace}s < {budget}s"


@check("Services, PDBs, the HPA, Secrets and ConfigMaps point at objects that exist")
def _():
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]

    def matches(selector):
        return [l for l in pod_labels if all(l.get(k) == v for k, v in selector.items())]

    for svc in of_kind("Service"):
        hit = matches(svc["spec"]["selector"])
        assert len(hit) == 1 and hit[0]["app.kubernetes.io/component"] == "api", "the Service must select the API pods only"
    for pdb in of_kind("PodDisruptionBudget"):
        assert len(matches(pdb["spec"]["selector"]["matchLabels"])) == 1, f"PDB {pdb['metadata']['name']} selects {len(matches(pdb['spec']['selector']['matchLabels']))} Deployments"
    secret_keys = {k for s in of_kind("Secret") for k in s["stringData"]}
    config_maps = {c["metadata"]["name"] for c in of_kind("ConfigMap")}
    for d in deployments.values():
        c, _ = container_args(d)
        for e in c.get("env", []):
            assert e["name"] != "CRONKEEPER_NODE", f"{d['metadata']['name']}: CRONKEEPER_NODE must stay the pod's own name"
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secret_keys, f"{d['metadata']['name']}: no secret key {ref['key']}"
        for v in d["spec"]["template"]["spec"].get("volumes", []):
            if "configMap" in v:
                assert v["configMap"]["name"] in config_maps
    worker_secrets = {e["valueFrom"]["secretKeyRef"]["key"] for d in deployments.values() if d["metadata"]["labels"]["app.kubernetes.io/component"] == "worker" for e in container_args(d)[0].get("env", []) if "valueFrom" in e}
    assert "jwt-secret" not in worker_secrets, "workers serve no API and their jobs inherit the environment: no JWT secret there"
    for hpa in of_kind("HorizontalPodAutoscaler"):
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        _, args = container_args(target)
        [metric] = hpa["spec"]["metrics"]
        lane = metric["external"]["metric"]["selector"]["matchLabels"]["lane"]
        assert flag(args, "--lanes") == lane, f"HPA scales on lane {lane}, its target serves {flag(args, '--lanes')}"
        per_pod = int(metric["external"]["target"]["averageValue"])
        assert per_pod == slots(args)[lane], f"HPA target {per_pod} per pod, the pod has {slots(args)[lane]} slots"


# ---------------------------------------------------------------- Dockerfiles

@check("hadolint passes both Dockerfiles at the `info` threshold")
def _():
    r = run([tool("hadolint"), "--failure-threshold", "info", str(HERE / "Dockerfile"), str(HERE / "Dockerfile.magento-worker")])
    assert r.returncode == 0, r.stdout + r.stderr


@check("hadolint rejects an unpinned base image (the lint can fail)")
def _():
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile") as f:
        f.write("FROM debian\nCMD [\"true\"]\n")
        f.flush()
        r = run([tool("hadolint"), "--failure-threshold", "info", f.name])
    assert r.returncode != 0 and "DL3006" in r.stdout, "an untagged FROM passed"


@check("the Docker build context (Dockerfile.dockerignore) holds everything cargo needs")
def _():
    patterns = [l for l in (HERE / "Dockerfile.dockerignore").read_text().splitlines() if l and not l.startswith("#")]
    assert patterns[0] == "*", "the ignore file should start by excluding everything"
    with tempfile.TemporaryDirectory() as tmp:
        for keep in patterns[1:]:
            assert keep.startswith("!"), f"unexpected pattern {keep}"
            src = REPO / keep[1:].rstrip("/")
            dst = Path(tmp) / keep[1:].rstrip("/")
            dst.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
        r = run(["cargo", "metadata", "--offline", "--locked", "--no-deps", "--format-version", "1"], cwd=tmp)
        assert r.returncode == 0, r.stderr
        [pkg] = [p for p in json.loads(r.stdout)["packages"] if p["name"] == "cronkeeper"]
        missing = [t["src_path"] for t in pkg["targets"] if not Path(t["src_path"]).exists()]
        assert not missing, f"not in the context: {missing}"
        source = "\n".join(p.read_text() for p in (Path(tmp) / "service/src").rglob("*.rs"))
        for rel in re.findall(r'migrate!\("([^"]+)"\)', source):
            assert (Path(tmp) / "service" / rel).is_dir(), f"migrations {rel} not in the context"


# Said every run, so nobody takes the lint above for a build.
print("  note: the Dockerfiles are linted and their build context checked, not built: "
      "this machine has no Docker daemon, and their base images (rust, debian, distroless) "
      "are not reachable from its network")


# ---------------------------------------------------------------- systemd

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


# ---------------------------------------------------------------- links

# Pages the `docs` helper is writing alongside these; until they land, a link
# to one is reported, and checked as soon as the page exists.
PAGES_BEING_WRITTEN = {"single-server.md", "lanes-and-slots.md", "takeover.md", "implementing-schedules.md"}


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@check("every relative link of the setup pages and docs/deploy/README.md reaches a file and heading")
def _():
    pages = [SETUP / n for n in ("README.md", "multi-node.md", "kubernetes.md", "upgrading-and-backups.md")] + [HERE / "README.md"]
    pending = set()
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                assert dest.name in PAGES_BEING_WRITTEN, f"{page.relative_to(REPO)}: {target} does not exist"
                pending.add(dest.name)
                continue
            if anchor:
                assert dest.suffix == ".md" and anchor in anchors(dest), f"{page.relative_to(REPO)}: no heading #{anchor} in {dest.name}"
    for name in sorted(pending):
        note(f"{name} is being written by another helper: links to it were not checked")


# ---------------------------------------------------------------- the binary

@check("every CRONKEEPER_* variable the artefacts and setup pages name exists in the service")
def _():
    source = "\n".join(p.read_text() for p in (REPO / "service/src").rglob("*.rs"))
    real = set(re.findall(r'"(CRONKEEPER_[A-Z0-9_]+)"', source))
    files = [p for p in HERE.rglob("*") if p.is_file() and p.suffix != ".py"] + sorted(SETUP.glob("*.md"))
    named, build_args = {}, set()
    for p in files:
        text = p.read_text()
        build_args |= set(re.findall(r"(?:^ARG |--build-arg )(CRONKEEPER_[A-Z0-9_]+)", text, re.M))
        for name in re.findall(r"\bCRONKEEPER_[A-Z0-9_]*[A-Z0-9]\b", text):
            named.setdefault(name, p.relative_to(REPO))
    for name in build_args | HARNESS_ENV:
        named.pop(name, None)
    lane_var = re.compile(r"CRONKEEPER_LANES_[A-Z0-9_]+_(SLOTS|DEFAULT_TIMEOUT)$")
    unknown = {n: str(p) for n, p in named.items() if n not in real and not lane_var.match(n) and n not in BEING_BUILT_ENV}
    assert not unknown, f"not in service/src: {unknown}"
    for n in sorted(BEING_BUILT_ENV & set(named) - real):
        note(f"{n} is being built (RabbitMQ dispatch) and is not in this source yet")


@check("every ExecStart and container command line parses with the real binary")
def _():
    lines = [(p.name, exec_args(unit_file(p))) for p in units()]
    lines += [(d["metadata"]["name"], container_args(d)[1]) for d in of_kind("Deployment")]
    for path in (HERE / "Dockerfile.magento-worker", HERE / "Dockerfile"):
        cmd = re.search(r"^CMD (\[.*\])$", path.read_text(), re.M)
        lines.append((path.name, json.loads(cmd.group(1))))
    pending = set()
    for where, args in lines:
        if not has_subcommand(args[0]):
            pending.add(args[0])
            continue
        # clap rejects an unknown flag or value shape before it acts on the
        # trailing --help, which then exits 0 without starting anything.
        r = run([binary(), *args, "--help"])
        assert r.returncode == 0, f"{where}: `cronkeeper {' '.join(args)}`: {r.stderr.strip()}"
    for name in sorted(pending):
        assert name == "worker", f"`cronkeeper {name}` does not exist"
        note("`cronkeeper worker` is being built and is not in this binary yet: its command lines were not checked")


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


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRONKEEPER_")}
    env.update(extra)
    return env


def single_server(tmp):
    """cronkeeper.service's command line and environment, with the example
    configuration, changed only where a test machine must differ: the state
    directory (tmp/state) and a free port."""
    unit = unit_file(SYSTEMD / "cronkeeper.service")
    args = exec_args(unit)
    config = tmp / "cronkeeper.toml"
    shutil.copy(SYSTEMD / "cronkeeper.toml.example", config)
    args[args.index("--config") + 1] = str(config)
    env = clean_env(**unit_env(unit), CRONKEEPER_DATA_DIR=str(tmp / "state"), CRONKEEPER_LISTEN="127.0.0.1:0")
    return unit, args, env, config


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
    if not has_subcommand(args[0]):
        raise Pending("`cronkeeper worker` is being built and is not in this binary yet")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cronkeeper.toml"
        shutil.copy(SYSTEMD / "cronkeeper.toml.example", config)
        args[args.index("--config") + 1] = str(config)
        # The unit's environment as written, plus the database its env file
        # would name: one of the machine's own, SQLite here (a worker needs no
        # server database to start).
        env = clean_env(**unit_env(unit), CRONKEEPER_DATABASE_URL=f"sqlite://{tmp}/cronkeeper.db", CRONKEEPER_MAGENTO_ROOT=tmp)
        with running(args, env) as proc:
            line = proc.stdout.readline()
            reported = re.search(r"lanes (\S+?),? ", line)
            lanes = ",".join(f"{k}={v}" for k, v in slots(args).items())
            assert reported and set(reported.group(1).split(",")) == set(lanes.split(",")), f"expected the worker to report lanes {lanes}: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
            time.sleep(2)
            assert proc.poll() is None, f"the worker exited: {proc.stderr.read()[-2000:]}"
            took = sigterm(proc, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))
            note(f"worker up with lanes {lanes}, stopped on SIGTERM in {took:.1f} s")


# ---------------------------------------------------------------- backups and upgrades

UPGRADING = SETUP / "upgrading-and-backups.md"


def doc_command(prefix):
    """The first command line of upgrading-and-backups.md that starts with
    `prefix` (after any `sudo -u <user>`), without its trailing comment: the
    checks below run what the page says, so the page cannot drift from them."""
    lines = [re.sub(r"^sudo -u \S+ ", "", l).split("   #")[0].strip() for l in UPGRADING.read_text().splitlines()]
    found = [l for l in lines if l.startswith(prefix)]
    assert found, f"no `{prefix}` command in {UPGRADING.name}"
    return found[0]


def sqlite_cli():
    path = shutil.which("sqlite3")
    if not path:
        raise Skip("the sqlite3 command-line tool is not installed (docs/deploy/install-tools.sh installs it)")
    return path


def cli(args, env):
    r = run([binary(), *args], env=env)
    assert r.returncode == 0, f"cronkeeper {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}"
    return r


@check("the page's SQLite backups (.backup, VACUUM INTO) copy a live database that cronkeeper then opens")
def _():
    sqlite3 = sqlite_cli()
    with tempfile.TemporaryDirectory() as tmp:
        unit, args, env, config = single_server(Path(tmp))
        state, backups = Path(tmp) / "state", Path(tmp) / "backups"
        backups.mkdir()
        with running(args, env) as proc:
            assert "listening" in proc.stdout.readline(), "serve did not start"
            # Something to find in the copy: the drain flag, set over the live database.
            cli(["drain", "--config", str(config)], env)
            copies = []
            for prefix in ("sqlite3 /var/lib/cronkeeper/cronkeeper.db \".backup", "sqlite3 /var/lib/cronkeeper/cronkeeper.db \"VACUUM INTO"):
                command = doc_command(prefix).replace("/var/lib/cronkeeper", str(state)).replace("/var/backups/cronkeeper", str(backups))
                r = run(["sh", "-c", command.replace("sqlite3 ", sqlite3 + " ", 1)])
                assert r.returncode == 0, f"{command}: {r.stderr}"
                copies.append(Path(re.search(r"'([^']+)'", command).group(1)))
            sigterm(proc, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))
        check_line = doc_command("sqlite3 /var/backups/cronkeeper/cronkeeper.db \"PRAGMA integrity_check")
        for copy in copies:
            r = run([sqlite3, str(copy), "PRAGMA integrity_check"])
            assert r.stdout.strip() == "ok", f"{copy.name}: {r.stdout} {r.stderr}"
            assert "integrity_check" in check_line
            r = run([sqlite3, str(copy), "SELECT value FROM settings WHERE name = 'draining'"])
            assert r.stdout.strip() == "1", f"{copy.name}: the drain flag did not survive ({r.stdout!r} {r.stderr})"
            cli(["resume", "--config", str(config)], clean_env(CRONKEEPER_DATABASE_URL=f"sqlite://{copy}"))
        note(f"backed up a running server twice ({', '.join(c.name for c in copies)}), both open and resume")


@check("an older binary refuses a database a newer one migrated (what the upgrade page warns about)")
def _():
    sqlite3 = sqlite_cli()
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(CRONKEEPER_DATABASE_URL=f"sqlite://{tmp}/cronkeeper.db")
        cli(["resume"], env)
        # What a newer release leaves behind: a migration this binary lacks.
        r = run([sqlite3, f"{tmp}/cronkeeper.db", "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'from a newer cronkeeper', 1, x'00', 0)"])
        assert r.returncode == 0, r.stderr
        r = run([binary(), "resume"], env=env)
        quoted = "was previously applied but is missing in the resolved migrations"
        assert r.returncode != 0 and quoted in r.stderr, f"exit {r.returncode}: {r.stderr.strip()}"
        assert quoted in UPGRADING.read_text(), "the page no longer quotes the error"


def server_url(var, default):
    return os.environ.get(var, default)


def fresh_database(kind):
    """A new empty database on the machine's PostgreSQL or MariaDB, as in the
    store suite: (URL for cronkeeper, admin argv prefix, name)."""
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


def round_trip(kind, commands, read_flag):
    """Drains a fresh database (so it holds something to find), runs the page's
    dump and restore `commands(source, target)` into a second one, and checks
    the flag came across and cronkeeper opens the copy."""
    source_url, source = fresh_database(kind)
    target_url, target = fresh_database(kind)
    try:
        cli(["drain"], clean_env(CRONKEEPER_DATABASE_URL=source_url))
        with tempfile.TemporaryDirectory() as tmp:
            for command in commands(source_url, source, target_url, target):
                assert "db.internal" not in command, command
                r = run(["sh", "-c", command], cwd=tmp)
                assert r.returncode == 0, f"{command}: {r.stderr}"
        r = run(read_flag(target_url, target))
        assert r.stdout.strip() == "1", f"the drain flag did not survive: {r.stdout!r} {r.stderr}"
        cli(["resume"], clean_env(CRONKEEPER_DATABASE_URL=target_url))
    finally:
        drop_database(kind, source)
        drop_database(kind, target)


FLAG_SQL = "SELECT value FROM settings WHERE name = 'draining'"


@check("the page's pg_dump and pg_restore commands round-trip a cronkeeper database")
def _():
    page_url = "postgres://cronkeeper:change-me@db.internal:5432/cronkeeper"
    round_trip(
        "postgres",
        lambda src_url, _s, dst_url, _t: [doc_command("pg_dump ").replace(page_url, src_url), doc_command("pg_restore ").replace(page_url, dst_url)],
        lambda url, _n: ["psql", url, "-tAc", FLAG_SQL],
    )


@check("the page's mysqldump and mysql commands round-trip a cronkeeper database")
def _():
    page_args = "--host=db.internal --user=cronkeeper --password cronkeeper"
    local = "--host=127.0.0.1 --user=root"
    round_trip(
        "mysql",
        lambda _su, src, _du, dst: [doc_command("mysqldump ").replace(page_args, f"{local} {src}"), doc_command("mysql --host").replace(page_args, f"{local} {dst}")],
        lambda _u, name: ["mysql", "-h127.0.0.1", "-uroot", "-N", "-D", name, "-e", FLAG_SQL],
    )


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


print(f"deploy: {results['passed']} passed, {results['failed']} failed" + (f", {results['skipped']} skipped" if results["skipped"] else ""))
sys.exit(1 if results["failed"] else 0)
