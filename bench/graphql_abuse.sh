#!/usr/bin/env bash
# GraphQL under abuse, on PostgreSQL with the release binary: the dashboard
# load of bench/graphql.sh (same seed: 1,000 post-mortems with their parts;
# 8 clients with wrk, answer cache off so every request is worked out) first
# alone, then while four attackers each send one abusive request over and over,
# four at once (four connections each, each attacker its own token subject):
#   alias16k   16,000 aliased `postmortems(first: 1)` root fields (~917 KB)
#   bomb       a fragment bomb: 20 fragments each spreading the next twice
#   deep       a query nested one level deeper than HINDSIGHT_GRAPHQL_MAX_DEPTH
#   wide       the widest valid query: 49 aliases of 100 post-mortems with
#              their timelines, just under the field, alias and complexity caps
# Prints the server's idle and peak RSS and the dashboard's p99 alone and under
# attack. Issue 11 asks: RSS less than 100 MB above idle, p99 within 2x.
# Usage: [BENCH_BIN=path] bench/graphql_abuse.sh [seconds=20]
#   BENCH_ADMIN_URL as in bench/graphql.sh; `hindsight_abuse` is recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
admin=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release --locked -q
  bin="$PWD/target/release/hindsight"
fi
work=$(mktemp -d)
server=""
attackers=()
cleanup() {
  for a in "${attackers[@]}"; do kill "$a" 2>/dev/null || true; done
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

db=hindsight_abuse
psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export HINDSIGHT_DATABASE_URL="${admin%/*}/$db"
export HINDSIGHT_DATA_DIR="$work" RUST_LOG=error
export HINDSIGHT_SYNC_INTERVAL_MS=3600000 HINDSIGHT_RECONCILE_INTERVAL_MS=0
export HINDSIGHT_JWT_SECRET="bench-secret-that-is-at-least-32-bytes-long"
export HINDSIGHT_SECRET_KEY="$(printf '07%.0s' $(seq 32))"
# Large enough that the 917 KB request is read and refused by the GraphQL
# guard, not by the body limit.
export HINDSIGHT_BODY_LIMIT=$((2 << 20)) HINDSIGHT_GRAPHQL_CACHE_BYTES=0
port=$((20000 + RANDOM % 20000))
export HINDSIGHT_BIND="127.0.0.1:$port"
"$bin" migrate 2>/dev/null
psql "$HINDSIGHT_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f bench/graphql_seed.sql
token() { "$bin" token --role viewer --sub "$1@example.com" --ttl 1h; }

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
dashboard = """
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
    mttr { meanSeconds p50Seconds p90Seconds }
  }
}"""
alias16k = "{ " + " ".join(
    f"p{n}: postmortems(first: 1) {{ edges {{ node {{ id }} }} }}" for n in range(16000)) + " }"
bomb = "{ ...F0 } " + " ".join(
    f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(20)
) + " fragment F20 on Query { __typename }"
deep = "{ " + "actionItems { edges { node { postmortem { " * 3 + "title" + " } } } }" * 3 + " }"
node = ("id title summary status severity services impactStartedAt detectedAt "
        "acknowledgedAt mitigatedAt resolvedAt timeline(first: 20) { title }")
wide = "{ " + " ".join(
    f"p{n}: postmortems(first: 100) {{ edges {{ node {{ {node} }} }} }}" for n in range(49)) + " }"
for name, query in [("dashboard", dashboard), ("alias16k", alias16k), ("bomb", bomb),
                    ("deep", deep), ("wide", wide)]:
    json.dump({"query": query}, open(f"{work}/{name}.json", "w"))
PY

script() { # script <name> <token>: a wrk script POSTing $work/<name>.json
  cat >"$work/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
wrk.body = io.open("$work/$1.json"):read("*a")
LUA
}
script dashboard "$(token dashboard)"
for a in alias16k bomb deep wide; do script "$a" "$(token "attacker-$a")"; done

url="http://127.0.0.1:$port/graphql"
"$bin" serve 2>"$work/server.log" &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done

post() { # post <name>: one request, its answer to $work/<name>.out, prints time and size
  local auth
  auth=$(awk -F'"' '/Authorization/ {print $4}' "$work/$1.lua")
  curl -s -o "$work/$1.out" -w '%{time_total} s, %{size_upload} bytes sent, %{size_download} bytes answered' \
    -H "Authorization: $auth" -H 'Content-Type: application/json' --data-binary @"$work/$1.json" "$url"
}
echo "== each request once"
for a in dashboard alias16k bomb deep wide; do
  printf '%-10s %s: ' "$a" "$(post "$a")"
  python3 -c "
import json, sys
a = json.load(open(sys.argv[1]))
errors = a.get('errors') or []
print('refused, ' + errors[0]['extensions']['code'] if errors else 'answered')" "$work/$a.out"
done

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
p99() { # p99 of a wrk --latency report, in ms
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+/, "", v);
       if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v }' "$1"
}
wrk -t2 -c8 -d3s -s "$work/dashboard.lua" "$url" >/dev/null # warm-up
idle=$(rss)
echo "== dashboard alone (8 connections, ${seconds} s)"
wrk -t2 -c8 -d"${seconds}s" --latency -s "$work/dashboard.lua" "$url" >"$work/alone.txt"
grep -E "Requests/sec|Non-2xx" "$work/alone.txt" || true
alone=$(p99 "$work/alone.txt")
echo "p99 ${alone} ms; RSS idle $((idle / 1024)) MB, after $(( $(rss) / 1024 )) MB"

echo "== dashboard while four attackers each send four at once"
for a in alias16k bomb deep wide; do
  wrk -t1 -c4 -d"$((seconds + 4))s" -s "$work/$a.lua" "$url" >"$work/attack-$a.txt" &
  attackers+=($!)
done
peak=$(rss)
( while kill -0 "$server" 2>/dev/null; do
    r=$(rss); [ "$r" -gt "$(cat "$work/peak" 2>/dev/null || echo 0)" ] && echo "$r" >"$work/peak"
    sleep 0.1
  done ) &
sampler=$!
sleep 2
wrk -t2 -c8 -d"${seconds}s" --latency -s "$work/dashboard.lua" "$url" >"$work/attacked.txt"
for a in "${attackers[@]}"; do wait "$a" || true; done
attackers=()
kill "$sampler" 2>/dev/null || true
peak=$(( $(cat "$work/peak" 2>/dev/null || echo "$peak") ))
grep -E "Requests/sec|Non-2xx" "$work/attacked.txt" || true
attacked=$(p99 "$work/attacked.txt")
for a in alias16k bomb deep wide; do
  printf '%-9s %s requests, %s/s\n' "$a" \
    "$(awk '/requests in/ {print $1}' "$work/attack-$a.txt")" \
    "$(awk '/Requests\/sec/ {print $2}' "$work/attack-$a.txt")"
done
echo "== result"
echo "dashboard p99: alone ${alone} ms, under attack ${attacked} ms ($(echo "scale=2; $attacked / $alone" | bc)x; asked: within 2x)"
echo "server RSS: idle $((idle / 1024)) MB, peak under attack $((peak / 1024)) MB ($(( (peak - idle) / 1024 )) MB above idle; asked: under 100 MB)"
echo "machine load average: $(cut -d' ' -f1-3 /proc/loadavg)"
