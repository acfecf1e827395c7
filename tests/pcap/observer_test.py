#!/usr/bin/env python3
"""sensor.name (issue 20): every ledger line and alert says which sensor saw it, as ECS
observer.name and observer.hostname; without a name the host name stands in; a name that could
not be a metric label or a syslog field is refused at start with the key and the reason.
  observer_test.py BUCKETWATCH
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

CAPTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo", "storage_demo.pcap")


def run(bw, work, *sets):
    ledger, alerts = os.path.join(work, "ledger.jsonl"), os.path.join(work, "alerts.jsonl")
    for p in (ledger, alerts):
        if os.path.exists(p):
            os.remove(p)
    args = [bw, "--read", CAPTURE, "--ledger", ledger, "--alerts", alerts, "--metrics-listen", ""]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: {args} exited {p.returncode}: {p.stderr[-500:]}")
    with open(ledger) as f:
        lines = [json.loads(l) for l in f]
    with open(alerts) as f:
        raised = [json.loads(l) for l in f]
    return lines, raised


def main():
    bw = sys.argv[1]
    failures = []
    host = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:63] or "unknown"
    with tempfile.TemporaryDirectory() as work:
        for sets, name in ((["sensor.name=tap-fra-3.dc1"], "tap-fra-3.dc1"), ([], host)):
            lines, raised = run(bw, work, *sets)
            if not lines or not raised:
                failures.append(f"{sets}: {len(lines)} ledger lines, {len(raised)} alerts; want some of each")
            want = {"name": name, "hostname": host}
            for kind, docs in (("ledger line", lines), ("alert", raised)):
                wrong = [d.get("observer") for d in docs if d.get("observer") != want]
                if wrong:
                    failures.append(f"{sets}: {len(wrong)} of {len(docs)} {kind}s have observer "
                                    f"{wrong[0]}, want {want}")
            print(f"ok: {sets or 'default'}: {len(lines)} ledger lines and {len(raised)} alerts "
                  f"carry observer {want}")
        for bad in ("two words", "x" * 64, "tap/1", 'q"uote', "ünï"):
            p = subprocess.run([bw, "--check-config", "--set", f"sensor.name={bad}"],
                               capture_output=True, text=True, timeout=30)
            if p.returncode != 2 or "config error: sensor.name: expected 1 to 63" not in p.stderr:
                failures.append(f"sensor.name={bad!r}: exit {p.returncode}, {p.stderr.strip()[:200]}")
        print("ok: names with spaces, slashes, quotes, non-ASCII or 64 bytes are refused (exit 2)")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
