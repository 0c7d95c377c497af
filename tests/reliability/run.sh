#!/usr/bin/env bash
# The reliability and security suite against the real binary (docs/reliability.md):
# JWT attack matrix, kill -9 under load, hostile jobs, database outages (SQLite lock,
# a private PostgreSQL or MariaDB stopped), disk full, GraphQL abuse with a legitimate
# client's latency measured, job definitions that try to escape. Each script prints its figures and fails
# on a broken promise. scripts/test-all runs this with the binary it built:
#   CRONKEEPER_BIN=target/debug/cronkeeper bash tests/reliability/run.sh
# Some scripts: bash tests/reliability/run.sh kill9 jwt (names: jwt kill9 hostile
# outage-sqlite outage-postgres outage-mariadb disk-full graphql-abuse escape). Long variants are in docs/reliability.md.
set -uo pipefail
cd "$(dirname "$0")"
: "${CRONKEEPER_BIN:?set CRONKEEPER_BIN to the cronkeeper binary to test}"
export CRONKEEPER_BIN

declare -A suite=(
  [jwt]="jwt_matrix.py"
  [kill9]="kill9.py --rounds 20"
  [hostile]="hostile_jobs.py"
  [outage-sqlite]="db_outage.py sqlite"
  [outage-postgres]="db_outage.py postgres"
  [outage-mariadb]="db_outage.py mariadb"
  [disk-full]="disk_full.py"
  [graphql-abuse]="graphql_abuse.py"
  [escape]="escape_attempts.py"
)
order=(jwt kill9 hostile outage-sqlite outage-postgres outage-mariadb disk-full graphql-abuse escape)
[ $# -gt 0 ] && order=("$@")

failed=()
for name in "${order[@]}"; do
  cmd=${suite[$name]:?unknown reliability script $name}
  echo "== reliability: $name ($cmd)"
  start=$(date +%s)
  # shellcheck disable=SC2086
  if python3 -u $cmd; then
    echo "== reliability: $name passed in $(( $(date +%s) - start )) s"
  else
    echo "== reliability: $name FAILED after $(( $(date +%s) - start )) s"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "reliability failures: ${failed[*]}"
  exit 1
fi
