#!/usr/bin/env bash
# The reliability and security suite against the real binary (docs/reliability.md):
# JWT attack matrix, kill -9 under load (SQLite and PostgreSQL), hostile jobs, database
# outages (SQLite lock, a private PostgreSQL or MariaDB stopped), a private RabbitMQ
# stopped under AMQP dispatch, disk full, TLS to the database, GraphQL abuse with a
# legitimate client's latency measured, job definitions that try to escape, and a short
# load benchmark and memory soak. Each script prints its figures and fails
# on a broken promise. scripts/test-all runs this with the binary it built:
#   CRONKEEPER_BIN=target/debug/cronkeeper bash tests/reliability/run.sh
# Some scripts: bash tests/reliability/run.sh kill9 jwt (names: jwt kill9 kill9-postgres kill9-mariadb
# hostile outage-sqlite outage-postgres outage-mariadb outage-amqp disk-full db-tls graphql-abuse
# escape load-soak). Long variants are in docs/reliability.md.
set -uo pipefail
cd "$(dirname "$0")"
: "${CRONKEEPER_BIN:?set CRONKEEPER_BIN to the cronkeeper binary to test}"
export CRONKEEPER_BIN

declare -A suite=(
  [jwt]="jwt_matrix.py"
  [kill9]="kill9.py --rounds 20"
  # 5 rounds in the suite (CI time); the 20-round figures are in docs/reliability.md.
  [kill9-postgres]="kill9.py --backend postgres --rounds 5"
  [kill9-mariadb]="kill9.py --backend mariadb --rounds 5"
  [hostile]="hostile_jobs.py"
  [outage-sqlite]="db_outage.py sqlite"
  [outage-postgres]="db_outage.py postgres"
  [outage-mariadb]="db_outage.py mariadb"
  [outage-amqp]="amqp_outage.py"
  [disk-full]="disk_full.py"
  # One minute of soak and 5 s of wrk per query; the one-hour run is in docs/reliability.md.
  [load-soak]="load_soak.py --duration 60 --bench-seconds 5"
  [db-tls]="db_tls.py all"
  [graphql-abuse]="graphql_abuse.py"
  [escape]="escape_attempts.py"
)
# load-soak is not in the default run: it seeds a million runs and needs a quiet machine for
# its rate check; its one-hour figures are in docs/reliability.md. Run it by name.
order=(jwt kill9 kill9-postgres kill9-mariadb hostile outage-sqlite outage-postgres outage-mariadb outage-amqp disk-full db-tls graphql-abuse escape)
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
