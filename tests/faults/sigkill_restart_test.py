#!/usr/bin/env python3
"""faults.sigkill_restart: SIGKILL in the middle of a heavy --read run (ledger, alerts file,
alert spool; the webhook is down so alerts pile up in the spool), then a restart on the same
files with the webhook up. Checks:
  - file modes while it ran: ledger and alerts file 0640, spool directory 0700, records 0600;
  - the killed ledger holds whole lines only; a torn last line (appended here, as a power cut
    would leave it) is moved aside by the restart (<ledger>.torn-<stamp>, logged) and the chain
    continues from the last whole line;
  - `bucketwatch report --verify` passes on the ledger after the restart;
  - every alert that was in the spool at the kill is delivered after the restart (no lost
    alert), and the spool is empty at the end.

The capture is a detection scenario repeated COPIES times, each copy two hours later (so flows
and alert dedup windows start over and every copy raises its alerts again).
usage: sigkill_restart_test.py BUCKETWATCH SCENARIO_CAPTURE SMALL_CAPTURE WORKDIR [COPIES]
"""
import http.server
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time


class Receiver(http.server.BaseHTTPRequestHandler):
    ids = set()
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.ids.add(self.headers.get("X-Bucketwatch-Alert-Id"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


TORN = b'{"@timestamp":"2026-11-23T13:00:00.000Z","event":{"dur'


def fail(msg, stderr_path=None):
    if stderr_path and os.path.exists(stderr_path):
        msg += "\n--- sensor stderr (tail)\n" + open(stderr_path).read()[-3000:]
    sys.exit("FAIL: " + msg)


def repeat_capture(src, dst, copies):
    data = open(src, "rb").read()
    e = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    header, body = data[:24], data[24:]
    records, off = [], 0
    while off + 16 <= len(body):
        sec, frac, incl, orig = struct.unpack(e + "IIII", body[off:off + 16])
        records.append((sec, body[off + 4:off + 16], body[off + 16:off + 16 + incl]))
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(header)
        for k in range(copies):
            shift = k * 7200
            for sec, rest, frame in records:
                f.write(struct.pack(e + "I", sec + shift) + rest + frame)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def main():
    bw, scenario, small, work = sys.argv[1:5]
    copies = int(sys.argv[5]) if len(sys.argv) > 5 else 150
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    big = os.path.join(work, "big.pcap")
    repeat_capture(scenario, big, copies)
    ledger = os.path.join(work, "ledger.jsonl")
    alerts = os.path.join(work, "alerts.jsonl")
    spool = os.path.join(work, "spool")
    cfg = os.path.join(work, "bw.yaml")
    # A port nobody listens on yet: the first run's deliveries fail and stay spooled.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with open(cfg, "w") as f:
        json.dump({"alerting": {"spool_dir": spool, "drain_timeout_ms": 30000,
                                "sinks": [{"name": "hook", "type": "webhook",
                                           "url": "http://127.0.0.1:%d/hook" % port,
                                           "initial_backoff_ms": 50, "max_backoff_ms": 200,
                                           "timeout_ms": 2000}]}}, f)
    common = ["--ledger", ledger, "--alerts", alerts, "--config", cfg, "-q",
              "--set", "metrics.listen="]

    err1 = os.path.join(work, "run1.stderr")
    with open(err1, "w") as e:
        p = subprocess.Popen([bw, "--read", big] + common, stderr=e)
    # Kill once a good part of the ledger and some alerts are out, well before the end.
    deadline = time.time() + 60
    spooled = []
    while time.time() < deadline and p.poll() is None:
        if count_lines(ledger) >= 2000 and os.path.isdir(spool):
            spooled = [n for n in os.listdir(spool) if n.endswith(".alert")]
            if len(spooled) >= 5:
                break
        time.sleep(0.005)
    if p.poll() is not None:
        fail("the sensor finished (exit %s) before it could be killed; raise COPIES" % p.returncode,
             err1)
    # Modes while running.
    if mode(ledger) != 0o640 or mode(alerts) != 0o640:
        fail("modes: ledger %o, alerts %o, want 640" % (mode(ledger), mode(alerts)))
    if mode(spool) != 0o700:
        fail("spool directory mode %o, want 700" % mode(spool))
    p.send_signal(signal.SIGKILL)
    p.wait()
    spooled = sorted(n[:-len(".alert")] for n in os.listdir(spool) if n.endswith(".alert"))
    bad = [n for n in os.listdir(spool) if not n.endswith(".tmp") and
           mode(os.path.join(spool, n)) != 0o600]
    if bad:
        fail("spool files not 0600: %s" % bad[:5])
    lines_at_kill = count_lines(ledger)
    with open(ledger, "rb") as f:
        raw = f.read()
    if not raw.endswith(b"\n"):
        fail("SIGKILL left a torn ledger line (each line is one write)")
    for line in raw.splitlines():
        json.loads(line)
    # A power cut could still leave a torn line: the restart must close it and chain over it.
    with open(ledger, "ab") as f:
        f.write(TORN)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    err2 = os.path.join(work, "run2.stderr")
    stats = os.path.join(work, "run2.stats.json")
    with open(err2, "w") as e:
        rc = subprocess.run([bw, "--read", small, "--stats-json", stats] + common, stderr=e,
                            timeout=120).returncode
    server.shutdown()
    if rc != 0:
        fail("restart exited %d" % rc, err2)
    missing = [i for i in spooled if i not in Receiver.ids]
    if missing:
        fail("%d of %d spooled alerts not delivered after the restart: %s" %
             (len(missing), len(spooled), missing[:5]), err2)
    left = [n for n in os.listdir(spool) if n.endswith(".alert")]
    if left:
        fail("%d alerts left in the spool after delivery" % len(left), err2)
    v = subprocess.run([bw, "report", "--verify", "--ledger", ledger, "--no-progress"],
                       capture_output=True, text=True, timeout=120)
    if v.returncode != 0:
        fail("report --verify after the restart: %s%s" % (v.stdout, v.stderr))
    s = json.load(open(stats))
    after = count_lines(ledger)
    if after != lines_at_kill + s["ledger"]["lines"] or s["ledger"]["lines"] == 0:
        fail("ledger: %d lines at the kill + %d written = %d, found %d" %
             (lines_at_kill, s["ledger"]["lines"], lines_at_kill + s["ledger"]["lines"], after))
    aside = [n for n in os.listdir(work) if n.startswith("ledger.jsonl.torn-")]
    if len(aside) != 1 or open(os.path.join(work, aside[0]), "rb").read() != TORN + b"\n":
        fail("torn line not moved aside byte for byte: %s" % aside)
    if "ended in a torn line" not in open(err2).read():
        fail("no log line for the torn line", err2)
    if mode(ledger) != 0o640:
        fail("ledger mode %o after restart" % mode(ledger))
    print("ok: killed at %d ledger lines with %d alerts spooled; restart delivered all %d "
          "(webhook saw %d), spool empty, torn line moved aside, chain verifies (%s), "
          "modes ledger/alerts 640, spool dir 700, records 600" %
          (lines_at_kill, len(spooled), len(spooled), len(Receiver.ids),
           v.stdout.strip().splitlines()[-1] if v.stdout.strip() else "ok"))


if __name__ == "__main__":
    main()
