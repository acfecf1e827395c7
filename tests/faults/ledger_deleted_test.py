#!/usr/bin/env python3
"""faults.ledger_deleted (issue 18, item 5): the ledger is deleted, or moved away and SIGHUP
sent, while the sensor writes it. Before, every later line went to the deleted file: no log line,
counted as written. The sensor reads a detection capture from a pipe (`--read -`), two copies two
hours apart; the fault happens between them.

  rm:     a new file appears at the path within seconds, while the input is idle; the lines of
          the second copy (and any of the first written since the file was last seen in place)
          are in it, and `report --verify` accepts it; one log line; /metrics shows
          bucketwatch_ledger_reopens_total 1 and no line lost; --stats-json agrees. The flow log
          and the alerts file, deleted with it, are reopened the same way.
  SIGHUP: after `mv ledger ledger.moved` and SIGHUP, the moved file keeps the first copy, a new
          file at the path gets the second; the reload does not end the piped input.
usage: ledger_deleted_test.py BUCKETWATCH CAPTURE WORKDIR
"""
import datetime
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

SHIFT = 7200  # seconds between the two copies


def fail(msg, stderr_path=None):
    if stderr_path and os.path.exists(stderr_path):
        msg += "\n--- sensor stderr (tail)\n" + open(stderr_path).read()[-3000:]
    sys.exit("FAIL: " + msg)


def split_capture(path):
    """The pcap header and the records, as (seconds, rest of the record) pairs."""
    data = open(path, "rb").read()
    e = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    records, off, body = [], 0, data[24:]
    while off + 16 <= len(body):
        sec, _, incl, _ = struct.unpack(e + "IIII", body[off:off + 16])
        records.append((sec, body[off + 4:off + 16 + incl]))
        off += 16 + incl
    return data[:24], e, records


def copy_of(e, records, k):
    return b"".join(struct.pack(e + "I", sec + k * SHIFT) + rest for sec, rest in records)


def lines_of(path):
    """The whole lines of a file (a line being written may be seen in part: left out)."""
    try:
        with open(path, "rb") as f:
            return [json.loads(line) for line in f.read().split(b"\n")[:-1]]
    except FileNotFoundError:
        return []


def wait_for(what, cond, timeout, stderr_path):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what, stderr_path)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("bucketwatch_ledger_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def stamp(line):
    return datetime.datetime.fromisoformat(line["@timestamp"].replace("Z", "+00:00")).timestamp()


class Run:
    def __init__(self, bw, work, name, header):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.ledger = os.path.join(self.dir, "ledger.jsonl")
        self.flows = os.path.join(self.dir, "flows.jsonl")
        self.alerts = os.path.join(self.dir, "alerts.jsonl")
        self.stats = os.path.join(self.dir, "stats.json")
        self.err = os.path.join(self.dir, "stderr")
        self.port = free_port()
        self.errf = open(self.err, "w")
        self.p = subprocess.Popen(
            [bw, "--read", "-", "--ledger", self.ledger, "--stats-json", self.stats,
             "--flow-log", self.flows, "--alerts", self.alerts,
             "--linger", "30", "--set", "metrics.listen=127.0.0.1:%d" % self.port, "-q"],
            stdin=subprocess.PIPE, stderr=self.errf)
        self.p.stdin.write(header)

    def feed(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def lingering(self):
        try:
            return "input done; lingering" in open(self.err).read()
        except FileNotFoundError:
            return False

    def finish(self):
        self.p.stdin.close()
        wait_for("the input to end", self.lingering, 20, self.err)
        metrics = scrape(self.port)
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            fail("the sensor did not stop on SIGTERM", self.err)
        self.errf.close()
        if rc != 0:
            fail("exit %d" % rc, self.err)
        return metrics, json.load(open(self.stats))["ledger"], open(self.err).read()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def check_rm(bw, work, header, e, records, per_copy, once):
    run = Run(bw, work, "rm", header)
    try:
        run.feed(copy_of(e, records, 0))
        wait_for("the first copy's lines", lambda: len(lines_of(run.ledger)) >= per_copy, 20,
                 run.err)
        # At once: some of these lines were not yet seen in place; they must move with the rest.
        # Flow-log lines come once packet time moves on, so most of them follow the rm.
        wait_for("the first copy's alerts",
                 lambda: len(lines_of(run.alerts)) >= len(once["alerts"]), 20, run.err)
        for path in (run.ledger, run.flows, run.alerts):
            os.unlink(path)
        # Noticed while nothing is written (the check runs about once a second), not only when
        # the ledger is closed.
        wait_for("new files at the paths",
                 lambda: all(os.path.exists(p) for p in (run.ledger, run.flows, run.alerts)), 5,
                 run.err)
        run.feed(copy_of(e, records, 1))
        metrics, stats, log = run.finish()
    finally:
        run.kill()
    lines = lines_of(run.ledger)
    if len(lines) < per_copy:
        fail("new ledger has %d lines, want at least the second copy's %d" % (len(lines), per_copy),
             run.err)
    first_copy_end = min(stamp(x) for x in lines) + SHIFT / 2
    second = [x for x in lines if stamp(x) > first_copy_end]
    if len(second) != per_copy or lines[-per_copy:] != second:
        fail("new ledger: %d lines of the second copy (want %d, at its end)" %
             (len(second), per_copy), run.err)
    moved = len(lines) - per_copy
    said = [x for x in log.splitlines() if "ledger %s was deleted while open" % run.ledger in x]
    if len(said) != 1:
        fail("want one log line for the deleted ledger", run.err)
    if moved and "the %d lines written since" % moved not in said[0]:
        fail("the log line does not say the %d lines moved" % moved, run.err)
    want = {"bucketwatch_ledger_lines_total": 2 * per_copy,
            "bucketwatch_ledger_reopens_total": 1,
            "bucketwatch_ledger_lines_lost_total": 0,
            "bucketwatch_ledger_write_errors_total": 0}
    for name, value in want.items():
        if metrics.get(name) != value:
            fail("metric %s = %s, want %s" % (name, metrics.get(name), value), run.err)
    if stats["lines"] != 2 * per_copy or stats["reopens"] != 1 or stats["lines_lost"] != 0:
        fail("--stats-json ledger: %s" % stats, run.err)
    v = subprocess.run([bw, "report", "--verify", "--ledger", run.ledger, "--no-progress"],
                       capture_output=True, text=True, timeout=60)
    if v.returncode != 0:
        fail("report --verify on the new ledger: %s%s" % (v.stdout, v.stderr))
    for name, path in (("flows", run.flows), ("alerts", run.alerts)):
        got = len(lines_of(path))
        if got < len(once[name]) or got > 2 * len(once[name]):
            fail("new %s file has %d lines, want the second copy's %d (and any of the first "
                 "not yet seen in place)" % (name, got, len(once[name])), run.err)
        if "%s was deleted while open" % path not in log:
            fail("no log line for the deleted %s file" % name, run.err)
    return moved


def check_sighup(bw, work, header, e, records, per_copy):
    run = Run(bw, work, "sighup", header)
    moved = run.ledger + ".moved"
    try:
        run.feed(copy_of(e, records, 0))
        wait_for("the first copy's lines", lambda: len(lines_of(run.ledger)) >= per_copy, 20,
                 run.err)
        os.rename(run.ledger, moved)
        run.p.send_signal(signal.SIGHUP)
        run.feed(copy_of(e, records, 1))
        wait_for("a new ledger at the path", lambda: len(lines_of(run.ledger)) >= per_copy, 20,
                 run.err)
        metrics, stats, log = run.finish()
    finally:
        run.kill()
    old, new = lines_of(moved), lines_of(run.ledger)
    if len(old) != per_copy or len(new) != per_copy:
        fail("moved ledger %d lines, new %d, want %d each" % (len(old), len(new), per_copy),
             run.err)
    if min(stamp(x) for x in new) <= max(stamp(x) for x in old):
        fail("the new ledger holds lines of the first copy", run.err)
    if log.count("ledger %s was renamed or replaced while open" % run.ledger) != 1:
        fail("want one log line for the moved ledger", run.err)
    if "config reloaded" not in log:
        fail("SIGHUP was not handled", run.err)
    if metrics.get("bucketwatch_ledger_reopens_total") != 1 or stats["reopens"] != 1:
        fail("reopens: metric %s, stats %s" %
             (metrics.get("bucketwatch_ledger_reopens_total"), stats), run.err)
    v = subprocess.run([bw, "report", "--verify", "--ledger", moved, "--ledger", run.ledger,
                        "--no-progress"], capture_output=True, text=True, timeout=60)
    if v.returncode != 0:
        fail("report --verify across the moved and the new ledger: %s%s" % (v.stdout, v.stderr))


def main():
    bw, capture, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    header, e, records = split_capture(capture)
    # The lines one copy gives, from a plain run.
    once = {name: os.path.join(work, "once.%s.jsonl" % name)
            for name in ("ledger", "flows", "alerts")}
    subprocess.run([bw, "--read", capture, "--ledger", once["ledger"], "--flow-log",
                    once["flows"], "--alerts", once["alerts"], "-q", "--set", "metrics.listen="],
                   check=True, timeout=60)
    once = {name: lines_of(path) for name, path in once.items()}
    per_copy = len(once["ledger"])
    if per_copy < 10 or not once["alerts"]:
        fail("the capture gives only %d ledger lines and %d alerts" %
             (per_copy, len(once["alerts"])))
    moved = check_rm(bw, work, header, e, records, per_copy, once)
    check_sighup(bw, work, header, e, records, per_copy)
    print("ok: rm mid-run: %d lines of the second copy (and %d of the first, moved from the "
          "deleted file) in a new ledger that verifies, one log line, reopens 1, 0 lost; "
          "mv + SIGHUP: %d lines each side, chain verifies across both" %
          (per_copy, moved, per_copy))


if __name__ == "__main__":
    main()
