#!/usr/bin/env python3
"""The ClickHouse ledger sink (ledger.clickhouse) against a real ClickHouse 18.16.

(a) --read of the demo capture with the sink on and a file ledger: every ledger line is one row,
    and the rows equal, column by column, those `ledger-import` makes of the same ledger in a
    second table, and those computed here from the ledger JSON (ledger_rows.py): one formatter.
(b) ClickHouse down during a --read: the run exits 0, says rows stay queued, and the queue is
    on disk; ClickHouse started and a second run (an empty capture would do; the same capture
    again is what an operator does) delivers everything: count() FINAL exact, no duplicates.
(c) ClickHouse killed (SIGKILL) in the middle of a run over a larger capture and started again
    while the sensor keeps running: count() FINAL equals the ledger's lines.
(d) queue_max_bytes tiny with ClickHouse down: rows dropped are counted (--stats-json), the log
    says so once, and the run's exit code is 1 (lost rows).

usage: test_ledger_sink.py --bucketwatch PATH [--make-capture PATH] [--cases abcd]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chserver  # noqa: E402
import ledger_rows  # noqa: E402

PCAP = os.path.join(chserver.SOURCE_DIR, "tests", "pcap", "demo", "storage_demo.pcap")
failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)
    return cond


def sensor(bw, pcap, url, tmp, name, extra=(), timeout=600, popen=False):
    ledger = os.path.join(tmp, name + ".jsonl")
    stats = os.path.join(tmp, name + ".stats.json")
    cmd = [bw, "--read", pcap, "--ledger", ledger, "--stats-json", stats, "-q",
           "--set", "sensor.name=tap-1",
           "--set", f"ledger.clickhouse.url={url}",
           "--set", f"ledger.clickhouse.queue_dir={os.path.join(tmp, 'queue')}",
           "--set", "ledger.clickhouse.batch_interval_ms=100",
           "--set", "ledger.clickhouse.initial_backoff_ms=100",
           "--set", "ledger.clickhouse.max_backoff_ms=500",
           "--set", "ledger.clickhouse.timeout_ms=3000",
           "--set", "ledger.clickhouse.drain_timeout_ms=1000", *extra]
    if popen:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), \
            ledger, stats
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r, ledger, stats


def stats_of(path):
    with open(path) as f:
        return json.load(f)


def count_final(ch, table="bucketwatch.ledger"):
    return int(ch.query(f"SELECT count() FROM {table} FINAL").strip())


def queue_files(tmp):
    q = os.path.join(tmp, "queue")
    return sorted(n for n in os.listdir(q) if n.endswith(".rows")) if os.path.isdir(q) else []


def expected_of(ledger):
    return {r["line_sha256"]: r for r in map(ledger_rows.expected_row,
                                             ledger_rows.read_ledger(ledger))}


def case_a(bw, tmp):
    with chserver.ClickHouseServer(tmp) as ch:
        ch.apply_schema()
        ch.query("CREATE TABLE bucketwatch.imported AS bucketwatch.ledger")
        r, ledger, stats = sensor(bw, PCAP, ch.url, tmp, "a")
        check(r.returncode == 0, f"(a) sensor exited {r.returncode}: {r.stderr}")
        expected = expected_of(ledger)
        s = stats_of(stats)["clickhouse"]
        check(s["rows_sent"] == len(expected) and s["rows_queued"] == 0 and
              s["rows_dropped"] == 0, f"(a) stats {s}")
        check(count_final(ch) == len(expected), f"(a) count() FINAL != {len(expected)} lines")
        check(queue_files(tmp) == [], "(a) queue not empty")
        sink_rows = {x["line_sha256"]: x for x in ledger_rows.rows_final(ch)}
        ledger_rows.compare(expected, sink_rows, check, "(a) sink vs ledger")
        r = subprocess.run([bw, "ledger-import", "--ledger", ledger, "--to", ch.url, "--table",
                            "imported"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"(a) import exited {r.returncode}: {r.stderr}")
        imported = {x["line_sha256"]: x for x in
                    ledger_rows.rows_final(ch, "bucketwatch.imported")}
        ledger_rows.compare(sink_rows, imported, check, "(a) import vs sink")


def case_b(bw, tmp):
    ch = chserver.ClickHouseServer(tmp)
    # Down: nothing listens on its port yet.
    r, ledger, stats = sensor(bw, PCAP, ch.url, tmp, "b1")
    check(r.returncode == 0, f"(b) run 1 exited {r.returncode}: {r.stderr}")
    lines = len(ledger_rows.read_ledger(ledger))
    s = stats_of(stats)["clickhouse"]
    check(s["rows_sent"] == 0 and s["rows_queued"] == lines and s["send_failures"] > 0,
          f"(b) run 1 stats {s}")
    check("stay queued" in r.stderr, f"(b) run 1 does not say rows stay queued: {r.stderr}")
    check(len(queue_files(tmp)) > 0, "(b) no queue files after run 1")
    with ch:
        ch.apply_schema()
        r, ledger2, stats2 = sensor(bw, PCAP, ch.url, tmp, "b2")
        check(r.returncode == 0, f"(b) run 2 exited {r.returncode}: {r.stderr}")
        s = stats_of(stats2)["clickhouse"]
        check(s["rows_sent"] == 2 * lines and s["rows_queued"] == 0, f"(b) run 2 stats {s}")
        # The same capture twice gives the same lines: every row once under FINAL.
        check(count_final(ch) == lines, f"(b) count() FINAL {count_final(ch)} != {lines}")
        check(queue_files(tmp) == [], "(b) queue not empty after run 2")
        actual = {x["line_sha256"]: x for x in ledger_rows.rows_final(ch)}
        ledger_rows.compare(expected_of(ledger), actual, check, "(b)")


def case_c(bw, tmp, big_pcap):
    with chserver.ClickHouseServer(tmp) as ch:
        ch.apply_schema()
        # Slowed down so that the kill lands mid-run: a few hundred rows per batch.
        proc, ledger, stats = sensor(bw, big_pcap, ch.url, tmp, "c", popen=True,
                                     extra=["--set", "ledger.clickhouse.batch_rows=500",
                                            "--set", "ledger.clickhouse.drain_timeout_ms=60000"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if count_final(ch) > 0:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        sent_before = count_final(ch)
        ch.kill()
        time.sleep(1.5)
        ch.start()
        out, err = proc.communicate(timeout=600)
        check(proc.returncode == 0, f"(c) sensor exited {proc.returncode}: {err}")
        lines = len(ledger_rows.read_ledger(ledger))
        s = stats_of(stats)["clickhouse"]
        final = count_final(ch)
        print(f"(c) {lines} lines; {sent_before} rows in before the kill; stats {s}")
        check(s["rows_queued"] == 0 and s["rows_dropped"] == 0, f"(c) stats {s}")
        check(final == lines, f"(c) count() FINAL {final} != {lines} lines")
        check(s["send_failures"] > 0 or sent_before == lines,
              "(c) the kill did not interrupt anything")


def case_d(bw, tmp):
    ch = chserver.ClickHouseServer(tmp)
    r, ledger, stats = sensor(bw, PCAP, ch.url, tmp, "d",
                              extra=["--set", "ledger.clickhouse.queue_max_bytes=4096",
                                     "--set", "ledger.clickhouse.batch_rows=5"])
    lines = len(ledger_rows.read_ledger(ledger))
    s = stats_of(stats)["clickhouse"]
    check(r.returncode == 1, f"(d) exited {r.returncode}, expected 1 (rows lost)")
    check(s["rows_dropped"] > 0 and s["rows_dropped"] + s["rows_queued"] == lines,
          f"(d) stats {s}, {lines} lines")
    check(s["queue_bytes"] <= 4096, f"(d) queue {s['queue_bytes']} bytes > 4096")
    check(r.stderr.count("dropping ledger rows") == 1,
          f"(d) the drop is logged {r.stderr.count('dropping ledger rows')} times")
    check(f"lost {s['rows_dropped']} ClickHouse ledger row" in r.stderr, f"(d) {r.stderr}")
    check(stats_of(stats)["run"]["clickhouse_rows_lost"] == s["rows_dropped"], "(d) run.lost")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--make-capture", help="bw_make_storage_capture, for (c)")
    ap.add_argument("--capture-bytes", default="40M")
    ap.add_argument("--cases", default="abcd")
    args = ap.parse_args()
    chserver.require()
    for case in args.cases:
        tmp = tempfile.mkdtemp(prefix=f"bw-ch-sink-{case}-")
        try:
            if case == "c":
                if not args.make_capture:
                    print("(c) skipped: no --make-capture")
                    continue
                big = os.path.join(tmp, "big.pcap")
                subprocess.run([args.make_capture, "--out", big, "--bytes", args.capture_bytes,
                                "--https-share", "0", "--seed", "7",
                                "--shape", "many-small-objects"], check=True, timeout=600,
                               stdout=subprocess.DEVNULL)
                case_c(args.bucketwatch, tmp, big)
            else:
                globals()["case_" + case](args.bucketwatch, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
