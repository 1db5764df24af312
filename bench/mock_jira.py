#!/usr/bin/env python3
"""A small Jira Cloud stand-in for bench/tracker_sync.sh.

Answers the calls hindsight's worker makes (create issue, JQL search by marker
label, edit issue, get issue) the way Jira does, and misbehaves on purpose:
10% of requests get a 5xx (half of those after the issue was created, like a
proxy failing on the way back), 5% hang past the client's timeout (the issue is
created all the same), and every few seconds a burst of 429s with Retry-After.
GET /_stats reports what happened, including issues that share a marker label.
"""

import json
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG_SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
BURST_EVERY, BURST_LENGTH = 4.0, 0.4

lock = threading.Lock()
issues = {}  # key -> {"labels": [...], "summary": str}
counts = {"requests": 0, "creates_received": 0, "injected_5xx": 0, "injected_timeouts": 0, "injected_429": 0}
started = time.monotonic()


def bean(key):
    return {
        "id": key.split("-")[1], "key": key, "self": f"http://jira.local/rest/api/3/issue/{key}",
        "fields": {
            "summary": issues[key]["summary"],
            "status": {"name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}},
            "assignee": None, "duedate": None, "resolution": None,
            "updated": "2026-11-24T10:00:00.000+0000",
        },
    }


class Jira(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): that is the point of the hang

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def handle_any(self, method):
        if self.path == "/_stats":
            with lock:
                by_label = {}
                for key, issue in issues.items():
                    for label in issue["labels"]:
                        if label.startswith("hindsight-"):
                            by_label.setdefault(label, []).append(key)
                dupes = sum(len(keys) - 1 for keys in by_label.values())
                return self.reply(200, dict(counts, issues_created=len(issues), duplicate_issues=dupes))
        body = self.body() if method in ("POST", "PUT") else {}
        with lock:
            counts["requests"] += 1
        if (time.monotonic() - started) % BURST_EVERY < BURST_LENGTH:
            with lock:
                counts["injected_429"] += 1
            return self.reply(429, {"errorMessages": ["Rate limit exceeded."]}, [("Retry-After", "1")])
        roll = random.random()
        if roll < 0.05:
            with lock:
                counts["injected_5xx"] += 1
            return self.reply(503, {"errorMessages": ["Service unavailable"]})
        creating = method == "POST" and self.path == "/rest/api/3/issue"
        answer = self.route(method, body)
        if roll < 0.10:
            with lock:
                counts["injected_5xx"] += 1
            return self.reply(500, {"errorMessages": ["Internal server error"]})
        if roll < 0.15:
            with lock:
                counts["injected_timeouts"] += 1
            time.sleep(HANG_SECONDS)
        if creating:
            with lock:
                counts["creates_received"] += 1
        return self.reply(*answer)

    def route(self, method, body):
        with lock:
            if method == "POST" and self.path == "/rest/api/3/issue":
                key = f"OPS-{len(issues) + 1}"
                issues[key] = {"labels": body["fields"].get("labels", []), "summary": body["fields"]["summary"]}
                return 201, {"id": key.split("-")[1], "key": key, "self": f"http://jira.local/rest/api/3/issue/{key}"}
            if method == "POST" and self.path == "/rest/api/3/search/jql":
                match = re.search(r'labels = "?([\w-]+)"?', body.get("jql", ""))
                found = [k for k, i in issues.items() if match and match.group(1) in i["labels"]]
                return 200, {"issues": [bean(k) for k in found], "isLast": True}
            key = self.path.split("?")[0].rsplit("/", 1)[-1]
            if key in issues and method == "PUT":
                return 204, None
            if key in issues and method == "GET":
                return 200, bean(key)
            return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 18081
    server = ThreadingHTTPServer(("127.0.0.1", port), Jira)
    server.daemon_threads = True
    server.serve_forever()
