#!/usr/bin/env bash
# What N idle replicas cost PostgreSQL: starts N release binaries on one fresh
# database with nothing to do (no trackers, no traffic), lets them settle, then
# counts over a window the transactions PostgreSQL ran for them, the CPU its
# backends spent, and the connections they hold.
# Usage: [BENCH_BIN=path] [BENCH_SETTLE=10] bench/idle_replicas.sh [seconds=30] [N...=1 4 16]
#   BENCH_SETTLE: seconds between start and the first count.
#   BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) must be
#   allowed to create databases; `hindsight_idle` is dropped and recreated.
#   Reads the backends' CPU from /proc: run it on the database's machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 4 16)
admin=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release --locked -q
  bin="$PWD/target/release/hindsight"
fi
db=hindsight_idle
url="${admin%/*}/$db"
work=$(mktemp -d)
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap 'stop; rm -rf "$work"' EXIT

export HINDSIGHT_DATABASE_URL="$url" HINDSIGHT_DATA_DIR="$work" RUST_LOG=warn
export HINDSIGHT_JWT_SECRET="bench-secret-that-is-at-least-32-bytes-long"
export HINDSIGHT_SECRET_KEY="$(printf '07%.0s' $(seq 32))"

# Transactions committed and rolled back in the database, and CPU ticks of
# its backends (a backend that ended meanwhile is missed: none should).
snapshot() {
  local tx cpu=0 pid
  tx=$(psql "$admin" -tAq -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'")
  for pid in $(psql "$admin" -tAq -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()"); do
    if [ -r "/proc/$pid/stat" ]; then
      cpu=$((cpu + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    fi
  done
  echo "$tx $cpu"
}

ticks=$(getconf CLK_TCK)
printf '%-9s %-14s %-18s %-12s\n' replicas "transactions/s" "backend CPU ms/s" connections
for n in "${counts[@]}"; do
  psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  "$bin" migrate 2>/dev/null
  for i in $(seq 1 "$n"); do
    HINDSIGHT_BIND="127.0.0.1:$((21000 + i))" "$bin" serve 2>>"$work/serve.log" &
    pids+=($!)
  done
  sleep "${BENCH_SETTLE:-10}"
  read -r tx0 cpu0 <<<"$(snapshot)"
  sleep "$seconds"
  read -r tx1 cpu1 <<<"$(snapshot)"
  conns=$(psql "$admin" -tAq -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()")
  # The snapshots query the admin database: they count in neither figure.
  printf '%-9s %-14s %-18s %-12s\n' "$n" \
    "$(echo "scale=1; ($tx1 - $tx0) / $seconds" | bc)" \
    "$(echo "scale=2; ($cpu1 - $cpu0) * 1000 / $ticks / $seconds" | bc)" \
    "$conns"
  stop
  [ -s "$work/serve.log" ] && grep -i -m3 error "$work/serve.log" >&2 || true
done
psql "$admin" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
