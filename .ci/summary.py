#!/usr/bin/env python3
"""Counts what CI's ctest runs did and decides whether they pass.

  summary.py RESULTS_DIR STAGE... [--may-skip FILE] [--format-status TEXT]

For each STAGE, RESULTS_DIR holds STAGE.xml (ctest --output-junit), STAGE.tests.json (ctest
--show-only=json-v1: the labels), STAGE.rc (the stage's exit code) and STAGE.seconds. A test is

  passed   status "run"
  failed   status "fail", or "notrun" for any reason other than a skip (e.g. "Unable to find
           executable"): ctest's JUnit writer files those under <skipped> too
  skipped  status "notrun" with SKIP_RETURN_CODE / SKIP_REGULAR_EXPRESSION_MATCHED, or "disabled"

CI runs as root on Debian 12 with every dependency installed, so every test must run: a skipped
test fails CI unless a line of --may-skip names it (a regular expression over the test name,
then the reason). Each stage must also run its required labels (REQUIRED below) with at least
one passed test, so a group that vanished (not configured, filtered out) fails too.
Prints the failed and skipped tests, then one closing line:

  ci: PASS|FAIL (reasons): P passed, F failed, S skipped (K not allowed)
      [passed/failed/skipped: STAGE P/F/S SECONDSs, ...]; format: ...; SECONDSs
"""
import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

# Labels each stage must run (at least one test passed with that label).
REQUIRED = {
    "asan": ["unit", "pcap", "workers", "live", "detect", "evasion", "e2e", "faults", "floods",
             "fuzz", "metrics", "deploy", "report", "sinks", "bench"],
    "tsan": ["unit", "workers"],
    "gcc": ["unit"],
}
SKIP_MESSAGES = ("SKIP_RETURN_CODE", "SKIP_REGULAR_EXPRESSION_MATCHED")


def read_may_skip(path):
    rules = []
    if not path or not os.path.exists(path):
        return rules
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}: '{pattern}' has no reason")
        rules.append((re.compile(pattern), reason.strip()))
    return rules


def classify(case):
    status = case.get("status", "")
    if status == "run":
        return "passed", ""
    if status == "disabled":
        return "skipped", "disabled"
    skipped = case.find("skipped")
    message = skipped.get("message", "") if skipped is not None else ""
    if status == "notrun" and message.startswith(SKIP_MESSAGES):
        out = (case.findtext("system-out") or "").strip().splitlines()
        return "skipped", (out[-1] if out else message)[:160]
    return "failed", message or status


def seconds(results, stage):
    path = os.path.join(results, stage + ".seconds")
    return f" {open(path).read().strip()}s" if os.path.exists(path) else ""


def labels_of(path):
    try:
        data = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    labels = {}
    for test in data.get("tests", []):
        for prop in test.get("properties", []):
            if prop.get("name") == "LABELS":
                labels[test["name"]] = set(prop.get("value", []))
    return labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("stages", nargs="+")
    ap.add_argument("--may-skip")
    ap.add_argument("--format-status", default="not run")
    ap.add_argument("--format-ok", action="store_true")
    ap.add_argument("--seconds", type=int, default=0)
    args = ap.parse_args()
    may_skip = read_may_skip(args.may_skip)

    totals = {"passed": 0, "failed": 0, "skipped": 0}
    not_allowed = 0
    per_stage = []
    problems = []
    for stage in args.stages:
        xml = os.path.join(args.results, stage + ".xml")
        rc_file = os.path.join(args.results, stage + ".rc")
        rc = open(rc_file).read().strip() if os.path.exists(rc_file) else "?"
        if not os.path.exists(xml):
            per_stage.append(f"{stage} no tests ran (exit {rc})" + seconds(args.results, stage))
            problems.append(f"{stage}: no test results (the stage failed before ctest, exit {rc})")
            continue
        try:
            cases = ET.parse(xml).getroot().iter("testcase")
        except ET.ParseError as e:
            per_stage.append(f"{stage} unreadable results")
            problems.append(f"{stage}: {xml}: {e}")
            continue
        labels = labels_of(os.path.join(args.results, stage + ".tests.json"))
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        ran_labels = set()
        for case in cases:
            name = case.get("name", "?")
            outcome, why = classify(case)
            counts[outcome] += 1
            if outcome == "passed":
                ran_labels |= labels.get(name, set())
            elif outcome == "failed":
                print(f"ci: FAILED: {stage} {name}" + (f": {why}" if why else ""))
            elif outcome == "skipped":
                allowed = next((r for p, r in may_skip if p.fullmatch(name)), None)
                if allowed:
                    print(f"ci: skipped (allowed: {allowed}): {stage} {name}: {why}")
                else:
                    not_allowed += 1
                    print(f"ci: SKIPPED, must run in CI: {stage} {name}: {why}")
        for label in REQUIRED.get(stage, []):
            if label not in ran_labels:
                problems.append(f"{stage}: no test labelled '{label}' passed")
        if rc not in ("0", "?") and counts["failed"] == 0:
            problems.append(f"{stage}: exit {rc} with no failed test")
        for k in totals:
            totals[k] += counts[k]
        per_stage.append(f"{stage} {counts['passed']}/{counts['failed']}/{counts['skipped']}"
                         + seconds(args.results, stage))

    for p in problems:
        print("ci: " + p)
    why = [reason for reason, bad in (("failed tests", totals["failed"]),
                                      ("skips", not_allowed), ("stages", problems),
                                      ("format", not args.format_ok)) if bad]
    verdict = f"FAIL ({', '.join(why)})" if why else "PASS"
    print(f"ci: {verdict}: {totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped ({not_allowed} not allowed) "
          f"[passed/failed/skipped: {', '.join(per_stage)}]; format: {args.format_status}; "
          f"{args.seconds}s")
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
