#!/usr/bin/env bash
# Webhook ingestion benchmark: signed PagerDuty V3 deliveries (distinct ids,
# each signed per request by bench/pagerduty.lua) from wrk on loopback, against
# the release binary on a fresh PostgreSQL database (durable commits:
# synchronous_commit stays on) and then on SQLite (WAL, synchronous=NORMAL).
#
# Reports accepted events/s at saturation, p50/p99 at an offered 2,000/s, peak
# RSS, and checks that the events stored equal the 202s seen plus those still
# in flight when wrk stopped (the server's own accepted count must equal the
# table exactly).
#
#   bench/webhooks.sh                 # both backends
#   BACKENDS=postgres bench/webhooks.sh
#   BENCH_BIN=/tmp/hindsight-before bench/webhooks.sh   # a binary built elsewhere
#                                     # (an earlier commit), to compare in one run
#
# Settings: BENCH_PG_ADMIN (postgres://postgres@127.0.0.1:5432/postgres),
# DURATION (10s), CONNECTIONS (64), THREADS (2), RATE (2000), RATE_CONNECTIONS (100).
set -euo pipefail

cd "$(dirname "$0")/.."
PG_ADMIN=${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
RATE=${RATE:-2000}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-100}
BACKENDS=${BACKENDS:-"postgres sqlite"}
PORT=${PORT:-18480}

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null || sudo apt-get install -y wrk >/dev/null; }
for tool in curl jq psql sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool" >&2; exit 1; }
done
if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN=$BENCH_BIN
else
  cargo build --release --quiet
  BIN=./target/release/hindsight
fi

WORK=$(mktemp -d)
SERVER_PID=""
DB_NAME=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n "$DB_NAME" ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export HINDSIGHT_JWT_SECRET=bench-jwt-secret-that-is-at-least-32-bytes
export HINDSIGHT_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export HINDSIGHT_DATA_DIR="$WORK/data"
export HINDSIGHT_BIND="127.0.0.1:$PORT"
export RUST_LOG=warn
BASE="http://127.0.0.1:$PORT"

count_events() {
  case "$1" in
    postgres) psql -qtA "${DATABASE_URL%%\?*}" -c "SELECT count(*) FROM events" ;;
    sqlite) sqlite3 "$WORK/bench.db" "SELECT count(*) FROM events" ;;
  esac
}

server_accepted() {
  curl -s "$BASE/metrics" | awk -v id="$1" '$0 ~ "hindsight_webhook_deliveries_total" && $0 ~ id && $0 ~ "outcome=\"accepted\"" {print $2}'
}

run_wrk() { # connections rate|"" -> RESULT line
  local conns=$1 rate=$2
  wrk -t"$THREADS" -c"$conns" -d"$DURATION" --latency -s bench/pagerduty.lua "$URL" -- "$SECRET" $rate ${rate:+$THREADS} \
    | tee "$WORK/wrk.log" | grep '^RESULT'
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

for backend in $BACKENDS; do
  case "$backend" in
    postgres)
      DB_NAME="hindsight_bench_$(date +%s)"
      psql -q "$PG_ADMIN" -c "CREATE DATABASE $DB_NAME" >/dev/null
      # Loopback: no TLS between the server and the database.
      export DATABASE_URL="${PG_ADMIN%/*}/$DB_NAME?sslmode=disable"
      echo "postgres synchronous_commit: $(psql -qtA "${DATABASE_URL%%\?*}" -c 'SHOW synchronous_commit')"
      ;;
    sqlite) export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" ;;
  esac
  export HINDSIGHT_DATABASE_URL="$DATABASE_URL"
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
  TOKEN=$("$BIN" token --role admin --sub bench@example.com --ttl 1h)
  CREATED=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    "$BASE/api/v1/integrations" -d '{"kind":"pagerduty","name":"bench"}')
  URL=$(jq -r .webhook_url <<<"$CREATED")
  SECRET=$(jq -r .secret <<<"$CREATED")
  INTEGRATION=$(jq -r .id <<<"$CREATED")

  SAT=$(run_wrk "$CONNECTIONS" "")
  AT_RATE=$(run_wrk "$RATE_CONNECTIONS" "$RATE")
  sleep 2 # in-flight requests finish; counts reach the metrics
  STORED=$(count_events "$backend")
  SEEN=$(( $(field accepted "$SAT") + $(field accepted "$AT_RATE") ))
  ACCEPTED=$(server_accepted "$INTEGRATION")
  RSS=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$SERVER_PID/status")
  SAT_RATE=$(awk -v n="$(field accepted "$SAT")" -v s="$(field seconds "$SAT")" 'BEGIN {printf "%.0f", n / s}')
  OFFERED=$(awk -v n="$(field accepted "$AT_RATE")" -v s="$(field seconds "$AT_RATE")" 'BEGIN {printf "%.0f", n / s}')

  echo "== $backend"
  echo "saturation ($CONNECTIONS connections): $SAT_RATE accepted events/s, non-202: $(field other "$SAT"), p50 $(field p50_ms "$SAT") ms, p99 $(field p99_ms "$SAT") ms"
  echo "at $RATE/s offered ($RATE_CONNECTIONS connections, achieved $OFFERED/s): p50 $(field p50_ms "$AT_RATE") ms, p99 $(field p99_ms "$AT_RATE") ms, non-202: $(field other "$AT_RATE")"
  echo "peak RSS: $RSS"
  echo "events stored: $STORED; server's accepted count: $ACCEPTED; 202s seen by wrk: $SEEN (the difference is requests in flight when wrk stopped)"
  if [[ "$STORED" != "$ACCEPTED" ]]; then echo "MISMATCH: stored events differ from accepted deliveries" >&2; exit 1; fi
  if (( STORED < SEEN || STORED - SEEN > CONNECTIONS + RATE_CONNECTIONS )); then
    echo "MISMATCH: stored events do not account for the 202s" >&2; exit 1
  fi

  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  if [[ -n "$DB_NAME" ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null; DB_NAME=""; fi
done
