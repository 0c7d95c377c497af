#!/usr/bin/env bash
# Installs what tests/reliability/ needs: Python 3 with pip, the client libraries in
# requirements.txt, util-linux (flock for forbid markers, mount, runuser), wrk (the load
# generator of load_soak.py) and the PostgreSQL client (psql: kill9.py --backend postgres
# reads the store with it). Idempotent:
# with everything present it installs nothing.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
if python3 - <<'PY' 2>/dev/null
import jwt, cryptography, websockets
v = tuple(int(x) for x in websockets.__version__.split(".")[:1])
assert v >= (14,)
PY
then
    echo "reliability: Python clients already present"
else
    # --break-system-packages: Debian's Python refuses plain pip installs otherwise;
    # older pips do not know the flag, so try without it too.
    python3 -m pip install -q -r requirements.txt --break-system-packages 2>/dev/null \
        || python3 -m pip install -q -r requirements.txt
fi
