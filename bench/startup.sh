#!/usr/bin/env bash
# Start-up figures of the release binary on its embedded SQLite default:
# time from exec to the first 200 on /readyz (fresh data dir, so it creates the
# database, generates keys and migrates), idle RSS, and binary size.
# Usage: bench/startup.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin="$PWD/target/release/hindsight"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
port=$((20000 + RANDOM % 20000))
export HINDSIGHT_BIND="127.0.0.1:$port"
python3 - "$bin" "$port" <<'PY'
import subprocess, sys, time, urllib.request
binary, port = sys.argv[1], sys.argv[2]
def ready_ms():
    start = time.monotonic()
    proc = subprocess.Popen([binary], stderr=subprocess.DEVNULL)
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                return proc, (time.monotonic() - start) * 1000
        except Exception:
            time.sleep(0.002)
proc, first = ready_ms()
time.sleep(2)
rss = next(l.split()[1] for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmRSS"))
proc.terminate(); proc.wait()
proc, again = ready_ms()
proc.terminate(); proc.wait()
print(f"first start to 200 /readyz (create db, keys, migrate): {first:.0f} ms")
print(f"restart to 200 /readyz:                               {again:.0f} ms")
print(f"idle RSS after start:                                 {int(rss)/1024:.1f} MiB")
PY
echo "release binary size: $(du -h "$bin" | cut -f1)"
