#!/usr/bin/env bash
# Generated requests against the served OpenAPI document: schemathesis (pinned in
# scripts/python-requirements.txt, installed into target/venv by scripts/python-env.sh) runs
# against the real `tollgate` binary with the operator's key, on a fresh SQLite file and, when
# TOLLGATE_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database (dropped afterwards). Any
# 5xx, any response that breaks the document (schema, status code, content type, headers), a
# request the document forbids that is accepted, a 405 without `Allow`, a request without its
# credential that is not a 401, or fewer requests than asked for fails the run.
#
# Usage: scripts/schemathesis.sh MIN_REQUESTS
#   MIN_REQUESTS                 requests each backend must receive (default 1000)
#   SCHEMATHESIS_MAX_EXAMPLES    test cases per operation and phase (default: MIN_REQUESTS / 20)
#   SCHEMATHESIS_ARGS            more arguments for `schemathesis run` (`--report har`, `--phases fuzzing`)
#   SCHEMATHESIS_SEED            the seed of the first round (default: a fixed one, so `make test`
#                                repeats; `make fuzz` passes a fresh one). Printed, to replay a
#                                failure; further rounds, when needed, take the following seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERSION=$(sed -n 's/^schemathesis==//p' scripts/python-requirements.txt)
MIN_REQUESTS=${1:-1000}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-$((MIN_REQUESTS / 20 > 1 ? MIN_REQUESTS / 20 : 1))}
SEED=${SCHEMATHESIS_SEED:-20261202}
read -ra EXTRA_ARGS <<<"${SCHEMATHESIS_ARGS:-}"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
VENV=$TARGET/venv
PG_URL=${TOLLGATE_TEST_POSTGRES_URL:-}
# The operator's key: at least 32 characters, new for every run.
ADMIN_KEY="tg_schemathesis_$(date +%s)_$$_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# Every check but positive_data_acceptance, which wants every request the document allows to
# succeed, while a well-formed request can still name a metric, plan or feature that does not
# exist (422 unknown_metric, unknown_feature, plan_not_found), which no schema can know.
CHECKS=${SCHEMATHESIS_CHECKS:-all}
EXCLUDED_CHECKS=${SCHEMATHESIS_EXCLUDED_CHECKS:-positive_data_acceptance}

WORK=$(mktemp -d)
SERVER_PID=""
PG_DB=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
drop_database() {
  if [ -n "$PG_DB" ]; then
    psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
}
cleanup() {
  stop_server
  drop_database
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/python-env.sh >/dev/null

cargo build --quiet -p tollgate
BIN=$TARGET/debug/tollgate

# start_server NAME DATABASE_URL: starts the binary on a free port; sets SERVER_PID and BASE.
start_server() {
  local log="$WORK/$1.log"
  mkdir -p "$WORK/$1-data"
  TOLLGATE__DATABASE__URL="$2" TOLLGATE__SERVER__BIND=127.0.0.1:0 TOLLGATE__SERVER__WORKERS=2 \
    TOLLGATE__DATA_DIR="$WORK/$1-data" TOLLGATE_ADMIN_API_KEY="$ADMIN_KEY" RUST_LOG=warn \
    "$BIN" serve >"$log" 2>&1 &
  SERVER_PID=$!
  BASE=""
  for _ in $(seq 1 600); do
    BASE=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n1 | sed 's/listening on //') || true
    [ -n "$BASE" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the $1 server did not start:" >&2
  cat "$log" >&2
  exit 1
}

# requests_answered: the requests the server has answered, from its own metrics.
requests_answered() {
  { curl -sf "$BASE/metrics" || true; } | awk '/^tollgate_http_requests_total\{/ { n += $NF } END { print n + 0 }'
}

# fuzz NAME DATABASE_URL: one schemathesis run against a fresh server on that database.
fuzz() {
  local name=$1
  start_server "$name" "$2"
  # Accounts the document's examples name, so that generated requests reach real accounts too
  # (most generated keys name none and answer 404).
  for plan in free pro; do
    curl -sf -o /dev/null -X POST "$BASE/v1/accounts" -H "Authorization: Bearer $ADMIN_KEY" \
      -H 'Content-Type: application/json' -d "{\"key\":\"acme-$plan\",\"name\":\"Acme\",\"plan\":\"$plan\"}"
  done
  local status=0 round=0 answered=0
  # How many cases schemathesis draws varies with the seed (it stops early on operations whose
  # inputs run out), so rounds with the following seeds run until the server has answered
  # MIN_REQUESTS requests (at most 5 rounds).
  while [ "$status" -eq 0 ] && [ "$answered" -lt "$MIN_REQUESTS" ] && [ "$round" -lt 5 ]; do
    local seed=$((SEED + round))
    round=$((round + 1))
    echo "== schemathesis $VERSION on $name ($BASE), round $round: max $MAX_EXAMPLES examples per operation, seed $seed"
    # Run from target/schemathesis: schemathesis keeps its cache (.schemathesis/) in the directory
    # it runs in.
    (cd "$TARGET/schemathesis" && SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py" \
      TOLLGATE_FUZZ_OWN_KEY_ID=key_operator TOLLGATE_FUZZ_ADMIN_KEY="$ADMIN_KEY" \
      "$VENV/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" run "$BASE/openapi.json" \
      --checks "$CHECKS" --exclude-checks "$EXCLUDED_CHECKS" \
      --max-examples "$MAX_EXAMPLES" \
      --seed "$seed" \
      --workers 1 \
      --generation-database none \
      --request-timeout 30 \
      --no-color \
      --report junit --report-junit-path "$name-$round.xml" "${EXTRA_ARGS[@]}") 2>&1 | tee "$WORK/$name.out" \
      || status=$?
    # `N generated, N passed` (or `…, K found …`): the passed test cases, for the closing line.
    PASSED=$((PASSED + $(grep -oE '[0-9]+ generated, [0-9]+ passed' "$WORK/$name.out" | awk '{ print $3 }' || echo 0)))
    answered=$(requests_answered)
    if grep -q 'panicked' "$WORK/$name.log"; then
      echo "the $name server panicked:" >&2
      grep -A5 'panicked' "$WORK/$name.log" >&2
      status=1
    fi
    if [ "$status" -ne 0 ]; then
      echo "schemathesis failed on $name (exit $status); replay with SCHEMATHESIS_SEED=$seed" >&2
    fi
  done
  stop_server
  echo "== $name: the server answered $answered requests in $round rounds (at least $MIN_REQUESTS wanted)"
  if [ "$status" -ne 0 ]; then
    exit 1
  fi
  if [ "$answered" -lt "$MIN_REQUESTS" ]; then
    echo "too few requests on $name: $answered < $MIN_REQUESTS" >&2
    exit 1
  fi
}

mkdir -p "$TARGET/schemathesis"
PASSED=0
fuzz sqlite "sqlite://$WORK/fuzz.db"
if [ -n "$PG_URL" ]; then
  PG_DB="tollgate_fuzz_$$_$(date +%s)"
  psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
  fuzz postgres "$PG_URL/$PG_DB"
  drop_database
else
  echo "== postgres: skipped (TOLLGATE_TEST_POSTGRES_URL is unset)"
fi
# The plain closing line CI reads: a failure has exited above, so nothing failed here.
echo "schemathesis: $PASSED passed, 0 failed"
