#!/usr/bin/env bash
# GraphQL dashboard benchmark on PostgreSQL: seeds 1,000 post-mortems (20
# timeline entries, 4 causes, 5 action items each), serves them with the release
# binary, and sends the dashboard query (first 50 post-mortems with everything
# nested, plus MTTx by service) from 8 concurrent clients with wrk on loopback.
# Prints requests/s, latency percentiles, SQL statements and CPU per request,
# first with every request worked out (answer cache off), then as served by
# default (a repeated query answered from memory while the data is unchanged),
# and by default while the data changes ten times a second.
# Usage: [BENCH_BIN=path] bench/graphql.sh [seconds=15] [role=viewer]
#   BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) must
#   be allowed to create databases; `hindsight_bench` is dropped and recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
role=${2:-viewer}
admin=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# BENCH_BIN: a binary built elsewhere (an earlier commit, to compare in one run).
if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release --locked -q
  bin="$PWD/target/release/hindsight"
fi
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

db=hindsight_bench
psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export HINDSIGHT_DATABASE_URL="${admin%/*}/$db"
export HINDSIGHT_DATA_DIR="$work" RUST_LOG=warn
# No trackers here: keep the sync worker from polling into the statement count.
export HINDSIGHT_SYNC_INTERVAL_MS=3600000 HINDSIGHT_RECONCILE_INTERVAL_MS=0
export HINDSIGHT_JWT_SECRET="bench-secret-that-is-at-least-32-bytes-long"
export HINDSIGHT_SECRET_KEY="$(printf '07%.0s' $(seq 32))"
port=$((20000 + RANDOM % 20000))
export HINDSIGHT_BIND="127.0.0.1:$port"
"$bin" migrate 2>/dev/null
start=$(date +%s.%N)
psql "$HINDSIGHT_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f bench/graphql_seed.sql
echo "seeded in $(echo "$(date +%s.%N) - $start" | bc) s"

export TOKEN=$("$bin" token --role "$role" --sub bench@example.com --ttl 1h)

python3 - "$work/body.json" <<'PY'
import json, sys
query = """
query Dashboard {
  postmortems(first: 50) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title summary status severity services
      impactStartedAt detectedAt acknowledgedAt mitigatedAt resolvedAt
      authorName
      timeline(first: 20) { occurredAt kind source title description }
      causesByArea { prevention { description } detection { description } mitigation { description } }
      actionItems { title status dueDate priority syncState externalKey externalUrl overdue
                    owner { displayName team } }
      participants { role name }
      metrics { timeToDetect timeToAcknowledge timeToMitigate timeToResolve longestPhase }
    } }
  }
  incidentStats(groupBy: SERVICE) {
    key incidents
    mttd { meanSeconds p50Seconds p90Seconds }
    mtta { meanSeconds p50Seconds p90Seconds }
    mttm { meanSeconds p50Seconds p90Seconds }
    mttr { meanSeconds p50Seconds p90Seconds }
  }
}"""
json.dump({"query": query}, open(sys.argv[1], "w"))
PY
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = io.open("$work/body.json"):read("*a")
LUA

url="http://127.0.0.1:$port/graphql"
start_server() {
  [ -n "$server" ] && { kill "$server"; wait "$server" 2>/dev/null || true; }
  HINDSIGHT_GRAPHQL_CACHE_BYTES=$1 "$bin" serve 2>"$work/server.log" &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
}
start_server 0
curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data @"$work/body.json" "$url" -o "$work/answer.json"
python3 - "$work/answer.json" <<'PY'
import json, os, sys
answer = json.load(open(sys.argv[1]))
assert "errors" not in answer, answer["errors"]
edges = answer["data"]["postmortems"]["edges"]
nodes = [e["node"] for e in edges]
print(f"one answer: {len(nodes)} post-mortems, "
      f"{sum(len(n['timeline']) for n in nodes)} timeline entries, "
      f"{sum(len(n['actionItems']) for n in nodes)} action items, "
      f"{len(answer['data']['incidentStats'])} services, "
      f"{os.path.getsize(sys.argv[1]) // 1024} KiB")
PY

statements() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^hindsight_db_statements_total/ {print $2}'; }
# CPU seconds a process has used: on a shared machine, a steadier figure than latency.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
postgres_cpu() {
  local total=0
  for p in $(pgrep -f "postgres: .* $db "); do total=$(echo "$total + $(cpu "$p")" | bc); done
  echo "$total"
}
measure() {
  echo "== $1"
  sequential=$(for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' --data @"$work/body.json" "$url"
  done | sort -n | sed -n '10p')
  echo "one client, one request at a time: median $(echo "$sequential * 1000" | bc) ms"
  wrk -t2 -c8 -d3s -s "$work/post.lua" "$url" >/dev/null # warm-up
  before=$(statements)
  cpu_before=$(cpu "$server")
  pg_before=$(postgres_cpu)
  wrk -t2 -c8 -d"${seconds}s" --latency -s "$work/post.lua" "$url" | tee "$work/wrk.txt"
  after=$(statements)
  cpu_after=$(cpu "$server")
  pg_after=$(postgres_cpu)
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  echo "SQL statements per request: $(echo "scale=2; ($after - $before) / $requests" | bc)"
  echo "server CPU per request: $(echo "scale=2; ($cpu_after - $cpu_before) * 1000 / $requests" | bc) ms"
  echo "PostgreSQL CPU per request: $(echo "scale=2; ($pg_after - $pg_before) * 1000 / $requests" | bc) ms"
  echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
measure "every request worked out (HINDSIGHT_GRAPHQL_CACHE_BYTES=0)"
start_server $((64 << 20))
measure "repeated query answered from memory while the data is unchanged (default)"
# The same with the data changing ten times a second (a timeline entry edited
# from psql, as another replica would): every change sends the next answers
# back to the database.
writer() {
  local entry
  entry=$(psql "$HINDSIGHT_DATABASE_URL" -qAt -c "SELECT id FROM timeline_entries LIMIT 1")
  for n in $(seq $((seconds * 10 + 40))); do
    echo "UPDATE timeline_entries SET description = 'edit $n', version = version + 1 WHERE id = '$entry';"
    sleep 0.1
  done | psql "$HINDSIGHT_DATABASE_URL" -q >/dev/null
}
writer &
writer_pid=$!
measure "default, with a write every 100 ms"
pkill -P "$writer_pid" 2>/dev/null || true
