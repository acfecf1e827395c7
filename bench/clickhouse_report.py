#!/usr/bin/env python3
"""The exposure report on N ledger rows in ClickHouse against the local report on the same rows
as files (issue 20): wall time and peak memory of each, and ClickHouse's ingest rate.

  1. N ledger lines from tests/report/bench_large_ledger.py's generator (the shape of its
     10M-line measurement: 40 buckets, 8 exposed, --objects distinct objects read anonymously,
     50,000 client addresses), gzip-compressed as rotated ledgers are; not through the sensor.
  2. A clickhouse-server 18.16 (tests/clickhouse/chserver.py) with deploy/clickhouse/schema.sql;
     the lines go in with `bucketwatch ledger-import` (the product path; client and server share
     this machine's cores): rows/s of the whole import. Then the bench waits for background
     merges to settle, so both reports read a table in its steady state.
  3. `report --format csv` (the whole per-object table, as bench_large_ledger.py measures) from
     the files, then from ClickHouse. Measured per run: wall time; the report process's peak
     RSS (wait4's ru_maxrss); for ClickHouse also the server's peak RSS while the report ran
     (VmHWM of clickhouse-server, reset through /proc/PID/clear_refs before the run) next to its
     RSS before it. Both tables are compared: equal, or how many rows differ.

Results go to stdout and, with --out, to a JSON file. CI runs a smoke size (--lines 20000).

usage: bench/clickhouse_report.py --bucketwatch PATH [--lines N] [--objects N] [--work DIR]
                                  [--out results.json] [--keep]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "report"))
sys.path.insert(0, os.path.join(ROOT, "tests", "clickhouse"))
import bench_large_ledger  # noqa: E402
from chserver import ClickHouseServer, require  # noqa: E402


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS MiB of that process, completed result)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # communicate() would reap the child; wait4 must, to get its own rusage. Threads drain the
    # pipes meanwhile.
    chunks = {"out": [], "err": []}
    ts = [threading.Thread(target=lambda s, k: chunks[k].append(s.read()), args=(p.stdout, "out")),
          threading.Thread(target=lambda s, k: chunks[k].append(s.read()), args=(p.stderr, "err"))]
    for t in ts:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    for t in ts:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    out, err = b"".join(chunks["out"]), b"".join(chunks["err"])
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024, out


def server_pid(ch):
    return ch.proc.pid  # chserver starts clickhouse-server itself (no shell)


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB -> MiB
    return 0.0


def wait_for_merges(ch, timeout=1800):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        merges = int(ch.query("SELECT count() FROM system.merges"))
        parts = int(ch.query("SELECT count() FROM system.parts WHERE active AND "
                             "database = 'bucketwatch' AND table = 'ledger'"))
        if merges == 0:
            return parts, time.monotonic() - t0
        time.sleep(2)
    return -1, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--objects", type=int, default=2_000_000)
    ap.add_argument("--work")
    ap.add_argument("--out")
    ap.add_argument("--keep", action="store_true", help="keep the ledger and the server's data")
    args = ap.parse_args()
    require()
    work = args.work or tempfile.mkdtemp(prefix="bw-bench-ch-")
    os.makedirs(work, exist_ok=True)
    results = {"lines": args.lines, "objects": args.objects, "nproc": os.cpu_count()}
    ledger = os.path.join(work, "large.jsonl.gz")
    ch = ClickHouseServer(work, name="bench-ch")
    try:
        if not os.path.exists(ledger + ".reads"):
            t0 = time.monotonic()
            reads = bench_large_ledger.generate(ledger, args.lines, args.objects)
            with open(ledger + ".reads", "w") as f:
                f.write(str(reads))
            print(f"generated {args.lines} lines in {time.monotonic() - t0:.1f} s, "
                  f"{os.path.getsize(ledger) / 1048576:.1f} MiB gzip", flush=True)

        ch.start()
        ch.apply_schema()
        wall, rss, _ = timed([args.bucketwatch, "ledger-import", "--ledger", ledger, "--to", ch.url])
        stored = int(ch.query("SELECT count() FROM bucketwatch.ledger"))
        results["import"] = {"seconds": wall, "rows_per_second": stored / wall,
                             "importer_peak_rss_mib": rss, "rows": stored}
        print(f"ledger-import: {stored} rows in {wall:.1f} s ({stored / wall:,.0f} rows/s), "
              f"importer peak RSS {rss:.0f} MiB", flush=True)
        parts, waited = wait_for_merges(ch)
        disk = ch.query("SELECT sum(bytes_on_disk), sum(data_uncompressed_bytes) FROM system.parts "
                        "WHERE active AND database = 'bucketwatch' AND table = 'ledger'").split()
        results["table"] = {"active_parts": parts, "merge_wait_seconds": waited,
                            "bytes_on_disk": int(disk[0]), "uncompressed_bytes": int(disk[1])}
        print(f"table: {parts} parts after {waited:.0f} s of merges, "
              f"{int(disk[0]) / 1048576:.0f} MiB on disk "
              f"({int(disk[0]) / max(stored, 1):.0f} B/row, "
              f"{int(disk[1]) / max(stored, 1):.0f} B/row uncompressed)", flush=True)

        local_csv = os.path.join(work, "local.csv")
        wall, rss, _ = timed([args.bucketwatch, "report", "--no-progress", "--ledger", ledger,
                              "--format", "csv", "--output", local_csv, "--temp-dir", work])
        results["local"] = {"seconds": wall, "peak_rss_mib": rss}
        print(f"local report: {wall:.1f} s, peak RSS {rss:.0f} MiB", flush=True)

        pid = server_pid(ch)
        before = proc_status(pid, "VmRSS")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        ch_csv = os.path.join(work, "clickhouse.csv")
        wall, rss, _ = timed([args.bucketwatch, "report", "--no-progress", "--source", ch.url,
                              "--format", "csv", "--output", ch_csv])
        server_peak = proc_status(pid, "VmHWM")
        results["clickhouse"] = {"seconds": wall, "report_peak_rss_mib": rss,
                                 "server_rss_before_mib": before,
                                 "server_peak_rss_mib": server_peak}
        print(f"clickhouse report: {wall:.1f} s, report process peak RSS {rss:.0f} MiB, "
              f"server peak RSS {server_peak:.0f} MiB (before: {before:.0f} MiB)", flush=True)

        with open(local_csv, "rb") as a, open(ch_csv, "rb") as b:
            la, lb = a.read().split(b"\r\n"), b.read().split(b"\r\n")
        differ = sum(1 for x, y in zip(la, lb) if x != y) + abs(len(la) - len(lb))
        results["tables"] = {"rows_local": len(la) - 2, "rows_clickhouse": len(lb) - 2,
                             "rows_differing": differ}
        print(f"object tables: {len(la) - 2} rows from files, {len(lb) - 2} from ClickHouse, "
              f"{differ} rows differ", flush=True)
    finally:
        ch.stop()
        if args.out:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if results.get("tables", {}).get("rows_differing", 1) else 0


if __name__ == "__main__":
    sys.exit(main())
