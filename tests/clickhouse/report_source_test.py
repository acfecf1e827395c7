#!/usr/bin/env python3
"""`bucketwatch report --source clickhouse://` against the local report, on the same ledgers.

Ledgers come from the real sensor replaying the bundled captures (tests/pcap/demo and the
real-client captures of tests/pcap/e2e); they go into a real clickhouse-server 18.16 through
`bucketwatch ledger-import`, the product path. For each ledger the exposure report is run from
the files and from ClickHouse and must be identical:
  - JSON: the whole document, once `report.generated_at` and `report.ledgers` (which name the
    source) are removed;
  - text: every line but the first two (generation time, source); CSV: byte for byte;
  - with --since, --until, both, and --bucket (plain names, globs ClickHouse prefilters and
    brackets it cannot), which move rows between the input counters;
  - after the ledger is imported a second time (FINAL must hide the duplicates);
  - all e2e ledgers in one table at once.
Also: --source with --ledger is a usage error; a wrong password fails without echoing it.

usage: report_source_test.py --bucketwatch PATH [--work DIR]
"""
import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from chserver import ClickHouseServer, SOURCE_DIR, require  # noqa: E402

PCAPS = [os.path.join(SOURCE_DIR, "tests", "pcap", "demo", "storage_demo.pcap")]
E2E = os.path.join(SOURCE_DIR, "tests", "pcap", "e2e")
PCAPS += sorted(os.path.join(E2E, f) for f in os.listdir(E2E) if f.endswith(".pcap"))

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)
    return cond


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, timeout=300, env=env)
    r.stdout = r.stdout.decode("utf-8", "surrogateescape")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


class Reports:
    def __init__(self, bw, url):
        self.bw = bw
        self.url = url

    def local(self, ledgers, *extra):
        cmd = [self.bw, "report", "--no-progress"]
        for l in ledgers:
            cmd += ["--ledger", l]
        return run(cmd + list(extra))

    def clickhouse(self, *extra):
        return run([self.bw, "report", "--no-progress", "--source", self.url] + list(extra))

    def compare(self, name, ledgers, *extra):
        """Both reports in json, text and csv, with the same extra arguments."""
        for fmt in ("json", "text", "csv"):
            a = self.local(ledgers, "--format", fmt, *extra)
            b = self.clickhouse("--format", fmt, *extra)
            what = f"{name} {fmt} {' '.join(extra)}".strip()
            if not check(a.returncode == 0, f"{what}: local report failed: {a.stderr}"):
                continue
            if not check(b.returncode == 0, f"{what}: clickhouse report failed: {b.stderr}"):
                continue
            left, right = a.stdout, b.stdout
            if fmt == "json":
                docs = []
                for text in (left, right):
                    doc = json.loads(text)
                    del doc["report"]["generated_at"]
                    del doc["report"]["ledgers"]
                    docs.append(json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=False))
                left, right = docs
                check(json.loads(b.stdout)["report"]["ledgers"] == [self.url],
                      f"{what}: the report names the source")
                if not extra:  # not a vacuous comparison (authenticated-only ledgers list none)
                    check(json.loads(a.stdout)["input"]["entries"] > 0, f"{what}: no entries")
            elif fmt == "text":
                left = "\n".join(left.split("\n")[2:])
                right = "\n".join(right.split("\n")[2:])
            if not check(left == right, f"{what}: file and ClickHouse reports differ"):
                diff = difflib.unified_diff(left.splitlines(), right.splitlines(), "file",
                                            "clickhouse", lineterm="", n=2)
                print("\n".join(list(diff)[:60]))


def ledger_facts(path):
    times, buckets = [], set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            times.append(d["@timestamp"])
            s = d.get("storage", {})
            if s.get("bucket"):
                buckets.add(s["bucket"])
    return sorted(times), sorted(buckets)


def compare_all(reports, name, ledgers):
    reports.compare(name, ledgers)
    times, buckets = [], set()
    for l in ledgers:
        t, b = ledger_facts(l)
        times += t
        buckets.update(b)
    times.sort()
    mid = times[len(times) // 2]
    quarter = times[len(times) // 4]
    reports.compare(name, ledgers, "--since", mid)
    reports.compare(name, ledgers, "--until", mid)
    reports.compare(name, ledgers, "--since", quarter, "--until", mid)
    for b in sorted(buckets)[:3]:
        reports.compare(name, ledgers, "--bucket", b)
    # A glob ClickHouse prefilters, one on account/bucket, one with brackets (fnmatch only).
    reports.compare(name, ledgers, "--bucket", "*public*")
    reports.compare(name, ledgers, "--bucket", "*/?ublic-*")
    reports.compare(name, ledgers, "--bucket", "[a-p]*", "--since", quarter)


def import_ledger(bw, ledger, url):
    r = run([bw, "ledger-import", "--ledger", ledger, "--to", url])
    if r.returncode != 0:
        raise SystemExit(f"ledger-import {ledger} failed ({r.returncode}): {r.stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--work")
    args = ap.parse_args()
    require()
    work = args.work or tempfile.mkdtemp(prefix="bw-ch-report-")
    os.makedirs(work, exist_ok=True)
    try:
        ledgers = {}
        for pcap in PCAPS:
            name = os.path.basename(pcap)[:-len(".pcap")]
            path = os.path.join(work, name + ".jsonl")
            if os.path.exists(path):
                os.unlink(path)
            r = run([args.bucketwatch, "--read", pcap, "--ledger", path])
            if r.returncode != 0:
                raise SystemExit(f"sensor failed on {pcap}: {r.stderr}")
            ledgers[name] = path

        with ClickHouseServer(work) as ch:
            ch.apply_schema()
            reports = Reports(args.bucketwatch, ch.url)
            for name, path in ledgers.items():
                ch.query("TRUNCATE TABLE bucketwatch.ledger")
                import_ledger(args.bucketwatch, path, ch.url)
                compare_all(reports, name, [path])

            # Imported twice, as an at-least-once sink may: FINAL counts each line once.
            name, path = "storage_demo", ledgers["storage_demo"]
            ch.query("TRUNCATE TABLE bucketwatch.ledger")
            ch.query("SYSTEM STOP MERGES")  # keep both copies: only FINAL may collapse them
            import_ledger(args.bucketwatch, path, ch.url)
            import_ledger(args.bucketwatch, path, ch.url)
            stored = int(ch.query("SELECT count() FROM bucketwatch.ledger"))
            with open(path) as f:
                lines = sum(1 for _ in f)
            check(stored == 2 * lines, f"imported twice: {stored} rows stored, {lines} lines")
            compare_all(reports, "storage_demo imported twice", [path])
            ch.query("SYSTEM START MERGES")

            # Every e2e ledger in one table.
            ch.query("TRUNCATE TABLE bucketwatch.ledger")
            e2e = [p for n, p in sorted(ledgers.items()) if n != "storage_demo"]
            for path in e2e:
                import_ledger(args.bucketwatch, path, ch.url)
            compare_all(reports, "all e2e ledgers", e2e)
            doc = json.loads(reports.clickhouse("--format", "json").stdout)
            check(len(doc["buckets"]) >= 5, "all e2e ledgers: fewer than 5 buckets listed")

            # Usage: one source; the password from the environment, never echoed.
            r = run([args.bucketwatch, "report", "--source", ch.url, "--ledger", path])
            check(r.returncode == 2, f"--source with --ledger: exit {r.returncode}, wanted 2")
            env = dict(os.environ, BUCKETWATCH_CLICKHOUSE_PASSWORD="not-the-password-7f3a")
            r = run([args.bucketwatch, "report", "--source", ch.url], env=env)
            check(r.returncode == 1, f"wrong password: exit {r.returncode}, wanted 1")
            check("not-the-password-7f3a" not in r.stderr + r.stdout,
                  "the password appears in the output")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("OK: file and ClickHouse reports are identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
