#!/usr/bin/env python3
"""faults.spool_health: a sensor that cannot persist its alerts says so on /healthz (issue 17
item 2). The spool sits on a full 64 KiB tmpfs (a private mount namespace, so nothing outlives
the test) and the only sink answers 503, so the alerts a capture raises live in memory only.
While the sensor lingers after the capture, /healthz must answer 503 naming the cause and
/metrics must count the spool's write errors (which BucketwatchSpoolWriteErrors pages on); the
same run with room on the disk is healthy.

usage: spool_health_test.py BUCKETWATCH CAPTURE WORKDIR
Needs root (mount, unshare -m): exits 77 (skipped) when it cannot mount a tmpfs.
"""
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

SKIP = 77

INNER = r'''
set -u
mount -t tmpfs -o size=64k,mode=0755 bwspool "$D" || exit 77
mkdir -p "$D/spool"
[ "$FULL" = 1 ] && dd if=/dev/zero of="$D/filler" bs=1k count=64 status=none 2>/dev/null
exec "$BW" --read "$CAP" --config "$CFG" -q --metrics-listen "127.0.0.1:$PORT" --linger 60 \
  2> "$OUT/stderr"
'''


class Refuse(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


def run(bw, capture, work, hook_port, full):
    name = "full" if full else "room"
    out = os.path.join(work, name)
    mnt = os.path.join(work, name + ".mnt")
    os.makedirs(out)
    os.makedirs(mnt)
    cfg = os.path.join(out, "bw.yaml")
    with open(cfg, "w") as f:
        json.dump({"alerting": {"spool_dir": os.path.join(mnt, "spool"), "drain_timeout_ms": 500,
                                "sinks": [{"name": "hook", "type": "webhook",
                                           "url": "http://127.0.0.1:%d/hook" % hook_port,
                                           "initial_backoff_ms": 50, "max_backoff_ms": 200}]}},
                  f)
    port = free_port()
    env = dict(os.environ, D=mnt, OUT=out, BW=bw, CAP=capture, CFG=cfg, PORT=str(port),
               FULL="1" if full else "0")
    proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", INNER],
                            env=env)
    try:
        deadline = time.time() + 30
        health = (None, "")
        while time.time() < deadline:
            if proc.poll() is not None:
                if proc.returncode == SKIP:
                    print("skip: cannot mount a tmpfs in a private mount namespace")
                    sys.exit(SKIP)
                sys.exit("FAIL: %s: sensor exited %d: %s" % (name, proc.returncode,
                                                           open(os.path.join(out, "stderr")).read()))
            health = get("http://127.0.0.1:%d/healthz" % port)
            if health[0] is not None and ("input finished" in health[1] or
                                          "cannot be persisted" in health[1]):
                break
            time.sleep(0.1)
        _, metrics = get("http://127.0.0.1:%d/metrics" % port)
        m = re.search(r"^bucketwatch_spool_write_errors_total (\S+)$", metrics, re.M)
        return health, float(m.group(1)) if m else None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    bw, capture, work = sys.argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems = []
    (status, body), errors = run(bw, capture, work, server.server_address[1], full=True)
    if status != 503 or "alerts cannot be persisted" not in body:
        problems.append("full spool: /healthz %s %r, want 503 'alerts cannot be persisted'" %
                        (status, body.strip()))
    if not errors:
        problems.append("full spool: bucketwatch_spool_write_errors_total is %s" % errors)
    print("full spool: /healthz %s %s; spool write errors %s" % (status, body.strip(), errors))
    (status, body), errors = run(bw, capture, work, server.server_address[1], full=False)
    if status != 200 or errors:
        problems.append("room on the disk: /healthz %s %r, write errors %s" % (status, body.strip(),
                                                                              errors))
    print("room on the disk: /healthz %s %s; spool write errors %s" % (status, body.strip(),
                                                                      errors))
    server.shutdown()
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
