#!/usr/bin/env bash
# The deployment artefacts' suite (docs/deploy/checks/): Kubernetes manifests
# validated against the API schemas, Dockerfiles linted, systemd units checked
# by systemd-analyze, and the units' and pods' command lines run against the
# real binary. Called by scripts/test-all; tools from install-tools.sh.
#   CRONKEEPER_BIN=target/debug/cronkeeper bash docs/deploy/test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${CRONKEEPER_DEPLOY_VENV:-$HOME/.cache/cronkeeper/deploy-venv}"
if [ ! -x "$venv/bin/python" ]; then
    if [ -n "${CI:-}" ]; then
        echo "deploy: no tools venv at $venv (docs/deploy/install-tools.sh makes it; nothing may be skipped in CI)" >&2
        exit 1
    fi
    echo "SKIPPED deploy: no tools venv at $venv; run bash docs/deploy/install-tools.sh"
    exit 0
fi
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the work tree
exec "$venv/bin/python" "$here/checks"
