#!/usr/bin/env python3
"""--user with outputs that keep working (issue 17 item 2). The sensor creates its spool and
state directories and opens its files as root, then runs as the user: everything it writes
later must be the user's, or it must refuse to start saying how to fix it.

  run_user_test.py BUCKETWATCH WORKDIR          (root; exit 77 without root or user nobody)

1. A ledger in a directory nobody cannot write: exit 1 before any packet, the message naming
   the directory and the chown that fixes it (before: it ran, and lost every line after the
   first rotation, a day later by default).
2. A ledger directory nobody owns, a webhook sink, a spool and a state directory the sensor
   creates: run as nobody over 2,000 anonymous S3 reads with ledger.rotate_bytes at 1 MiB.
   The spool, its files, the state and the ledger files are nobody's; the alerts reach the
   webhook from the spool with nothing held in memory only; the ledger rotated and the
   rotated file was compressed; no write error was logged.
"""
import http.server
import json
import os
import pwd
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "evasion"))
import make_evasion  # noqa: E402
from make_evasion import Capture, Conn, get, listing, obj  # noqa: E402


class Hook(http.server.BaseHTTPRequestHandler):
    alerts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Hook.alerts.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def write_capture(path, reads):
    cap = Capture()
    c = Conn(cap, 30000, server_ip="10.30.0.20")
    c.handshake()
    c.send(get("/bucket-a/?list-type=2"))
    c.reply(listing("bucket-a", ["k%04d" % i for i in range(20)]))
    for i in range(reads):
        c.send(get("/bucket-a/k%04d" % i))
        c.reply(obj(b"object %d\n" % i, seed="r%d" % i))
    c.close()
    cap.write(path)


def owner(path):
    return pwd.getpwuid(os.lstat(path).st_uid).pw_name


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work = sys.argv[1:]
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        print("SKIP: no user nobody")
        return 77
    if os.geteuid() != 0:
        print("SKIP: needs root (the sensor starts as root and drops to nobody)")
        return 77
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)
    pcap = os.path.join(work, "reads.pcap")
    write_capture(pcap, 2000)
    problems = []

    # 1. A ledger directory the user cannot write.
    closed = os.path.join(work, "root-only")
    os.makedirs(closed, mode=0o755)
    run = subprocess.run([binary, "--read", pcap, "--user", "nobody", "-q", "--ledger",
                          os.path.join(closed, "ledger.jsonl")],
                         capture_output=True, text=True, timeout=60)
    want = "chown nobody %s" % closed
    if run.returncode != 1 or want not in run.stderr:
        problems.append("ledger in a root-only directory: exit %d, stderr %r (want exit 1 "
                        "naming %r)" % (run.returncode, run.stderr[-300:], want))
    else:
        print("ok: refused to start: " + run.stderr.strip().splitlines()[-1])

    # 2. Everything writable by the user.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = os.path.join(work, "out")
    os.makedirs(out)
    os.chown(out, nobody.pw_uid, nobody.pw_gid)
    spool, state = os.path.join(work, "spool"), os.path.join(work, "state")
    config = os.path.join(work, "bw.yaml")
    with open(config, "w") as f:
        json.dump({"alerting": {"spool_dir": spool, "sinks": [
            {"name": "hook", "type": "webhook",
             "url": "http://127.0.0.1:%d/hook" % server.server_address[1]}]},
            "ledger": {"rotate_bytes": 1 << 20}}, f)
    ledger = os.path.join(out, "ledger.jsonl")
    run = subprocess.run([binary, "--read", pcap, "--user", "nobody", "--config", config,
                          "--ledger", ledger, "--state-dir", state, "-q"],
                         capture_output=True, text=True, timeout=120)
    server.shutdown()
    if run.returncode != 0:
        problems.append("run as nobody: exit %d: %s" % (run.returncode, run.stderr[-400:]))
    for bad in ("memory only", "cannot", "error"):
        if bad in run.stderr:
            problems.append("run as nobody logged %r: %s" % (bad, run.stderr[-400:]))
    for path in [spool, state, os.path.join(state, "state.json")] + \
            [os.path.join(spool, f) for f in os.listdir(spool)] + \
            [os.path.join(out, f) for f in os.listdir(out)]:
        if owner(path) != "nobody":
            problems.append("%s belongs to %s, not nobody" % (path, owner(path)))
    rotated = [f for f in os.listdir(out) if f != "ledger.jsonl"]
    if not any(f.endswith(".gz") for f in rotated):
        problems.append("no compressed rotated ledger in %s: %s" % (out, sorted(os.listdir(out))))
    if not Hook.alerts:
        problems.append("no alert reached the webhook")
    print("run as nobody: exit %d, ledger files %s, %d alerts delivered, spool and state "
          "owned by %s" % (run.returncode, sorted(os.listdir(out)), len(Hook.alerts),
                           owner(spool)))
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
