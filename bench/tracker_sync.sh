#!/usr/bin/env bash
# Syncs N (default 1000) action items to a local mock Jira that injects 10% 5xx,
# 5% timeouts and bursts of 429, and reports the time to drain the outbox, the
# requests per created issue and the number of issues created (must be N).
#
#   bench/tracker_sync.sh [N]
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/tracker_sync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
APP_PORT=${BENCH_APP_PORT:-18080}
MOCK_PORT=${BENCH_MOCK_PORT:-18081}
cargo build --release -q
BIN=target/release/hindsight
WORK=$(mktemp -d)

python3 bench/mock_jira.py "$MOCK_PORT" 3 &
MOCK_PID=$!
export HINDSIGHT_DATABASE_URL=${BENCH_DATABASE_URL:-"sqlite://$WORK/bench.db?mode=rwc"}
export HINDSIGHT_BIND=127.0.0.1:$APP_PORT
export HINDSIGHT_DATA_DIR=$WORK
export HINDSIGHT_JWT_SECRET=bench-secret-that-is-at-least-32-bytes-long
export HINDSIGHT_SECRET_KEY=0000000000000000000000000000000000000000000000000000000000000001
export HINDSIGHT_SYNC_INTERVAL_MS=50
export HINDSIGHT_SYNC_BATCH=100
export HINDSIGHT_SYNC_CONCURRENCY=32
export HINDSIGHT_SYNC_MAX_ATTEMPTS=30
export HINDSIGHT_SYNC_BACKOFF_BASE_MS=100
export HINDSIGHT_SYNC_BACKOFF_CAP_MS=2000
export HINDSIGHT_TRACKER_TIMEOUT_MS=1000
export HINDSIGHT_SYNC_LEASE_MS=30000
export RUST_LOG=${RUST_LOG:-error}
"$BIN" serve &
APP_PID=$!
trap 'kill "$APP_PID" "$MOCK_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

TOKEN=$("$BIN" token --role admin --sub bench@example.com --ttl 1h)
python3 bench/drive_sync.py "http://127.0.0.1:$APP_PORT" "http://127.0.0.1:$MOCK_PORT" "$TOKEN" "$N"
