#!/usr/bin/env bash
# HTTP load benchmark of the real binary: check and consume at 64 connections on SQLite and
# PostgreSQL, beside GET /health/live of the same binary, pgbench running the same conditional
# statement, and the raw SQLite statement rate, all measured in this run. Prints figures and
# ratios against the targets; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${BENCH_SECONDS:-8}
CONNECTIONS=64
PG_URL=${TOLLGATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
export TG_KEY="tg_bench_operator_key_$(date +%s)_$$"
WORK=$(mktemp -d)
SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS tollgate_bench WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p tollgate
BIN=target/release/tollgate

# start_server NAME DATABASE_URL: starts the binary, sets URL and PID.
start_server() {
  local log="$WORK/$1.log"
  TOLLGATE__DATABASE__URL="$2" TOLLGATE__SERVER__BIND=127.0.0.1:0 TOLLGATE_ADMIN_API_KEY="$TG_KEY" \
    TOLLGATE__DATA_DIR="$WORK/$1-data" RUST_LOG=warn "$BIN" serve >"$log" 2>&1 &
  PID=$!
  SERVERS+=("$PID")
  for _ in $(seq 1 300); do
    URL=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n1 | sed 's/listening on //') || true
    [ -n "${URL:-}" ] && return 0
    sleep 0.1
  done
  echo "server $1 did not start:" >&2; cat "$log" >&2; exit 1
}

create_accounts() {
  seq 0 999 | xargs -P 8 -I{} curl -sf -o /dev/null -X POST "$URL/v1/accounts" \
    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
    -d '{"key":"bench{}","name":"Bench {}","plan":"enterprise"}'
}

rss_mb() { awk "/^$2:/ {printf \"%.1f\", \$2/1024}" "/proc/$1/status"; }

# run LABEL wrk-args…: prints one row and stores "rps p50 p99" in RES.
run() {
  local label=$1; shift
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --timeout 10s "$@" | grep '^RESULT')
  RES=$(echo "$out" | awk '{print $2, $3, $4}')
  printf '%-34s %10s %9s %9s %7s\n' "$label" $(echo "$out" | awk '{print $2, $3, $4, $5}')
}

header() { printf '\n%s\n%-34s %10s %9s %9s %7s\n' "$1" "" "req/s" "p50 ms" "p99 ms" "errors"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# ---- SQLite ------------------------------------------------------------------------------
start_server sqlite "sqlite://$WORK/bench.db"
SQLITE_PID=$PID
sleep 1
IDLE_RSS=$(rss_mb "$PID" VmRSS)
create_accounts
header "SQLite (embedded), $CONNECTIONS connections, ${SECONDS_EACH}s each"
run "GET /health/live" -s bench/consume.lua "$URL" -- health; HEALTH=($RES)
run "POST check (1000 accounts)" -s bench/consume.lua "$URL" -- check 1000 c1; SQ_CHECK=($RES)
run "POST consume (1000 accounts)" -s bench/consume.lua "$URL" -- consume 1000 s1; SQ_CONSUME=($RES)
run "POST consume (1 hot account)" -s bench/consume.lua "$URL" -- consume 1 s2
SQLITE_PEAK=$(rss_mb "$PID" VmHWM)
kill "$PID"; wait "$PID" 2>/dev/null || true
RAW_SQLITE=$(python3 bench/sqlite_raw.py "$WORK/raw.db" "$SECONDS_EACH")
printf '%-34s %10s\n' "raw SQLite statement (1/commit)" "$RAW_SQLITE"

# ---- PostgreSQL --------------------------------------------------------------------------
psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS tollgate_bench WITH (FORCE)" >/dev/null
psql "$PG_URL/postgres" -qAtc "CREATE DATABASE tollgate_bench" >/dev/null
start_server postgres "$PG_URL/tollgate_bench"
create_accounts
header "PostgreSQL, $CONNECTIONS connections, ${SECONDS_EACH}s each"
run "POST check (1000 accounts)" -s bench/consume.lua "$URL" -- check 1000 c3; PG_CHECK=($RES)
run "POST consume (1000 accounts)" -s bench/consume.lua "$URL" -- consume 1000 p1; PG_CONSUME=($RES)
run "POST consume (1 hot account)" -s bench/consume.lua "$URL" -- consume 1 p2; PG_HOT=($RES)
PG_PEAK=$(rss_mb "$PID" VmHWM)
kill "$PID"; wait "$PID" 2>/dev/null || true

psql "$PG_URL/tollgate_bench" -qAtc "CREATE TABLE bench_counters (id BIGINT PRIMARY KEY, used BIGINT NOT NULL, lim BIGINT NOT NULL);
  INSERT INTO bench_counters SELECT g, 0, 1000000000000 FROM generate_series(1, 1000) g" >/dev/null
# pgb SCRIPT: tps, and p50/p99 in ms from pgbench's per-transaction log (latency in µs, column 3).
pgb() {
  rm -f "$WORK"/pgb.*
  local tps
  tps=$(cd "$WORK" && pgbench -n -c 16 -j 2 -T "$SECONDS_EACH" -l --log-prefix=pgb -f "$OLDPWD/$1" \
    "$PG_URL/tollgate_bench" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
  cat "$WORK"/pgb.* | awk '{print $3}' | sort -n | awk -v tps="$tps" '{v[NR]=$1} END {
    printf "%s %.2f %.2f", tps, v[int(NR*0.5)]/1000, v[int(NR*0.99)]/1000 }'
}
PGB=($(pgb bench/pgbench.sql))
PGB_HOT=($(pgb bench/pgbench-hot.sql))
printf '%-34s %10s %9s %9s\n' "pgbench, 1000 rows, 16 clients" "${PGB[@]}"
printf '%-34s %10s %9s %9s\n' "pgbench, hot row, 16 clients" "${PGB_HOT[@]}"
PGB_TPS=${PGB[0]}

# ---- Targets -----------------------------------------------------------------------------
printf '\nTargets (same run)                 measured    target\n'
printf '%-34s %8sx  >= 0.60x\n' "PG consume / pgbench tps" "$(ratio "${PG_CONSUME[0]}" "$PGB_TPS")"
printf '%-34s %8sx  <= 4.00x\n' "PG consume p99 / pgbench p99" "$(ratio "${PG_CONSUME[2]}" "${PGB[2]}")"
printf '%-34s %8sx  >= 1.00x\n' "PG hot consume / pgbench hot tps" "$(ratio "${PG_HOT[0]}" "${PGB_HOT[0]}")"
printf '%-34s %8sx  >= 0.25x\n' "SQLite consume / raw statement" "$(ratio "${SQ_CONSUME[0]}" "$RAW_SQLITE")"
printf '%-34s %8sx  >= 0.25x\n' "SQLite check / health" "$(ratio "${SQ_CHECK[0]}" "${HEALTH[0]}")"
printf '%-34s %8s   < 10 ms\n' "SQLite check p99 ms" "${SQ_CHECK[2]}"
printf '%-34s %8sx  >= 0.25x\n' "PG check / health" "$(ratio "${PG_CHECK[0]}" "${HEALTH[0]}")"
printf '\nServer RSS: idle %s MB; peak under load %s MB (SQLite), %s MB (PostgreSQL); limits 30 / 150 MB\n' \
  "$IDLE_RSS" "$SQLITE_PEAK" "$PG_PEAK"
