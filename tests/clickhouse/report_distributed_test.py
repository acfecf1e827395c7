#!/usr/bin/env python3
"""The sharded central ledger: deploy/clickhouse/distributed.sql on two real clickhouse-servers.

Two servers form the cluster `bucketwatch` (the <remote_servers> of deploy/clickhouse/cluster.xml,
with their loopback ports); each gets distributed.sql: its ledger_local and the Distributed
table `bucketwatch.ledger`. Then:
  - ledger_local has exactly schema.sql's columns;
  - the sensor's ledger of storage_demo.pcap goes in through `ledger-import` into the
    Distributed table on the first server, and rows land on both shards;
  - `report --source` against either server gives the local report's JSON (and text, CSV,
    filters: the comparisons of report_source_test.py);
  - imported a second time, with merges stopped on both shards, the copies are stored (each on
    the shard of its original, by the sharding key) and FINAL still counts each line once.

usage: report_distributed_test.py --bucketwatch PATH [--work DIR]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report_source_test as rs  # noqa: E402
from chserver import ClickHouseServer, SOURCE_DIR, require  # noqa: E402

DISTRIBUTED = os.path.join(SOURCE_DIR, "deploy", "clickhouse", "distributed.sql")

CLUSTER = """<remote_servers><bucketwatch>
  <shard><replica><host>127.0.0.1</host><port>{0}</port></replica></shard>
  <shard><replica><host>127.0.0.1</host><port>{1}</port></replica></shard>
</bucketwatch></remote_servers>"""


def local_count(ch):
    return int(ch.query("SELECT count() FROM bucketwatch.ledger_local"))


def wait_for_rows(shards, total, timeout=60):
    """Inserts into a Distributed table are forwarded in the background (18.16's default)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = [local_count(ch) for ch in shards]
        if sum(counts) >= total:
            return counts
        time.sleep(0.2)
    raise SystemExit(f"the shards hold {counts} rows, {total} expected")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--work")
    args = ap.parse_args()
    require()
    work = args.work or tempfile.mkdtemp(prefix="bw-ch-dist-")
    os.makedirs(work, exist_ok=True)
    shards = [ClickHouseServer(work, name="shard1"), ClickHouseServer(work, name="shard2")]
    for ch in shards:
        ch.extra_config = CLUSTER.format(shards[0].tcp_port, shards[1].tcp_port)
    try:
        ledger = os.path.join(work, "storage_demo.jsonl")
        if os.path.exists(ledger):
            os.unlink(ledger)
        r = rs.run([args.bucketwatch, "--read", rs.PCAPS[0], "--ledger", ledger])
        if r.returncode != 0:
            raise SystemExit(f"sensor failed: {r.stderr}")
        with open(ledger) as f:
            lines = sum(1 for _ in f)

        for ch in shards:
            ch.start()
            ch.apply_schema(DISTRIBUTED)
        # ledger_local is schema.sql's table under another name.
        probe = shards[0]
        with open(os.path.join(SOURCE_DIR, "deploy", "clickhouse", "schema.sql")) as f:
            single = f.read().replace("bucketwatch", "schema_check")
        renamed = os.path.join(work, "schema_check.sql")
        with open(renamed, "w") as f:
            f.write(single)
        probe.apply_schema(renamed)
        cols = "SELECT name, type FROM system.columns WHERE database = '{}' " \
               "AND table = '{}' FORMAT TSV"
        rs.check(probe.query(cols.format("schema_check", "ledger")) ==
                 probe.query(cols.format("bucketwatch", "ledger_local")),
                 "ledger_local's columns differ from schema.sql's")

        rs.import_ledger(args.bucketwatch, ledger, shards[0].url)
        counts = wait_for_rows(shards, lines)
        print(f"rows per shard: {counts}")
        rs.check(sum(counts) == lines and all(counts), f"rows per shard {counts}, {lines} lines")

        for i, ch in enumerate(shards):
            reports = rs.Reports(args.bucketwatch, ch.url)
            if i == 0:
                rs.compare_all(reports, "distributed", [ledger])
            else:
                reports.compare("distributed via the other node", [ledger])

        # Twice: the copies go to the shards of their originals, and FINAL hides them.
        for ch in shards:
            ch.query("SYSTEM STOP MERGES")
        rs.import_ledger(args.bucketwatch, ledger, shards[1].url)
        twice = wait_for_rows(shards, 2 * lines)
        rs.check(twice == [2 * c for c in counts], f"copies per shard {twice}, first {counts}")
        rs.compare_all(rs.Reports(args.bucketwatch, shards[0].url), "distributed twice", [ledger])
    finally:
        for ch in shards:
            ch.stop()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if rs.failures:
        print(f"{len(rs.failures)} failures")
        return 1
    print("OK: the Distributed table gives the file report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
