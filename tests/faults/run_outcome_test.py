#!/usr/bin/env python3
"""faults.run_outcome: the exit code and the last lines tell what a run lost (issue 18, item 8).

    run_outcome_test.py BUCKETWATCH CAPTURE WORKDIR

- A complete run: exit 0, no "lost" or "interrupted" line, stats run.* all zero.
- Ledger lines lost: to /dev/full, to a closed stdout, to a pipe whose reader is gone (broken
  pipe): exit 1 and "lost N ledger lines", N = ledger.write_errors = run.ledger_lines_lost > 0,
  also with --quiet.
- Alerts lost: the --alerts file on /dev/full, and a spool bounded to 2 alerts in front of a
  webhook nobody answers (the oldest are dropped undelivered): exit 1 and "lost N alerts".
- A --read of a named pipe stopped by SIGINT / SIGTERM before the input ended: "interrupted by
  SIGINT" (SIGTERM) and exit 130 (143), as a shell reports a process those signals killed.
Every run is bounded (30 s); the sensor is killed by its pid if it outlives that.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

TIMEOUT = 30
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(bw, capture, stats, extra=(), **kw):
    if os.path.exists(stats):
        os.remove(stats)
    kw.setdefault("stdout", subprocess.DEVNULL)
    r = subprocess.run([bw, "--read", capture, "--stats-json", stats, "-q",
                        "--set", "metrics.listen=", *extra], stderr=subprocess.PIPE,
                       timeout=TIMEOUT, **kw)
    st = json.load(open(stats)) if os.path.exists(stats) else {}
    return r.returncode, r.stderr.decode(errors="replace") if r.stderr else "", st


def lost_line(err: str, what: str) -> int:
    """N of "lost N <what>" in the sensor's stderr, or -1."""
    for line in err.splitlines():
        if line.startswith("bucketwatch: lost ") and (" %s" % what) in line:
            return int(line.split()[2])
    return -1


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connections are refused
    return port


def interrupted(bw, capture, work, sig) -> None:
    fifo = os.path.join(work, "fifo")
    if os.path.exists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)
    stats = os.path.join(work, "int.stats.json")
    data = open(capture, "rb").read()
    proc = subprocess.Popen([bw, "--read", fifo, "--stats-json", stats, "-q",
                             "--set", "metrics.listen="], stderr=subprocess.PIPE)
    try:
        with open(fifo, "wb") as w:  # blocks until the sensor opened its end
            w.write(data[:len(data) // 2])
            w.flush()
            time.sleep(0.5)  # it reads what there is, then waits for more
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err.decode(errors="replace")
    name = signal.Signals(sig).name
    st = json.load(open(stats)) if os.path.exists(stats) else {}
    run_ = st.get("run", {})
    check(proc.returncode == 128 + sig and ("interrupted by %s" % name) in err and
          run_.get("interrupted") is True and run_.get("interrupted_by_signal") == sig and
          st.get("capture", {}).get("packets", 0) > 0,
          "--read of a pipe stopped by %s: rc %s (want %d), run %s, %s" %
          (name, proc.returncode, 128 + sig, run_, err.strip()[:300]))


def main() -> int:
    bw, capture, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    stats = os.path.join(work, "stats.json")
    ledger = os.path.join(work, "ledger.jsonl")

    rc, err, st = run(bw, capture, stats, ("--ledger", ledger))
    ref_lines = st.get("ledger", {}).get("lines", 0)
    check(rc == 0 and ref_lines > 0 and "lost" not in err and "interrupted" not in err and
          st.get("run") == {"interrupted_by_signal": 0, "interrupted": False,
                            "ledger_lines_lost": 0, "clickhouse_rows_lost": 0,
                            "alerts_lost": 0},
          "complete run: rc %d, %d ledger lines, run %s %s" % (rc, ref_lines, st.get("run"),
                                                               err.strip()))

    def ledger_lost(name, rc, err, st):
        n = lost_line(err, "ledger line")
        errors = st.get("ledger", {}).get("write_errors", -2)
        check(rc == 1 and n == errors == ref_lines and
              st.get("run", {}).get("ledger_lines_lost") == n,
              "%s: rc %d, lost %d ledger lines, %d write errors of %d %s" %
              (name, rc, n, errors, ref_lines, err.strip()[:300]))

    ledger_lost("ledger on /dev/full", *run(bw, capture, stats, ("--ledger", "/dev/full")))
    # stdout closed altogether (>&-).
    r = subprocess.run(["bash", "-c", 'exec "$0" --read "$1" --ledger - --stats-json "$2" -q '
                        '--set metrics.listen= >&-', bw, capture, stats],
                       capture_output=False, stderr=subprocess.PIPE, timeout=TIMEOUT)
    ledger_lost("ledger to a closed stdout", r.returncode, r.stderr.decode(errors="replace"),
                json.load(open(stats)) if os.path.exists(stats) else {})
    # A pipe whose reader is gone: every write is EPIPE (SIGPIPE is ignored).
    rd, wr = os.pipe()
    os.close(rd)
    try:
        ledger_lost("ledger to a broken pipe",
                    *run(bw, capture, stats, ("--ledger", "-"), stdout=wr))
    finally:
        os.close(wr)

    rc, err, st = run(bw, capture, stats, ("--alerts", "/dev/full"))
    raised = st.get("alerts", {}).get("raised", 0)
    n = lost_line(err, "alert")
    check(rc == 1 and raised > 2 and n == raised == st.get("run", {}).get("alerts_lost"),
          "alerts file on /dev/full: rc %d, lost %d of %d alerts %s" % (rc, n, raised,
                                                                        err.strip()[:300]))

    cfg = os.path.join(work, "spool.yaml")
    with open(cfg, "w") as f:
        json.dump({"alerting": {"spool_dir": os.path.join(work, "spool"), "spool_max_alerts": 2,
                                "drain_timeout_ms": 200,
                                "sinks": [{"name": "down", "type": "webhook",
                                           "url": "http://127.0.0.1:%d/" % closed_port(),
                                           "timeout_ms": 200}]}}, f)
    rc, err, st = run(bw, capture, stats, ("--config", cfg))
    evicted = raised - 2
    n = lost_line(err, "alert")
    check(rc == 1 and n >= evicted and "dropped by the full spool" in err and
          st.get("run", {}).get("alerts_lost") == n,
          "spool of 2 alerts, webhook down: rc %d, lost %d alerts (at least %d) %s" %
          (rc, n, evicted, err.strip()[-300:]))

    interrupted(bw, capture, work, signal.SIGINT)
    interrupted(bw, capture, work, signal.SIGTERM)

    shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
