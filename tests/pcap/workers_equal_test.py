#!/usr/bin/env python3
"""pcap.workers_equal: the results do not depend on the number of workers.

    workers_equal_test.py BUCKETWATCH SOURCE_DIR WORKDIR

Every recorded capture (end-to-end client traffic, detection scenarios with their detection
overrides, the demo, the base captures) is read with --workers 1, with --workers 3 reading the
file itself (file fanout) and with --workers 3 fed from a pipe (one capture thread handing packets
to worker threads). Each run must give the same ledger, compared as a sorted multiset of lines
without the hash-chain field (which depends on the order of lines with equal times), and the same
alerts, compared as (rule, dedup key, counts, first and last seen), in order.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys


def ledger(path: str) -> list[str]:
    lines = []
    for line in open(path):
        obj = json.loads(line)
        obj.pop("log", None)
        lines.append(json.dumps(obj, sort_keys=True))
    return sorted(lines)


def alerts(path: str) -> list[tuple]:
    out = []
    for line in open(path):
        a = json.loads(line)
        out.append((a["rule"], a["dedup_key"], json.dumps(a["counts"], sort_keys=True),
                    a["first_seen"], a["last_seen"]))
    return out


def run(bw: str, capture: str, workers: int, pipe: bool, config: list[str], work: str, tag: str):
    led, al = f"{work}/{tag}.ledger", f"{work}/{tag}.alerts"
    for path in (led, al):  # the sensor appends
        if os.path.exists(path):
            os.remove(path)
    args = [bw, "--read", "-" if pipe else capture, "--ledger", led, "--alerts", al,
            "--workers", str(workers), "--set", "metrics.listen=", "-q", *config]
    stdin = open(capture, "rb") if pipe else subprocess.DEVNULL
    r = subprocess.run(args, stdin=stdin, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {r.returncode}: {r.stderr[-500:]}")
    return ledger(led), alerts(al)


def main() -> int:
    bw, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    cases = []
    for cap in sorted(glob.glob(f"{src}/tests/pcap/e2e/*.pcap") +
                      glob.glob(f"{src}/tests/pcap/demo/*.pcap") +
                      glob.glob(f"{src}/tests/pcap/captures/*.pcap")):
        cases.append((cap, []))
    for d in sorted(glob.glob(f"{src}/tests/pcap/detect/*/")):
        expected = os.path.join(d, "expected_alerts.json")
        if not os.path.exists(expected):
            continue
        config = []
        spec = json.load(open(expected))
        if "detection" in spec:
            path = f"{work}/{os.path.basename(d.rstrip('/'))}.yaml"
            with open(path, "w") as f:
                json.dump({"detection": spec["detection"]}, f)  # JSON is YAML
            config = ["--config", path]
        cases.append((os.path.join(d, "capture.pcap"), config))

    failed = 0
    total_lines = total_alerts = 0
    for cap, config in cases:
        name = os.path.relpath(cap, src)
        base = run(bw, cap, 1, False, config, work, "w1")
        total_lines += len(base[0])
        total_alerts += len(base[1])
        for workers, pipe in ((3, False), (3, True)):
            got = run(bw, cap, workers, pipe, config, work, f"w{workers}{'p' if pipe else ''}")
            how = f"--workers {workers}{' from a pipe' if pipe else ''}"
            if got[0] != base[0]:
                failed += 1
                only1 = len(set(base[0]) - set(got[0]))
                onlyn = len(set(got[0]) - set(base[0]))
                print(f"FAIL {name}: ledger differs with {how} ({len(base[0])} vs {len(got[0])} "
                      f"lines; {only1} only with 1 worker, {onlyn} only with {how})")
            elif got[1] != base[1]:
                failed += 1
                print(f"FAIL {name}: alerts differ with {how}:\n  1 worker: {base[1]}\n"
                      f"  {how}: {got[1]}")
            else:
                print(f"ok {name} {how}: {len(got[0])} ledger lines, {len(got[1])} alerts")
    print(f"workers_equal: {len(cases)} captures, {total_lines} ledger lines and {total_alerts} "
          f"alerts each way, {failed} differences")
    if total_lines == 0 or total_alerts == 0:
        print("FAIL: the captures produced no ledger line or no alert: nothing was compared")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
