"""The Kubernetes manifests: API schemas, probes, selectors, lanes, grace periods."""

import tempfile
import tomllib

import yaml

from artefacts import config_map_toml, container_args, flag, lanes_of, manifests, of_kind, runs_workers, slots, stop_budget_s
from harness import K8S, K8S_VERSIONS, check, run, tool


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
