"""The Dockerfiles: hadolint, and the build context against what cargo reads."""

import json
import re
import shutil
import tempfile
from pathlib import Path

from harness import HERE, REPO, check, run, tool


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
