#!/usr/bin/env python3
"""Compares the alerts a run raised with a scenario's expected_alerts.json.

    check_alerts.py EXPECTED_ALERTS.json ALERTS.jsonl

ALERTS.jsonl is what `bucketwatch --read SCENARIO/capture.pcap --alerts ALERTS.jsonl` wrote (with
the scenario's "detection" overrides given as --set detection.KEY=VALUE, see the scenario's
README.md). Per rule, the alerts must be exactly as many as expected, in firing order, each with
the "fields" given (dotted paths into the alert JSON, "counts.objects", "source.ip", ...) and at
least the "at_least" values; every rule not listed, or listed with [], must raise nothing.
The same semantics as tests/unit/sensor/detect/replay_test.cc. Exit 0 on a match, 1 otherwise.
"""

from __future__ import annotations

import json
import sys

RULES = ("anonymous_list", "anonymous_read", "bucket_enumeration", "bulk_exfiltration",
         "new_public_exposure")
MISSING = object()


def lookup(alert: dict, path: str):
    node = alert
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    expected = json.load(open(sys.argv[1]))
    alerts = [json.loads(x) for x in open(sys.argv[2]) if x.strip()]
    errors = []
    for rule in RULES:
        want = expected.get("expect", {}).get(rule, [])
        got = [a for a in alerts if a.get("rule") == rule]
        if len(got) != len(want):
            errors.append(f"{rule}: {len(got)} alerts raised, expected {len(want)}: "
                          + "; ".join(a.get("summary", "") for a in got))
            continue
        for i, (w, g) in enumerate(zip(want, got)):
            for path, value in w.get("fields", {}).items():
                v = lookup(g, path)
                if v != value:
                    errors.append(f"{rule}[{i}] {path}: {'absent' if v is MISSING else repr(v)}, expected {value!r}")
            for path, value in w.get("at_least", {}).items():
                v = lookup(g, path)
                if not isinstance(v, (int, float)) or v < value:
                    errors.append(f"{rule}[{i}] {path}: {'absent' if v is MISSING else repr(v)}, expected >= {value}")
    for e in errors:
        print(f"check_alerts: {e}", file=sys.stderr)
    print(f"check_alerts: {sys.argv[1]}: {len(alerts)} alerts, {'ok' if not errors else f'{len(errors)} mismatches'}",
          file=sys.stderr)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
