#!/usr/bin/env python3
"""`bucketwatch report --inventory --source clickhouse://` against the inventory from files.

The ledgers are the ones report_source_test.py uses (the real sensor replaying tests/pcap/demo
and the real-client captures of tests/pcap/e2e), loaded into a real clickhouse-server 18.16 with
`bucketwatch ledger-import`. For each the inventory is run from the files and from ClickHouse
and must be identical:
  - JSON: the whole document once `inventory.generated_at` and `inventory.sources` (which name
    the source) are removed; text: every line but the first two; CSV: byte for byte;
  - with --since, --until, both, and --bucket (names, globs ClickHouse prefilters, brackets it
    cannot), which move requests between the input counters;
  - after the demo ledger is imported twice with merges stopped (FINAL must hide the copies);
  - a fleet: the demo capture seen by two sensors (`--set sensor.name=...`) plus a copy of its
    ledger without observer.name (an older sensor) and with other client addresses, so rows
    list two sensors, count `unattributed` requests and several clients; and all e2e ledgers
    in one table.
Also: a wrong password fails without echoing it; --max-buckets 1 keeps one row on both sides.

usage: inventory_source_test.py --bucketwatch PATH [--work DIR]
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
from chserver import ClickHouseServer, require  # noqa: E402
from report_source_test import PCAPS, ledger_facts, import_ledger, run  # noqa: E402

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)
    return cond


class Inventories:
    def __init__(self, bw, url):
        self.bw = bw
        self.url = url

    def local(self, ledgers, *extra):
        cmd = [self.bw, "report", "--inventory", "--no-progress"]
        for l in ledgers:
            cmd += ["--ledger", l]
        return run(cmd + list(extra))

    def clickhouse(self, *extra):
        return run([self.bw, "report", "--inventory", "--no-progress", "--source", self.url] +
                   list(extra))

    def compare(self, name, ledgers, *extra):
        """Both inventories in json, text and csv; the JSON documents, parsed, are returned."""
        docs = None
        for fmt in ("json", "text", "csv"):
            a = self.local(ledgers, "--format", fmt, *extra)
            b = self.clickhouse("--format", fmt, *extra)
            what = f"{name} {fmt} {' '.join(extra)}".strip()
            if not check(a.returncode == 0, f"{what}: local inventory failed: {a.stderr}"):
                continue
            if not check(b.returncode == 0, f"{what}: clickhouse inventory failed: {b.stderr}"):
                continue
            left, right = a.stdout, b.stdout
            if fmt == "json":
                docs = [json.loads(left), json.loads(right)]
                check(docs[1]["inventory"]["sources"] == [self.url],
                      f"{what}: the inventory names the source")
                texts = []
                for doc in docs:
                    doc = json.loads(json.dumps(doc))
                    del doc["inventory"]["generated_at"]
                    del doc["inventory"]["sources"]
                    texts.append(json.dumps(doc, indent=1, ensure_ascii=False))
                left, right = texts
            elif fmt == "text":
                left = "\n".join(left.split("\n")[2:])
                right = "\n".join(right.split("\n")[2:])
            if not check(left == right, f"{what}: file and ClickHouse inventories differ"):
                diff = difflib.unified_diff(left.splitlines(), right.splitlines(), "file",
                                            "clickhouse", lineterm="", n=2)
                print("\n".join(list(diff)[:60]))
        return docs


def compare_all(inv, name, ledgers):
    docs = inv.compare(name, ledgers)
    if docs:  # not a vacuous comparison: every input line was read
        check(docs[0]["input"]["entries"] > 0, f"{name}: no entries")
    times, buckets = [], set()
    for l in ledgers:
        t, b = ledger_facts(l)
        times += t
        buckets.update(b)
    times.sort()
    mid = times[len(times) // 2]
    quarter = times[len(times) // 4]
    inv.compare(name, ledgers, "--since", mid)
    inv.compare(name, ledgers, "--until", mid)
    inv.compare(name, ledgers, "--since", quarter, "--until", mid)
    for b in sorted(buckets)[:3]:
        inv.compare(name, ledgers, "--bucket", b)
    inv.compare(name, ledgers, "--bucket", "*public*")
    inv.compare(name, ledgers, "--bucket", "*/?ublic-*")
    inv.compare(name, ledgers, "--bucket", "[a-p]*", "--since", quarter)
    return docs


def sensor_ledger(bw, pcap, path, sensor_name=None):
    if os.path.exists(path):
        os.unlink(path)
    cmd = [bw, "--read", pcap, "--ledger", path, "-q"]
    if sensor_name:
        cmd += ["--set", "sensor.name=" + sensor_name]
    r = run(cmd)
    if r.returncode != 0:
        raise SystemExit(f"sensor failed on {pcap}: {r.stderr}")
    return path


CLIENTS = ["192.0.2.10", "192.0.2.11", "198.51.100.7", "2001:db8::5"]


def older_sensor(src, dst):
    """The ledger as a sensor older than observer.name wrote it, its requests spread over four
    more client addresses (the captures have one client each), so distinct clients are counted."""
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            d = json.loads(line)
            d.pop("observer", None)
            d["source"]["ip"] = CLIENTS[i % len(CLIENTS)]
            out.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n")
    return dst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--work")
    args = ap.parse_args()
    require()
    bw = args.bucketwatch
    work = args.work or tempfile.mkdtemp(prefix="bw-ch-inventory-")
    os.makedirs(work, exist_ok=True)
    try:
        ledgers = {}
        for pcap in PCAPS:
            name = os.path.basename(pcap)[:-len(".pcap")]
            ledgers[name] = sensor_ledger(bw, pcap, os.path.join(work, name + ".jsonl"))
        demo_pcap = PCAPS[0]
        fleet = [sensor_ledger(bw, demo_pcap, os.path.join(work, "tap-a.jsonl"), "tap-a"),
                 sensor_ledger(bw, demo_pcap, os.path.join(work, "tap-b.jsonl"), "tap-b")]
        fleet.append(older_sensor(fleet[0], os.path.join(work, "old-sensor.jsonl")))

        with ClickHouseServer(work) as ch:
            ch.apply_schema()
            inv = Inventories(bw, ch.url)
            listed = 0
            for name, path in ledgers.items():
                ch.query("TRUNCATE TABLE bucketwatch.ledger")
                import_ledger(bw, path, ch.url)
                docs = compare_all(inv, name, [path])
                listed += len(docs[0]["buckets"]) if docs else 0
            check(listed >= 5, f"the captures list {listed} buckets, wanted at least 5")

            # Imported twice, as an at-least-once sink may: FINAL counts each line once.
            name, path = "storage_demo", ledgers["storage_demo"]
            ch.query("TRUNCATE TABLE bucketwatch.ledger")
            ch.query("SYSTEM STOP MERGES")
            import_ledger(bw, path, ch.url)
            import_ledger(bw, path, ch.url)
            stored = int(ch.query("SELECT count() FROM bucketwatch.ledger"))
            with open(path) as f:
                lines = sum(1 for _ in f)
            check(stored == 2 * lines, f"imported twice: {stored} rows stored, {lines} lines")
            compare_all(inv, "storage_demo imported twice", [path])
            ch.query("SYSTEM START MERGES")

            # Two sensors and an older one without observer.name saw the same requests.
            ch.query("TRUNCATE TABLE bucketwatch.ledger")
            for path in fleet:
                import_ledger(bw, path, ch.url)
            docs = compare_all(inv, "two sensors and an unnamed one", fleet)
            if check(docs is not None, "fleet: no JSON inventory"):
                rows = docs[1]["buckets"]
                check(rows and all(r["sensors"] == ["tap-a", "tap-b"] for r in rows),
                      "fleet: every row lists tap-a and tap-b: " +
                      str([r["sensors"] for r in rows]))
                check(rows and all(r["unattributed"] * 3 == r["anonymous_successes"]
                                   for r in rows),
                      "fleet: a third of each row's successes is unattributed")
                check(max(r["clients"] for r in rows) >= 4, "fleet: no row with 4 clients")
            csv = inv.clickhouse("--format", "csv").stdout
            check(",tap-a tap-b unknown\r\n" in csv, "fleet: csv names the sensors and unknown")

            # --max-buckets: one row, the rest counted (the ledger is in time order here).
            a = json.loads(inv.local(fleet, "--format", "json", "--max-buckets", "1").stdout)
            b = json.loads(inv.clickhouse("--format", "json", "--max-buckets", "1").stdout)
            check(len(b["buckets"]) == 1 and b["input"]["past_bucket_limit"] > 0,
                  "--max-buckets 1: one row, the others counted")
            check(a["input"] == b["input"], "--max-buckets 1: the input counts differ")

            # Every e2e ledger in one table.
            ch.query("TRUNCATE TABLE bucketwatch.ledger")
            e2e = [p for n, p in sorted(ledgers.items()) if n != "storage_demo"]
            for path in e2e:
                import_ledger(bw, path, ch.url)
            compare_all(inv, "all e2e ledgers", e2e)

            env = dict(os.environ, BUCKETWATCH_CLICKHOUSE_PASSWORD="not-the-password-7f3a")
            r = run([bw, "report", "--inventory", "--source", ch.url], env=env)
            check(r.returncode == 1, f"wrong password: exit {r.returncode}, wanted 1")
            check("not-the-password-7f3a" not in r.stderr + r.stdout,
                  "the password appears in the output")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("OK: file and ClickHouse inventories are identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
