#!/usr/bin/env python3
"""faults.spool_leftover (issue 18, item 6): what a SIGKILL between a spool record's write and its
rename leaves, "<id>.alert.tmp", was removed at the next start without a log line, and the alerts
in it never delivered. The spool is seeded with the leftovers of such kills:
  - A: one whole record (a real alert of this sensor, marked) and a torn second record after it;
  - B: no whole record (cut inside the first one).
The restart must deliver A's whole alert under A's id to the webhook, log the recovery and the
torn tail, log B's removal, leave no temp file and end with the spool empty.
usage: spool_leftover_test.py BUCKETWATCH ALERT_CAPTURE SMALL_CAPTURE WORKDIR
"""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zlib


class Receiver(http.server.BaseHTTPRequestHandler):
    got = {}
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.got[self.headers.get("X-Bucketwatch-Alert-Id")] = body.decode()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fail(msg, stderr_path=None):
    if stderr_path and os.path.exists(stderr_path):
        msg += "\n--- sensor stderr (tail)\n" + open(stderr_path).read()[-3000:]
    sys.exit("FAIL: " + msg)


def record(json_text):
    """A spool record as the sensor writes it: "BWSPOOL1 <len> <crc32 hex>\\n<json>\\n"."""
    body = json_text.encode()
    return b"BWSPOOL1 %d %08x\n" % (len(body), zlib.crc32(body)) + body + b"\n"


def main():
    bw, alert_capture, small, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # A real alert of this sensor, to stand for the one a kill caught.
    alerts = os.path.join(work, "alerts.jsonl")
    subprocess.run([bw, "--read", alert_capture, "--alerts", alerts, "-q",
                    "--set", "metrics.listen="], check=True, timeout=60)
    raised = [json.loads(x) for x in open(alerts)]
    if not raised:
        fail("the capture raised no alert")
    marked = dict(raised[0], summary="RECOVERED " + raised[0]["summary"])
    marked_text = json.dumps(marked, separators=(",", ":"))

    spool = os.path.join(work, "spool")
    os.makedirs(spool, mode=0o700)
    id_a, id_b = "00000000000a0000", "00000000000b0000"
    torn = record(json.dumps({"rule": "anonymous_read", "summary": "torn"}))
    with open(os.path.join(spool, id_a + ".alert.tmp"), "wb") as f:
        f.write(record(marked_text) + torn[:len(torn) // 2])
    with open(os.path.join(spool, id_b + ".alert.tmp"), "wb") as f:
        f.write(record(marked_text)[:30])

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = os.path.join(work, "bw.yaml")
    with open(cfg, "w") as f:
        json.dump({"alerting": {"spool_dir": spool, "drain_timeout_ms": 20000,
                                "sinks": [{"name": "hook", "type": "webhook",
                                           "url": "http://127.0.0.1:%d/hook" % port,
                                           "initial_backoff_ms": 50, "max_backoff_ms": 200,
                                           "timeout_ms": 2000}]}}, f)
    err = os.path.join(work, "stderr")
    with open(err, "w") as e:
        rc = subprocess.run([bw, "--read", small, "--config", cfg, "-q",
                             "--set", "metrics.listen="], stderr=e, timeout=60).returncode
    server.shutdown()
    if rc != 0:
        fail("exit %d" % rc, err)
    log = open(err).read()
    if Receiver.got.get(id_a) != marked_text:
        fail("the whole alert of %s.alert.tmp was not delivered under its id (got ids %s)" %
             (id_a, sorted(Receiver.got)), err)
    if any("torn" in body for body in Receiver.got.values()):
        fail("the torn record was delivered", err)
    if "recovered 1 alert(s) from %s.alert.tmp" % id_a not in log or "torn record" not in log:
        fail("no log line for the recovery and the torn tail", err)
    if "removed %s.alert.tmp" % id_b not in log or "no whole alert record" not in log:
        fail("no log line for the removed leftover", err)
    left = os.listdir(spool)
    if left:
        fail("spool not empty at the end: %s" % left, err)
    print("ok: leftover temp record recovered and delivered under its id %s (torn tail logged, "
          "not delivered); a leftover without a whole record removed with a log line; %d "
          "alerts delivered, spool empty" % (id_a, len(Receiver.got)))


if __name__ == "__main__":
    main()
