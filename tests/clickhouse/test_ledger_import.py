#!/usr/bin/env python3
"""`bucketwatch ledger-import` into a real ClickHouse (18.16, tests/clickhouse/chserver.py).

The demo capture is read into a hash-chained ledger; the ledger is imported, then imported
again. Asserts: both imports exit 0 and say how many rows they sent; `count() FINAL` equals the
number of ledger lines after the second import (the re-sent rows collapse on line_sha256); every
column of every row equals the value computed here from the ledger line's JSON (ledger_rows.py,
independent of the C++ formatter), line_sha256 included; a gzip copy of the ledger imports the
same rows; a bad URL is a usage error (2) and an unreachable server a runtime failure (1).

usage: test_ledger_import.py --bucketwatch PATH
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chserver  # noqa: E402
import ledger_rows  # noqa: E402

ROOT = chserver.SOURCE_DIR
PCAP = os.path.join(ROOT, "tests", "pcap", "demo", "storage_demo.pcap")
failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    args = ap.parse_args()
    chserver.require()
    bw = args.bucketwatch
    tmp = tempfile.mkdtemp(prefix="bw-ch-import-")
    try:
        ledger = os.path.join(tmp, "ledger.jsonl")
        r = run([bw, "--read", PCAP, "--ledger", ledger, "-q", "--set", "sensor.name=tap-1",
                 "--set", "ledger.hash_chain=true"])
        check(r.returncode == 0, f"sensor exited {r.returncode}: {r.stderr}")
        lines = ledger_rows.read_ledger(ledger)
        check(len(lines) > 10, f"demo ledger has {len(lines)} lines")
        expected = {}
        for l in lines:
            row = ledger_rows.expected_row(l)
            expected[row["line_sha256"]] = row
        check(len(expected) == len(lines), "two ledger lines hash the same")

        with chserver.ClickHouseServer(tmp) as ch:
            ch.apply_schema()
            imp = [bw, "ledger-import", "--ledger", ledger, "--to", ch.url, "--batch-rows", "7"]
            for attempt in (1, 2):
                r = run(imp)
                check(r.returncode == 0, f"import {attempt} exited {r.returncode}: {r.stderr}")
                check(f"{len(lines)} lines, {len(lines)} rows" in r.stderr,
                      f"import {attempt} summary: {r.stderr.strip()}")
            total = int(ch.query("SELECT count() FROM bucketwatch.ledger").strip())
            final = int(ch.query("SELECT count() FROM bucketwatch.ledger FINAL").strip())
            check(final == len(lines), f"count() FINAL {final}, ledger lines {len(lines)}")
            # Without FINAL, duplicates that no merge has collapsed yet still count.
            check(len(lines) <= total <= 2 * len(lines), f"count() {total}")
            actual = {r["line_sha256"]: r for r in ledger_rows.rows_final(ch)}
            ledger_rows.compare(expected, actual, check, "import")

            # The same lines from a gzip-compressed rotated file: the same rows.
            gz = os.path.join(tmp, "copy.jsonl.20260101T000000Z.gz")
            with open(ledger, "rb") as src, gzip.open(gz, "wb") as dst:
                shutil.copyfileobj(src, dst)
            r = run([bw, "ledger-import", "--ledger", gz, "--to", ch.url])
            check(r.returncode == 0, f"gzip import exited {r.returncode}: {r.stderr}")
            final = int(ch.query("SELECT count() FROM bucketwatch.ledger FINAL").strip())
            check(final == len(lines), f"after the gzip import count() FINAL {final}")

            r = run([bw, "ledger-import", "--ledger", ledger, "--to", "http://x"])
            check(r.returncode == 2, f"bad URL exited {r.returncode}")
            port = chserver.free_port()
            r = run([bw, "ledger-import", "--ledger", ledger, "--timeout", "2", "--to",
                     f"clickhouse://127.0.0.1:{port}/bucketwatch"])
            check(r.returncode == 1, f"unreachable server exited {r.returncode}: {r.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
