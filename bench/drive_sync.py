#!/usr/bin/env python3
"""Drives bench/tracker_sync.sh: connects the mock Jira as the default tracker,
creates N action items, waits until none is pending, and reports."""

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

API, MOCK, TOKEN, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def call(method, path, body=None, base=API):
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def states():
    counts, cursor = {}, None
    while True:
        page = call("GET", "/api/v1/action-items?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        for item in page["items"]:
            counts[item["sync_state"]] = counts.get(item["sync_state"], 0) + 1
        cursor = page["next_cursor"]
        if not cursor:
            return counts


for _ in range(100):
    try:
        urllib.request.urlopen(API + "/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)

call("POST", "/api/v1/trackers", {
    "kind": "jira", "name": "Bench Jira", "base_url": MOCK, "project_key": "OPS",
    "email": "bot@example.com", "api_token": "bench", "allow_insecure_http": True, "is_default": True,
})
pm = call("POST", "/api/v1/postmortems", {"title": "Benchmark incident", "services": ["bench"]})
started = time.monotonic()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda n: call("POST", f"/api/v1/postmortems/{pm['id']}/action-items",
                                 {"title": f"Add an alert on lack of success, case {n}"}), range(N)))
created = time.monotonic()
while True:
    counts = states()
    if counts.get("pending", 0) == 0:
        break
    time.sleep(0.25)
drained = time.monotonic()
stats = call("GET", "/_stats", base=MOCK)
print(f"action items:                 {N} (created through the API in {created - started:.1f} s)")
print(f"outbox drained:               {drained - started:.1f} s after the first item was created")
print(f"final sync states:            {counts}")
print(f"issues created in mock Jira:  {stats['issues_created']} (duplicates: {stats['duplicate_issues']})")
print(f"requests to mock Jira:        {stats['requests']} = {stats['requests'] / max(stats['issues_created'], 1):.2f} per created issue")
print(f"injected: 5xx {stats['injected_5xx']}, timeouts {stats['injected_timeouts']}, 429 {stats['injected_429']}")
ok = stats["issues_created"] == N and stats["duplicate_issues"] == 0 and counts.get("synced", 0) == N
print("RESULT:", "ok, exactly one issue per action item" if ok else "FAILED")
sys.exit(0 if ok else 1)
