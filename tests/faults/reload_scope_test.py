#!/usr/bin/env python3
"""faults.reload_scope: SIGHUP applies what it reports, and refuses what it cannot apply
(issue 17 item 3). A live sensor on the loopback watches a local store it does not know; the
test rewrites its config file and sends SIGHUP:

1. an unchanged file (the sensor started with --bpf, which the file does not have): "nothing
   changed", not a filter change;
2. storage.endpoints naming the store and a webhook sink A: "applied storage, alerting"; the
   store's next reads reach the ledger (before: "config reloaded" was logged and the endpoint
   ignored) and an anonymous listing's alert reaches A;
3. a new capture.snaplen and workers: 2, and the sink moved to B: refused, naming both keys and
   that they need a restart (the file's new capture.bpf is no change: --bpf overrides it); the
   sensor keeps running on the previous config: endpoint and sink A;
4. the sink moved to B alone: "applied alerting", and the next alert reaches B, not A;
5. SIGTERM: exit 0, and --stats-json counts 3 reloads and 1 failure.

usage: reload_scope_test.py BUCKETWATCH WORKDIR        (root: capture on lo; else exit 77)
"""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

SKIP = 77


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.server.alerts.append(body.get("storage", {}).get("bucket"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def hook_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.alerts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Store(http.server.BaseHTTPRequestHandler):
    # Nothing in the answer says storage: only an endpoint rule can make it so.
    def do_GET(self):
        body = b"object bytes\n"
        if "list-type=2" in self.path:
            bucket = self.path.split("/")[1].split("?")[0]
            body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>' +
                    bucket.encode() + b"</Name><KeyCount>1</KeyCount><Contents><Key>a.txt</Key>"
                    b"</Contents></ListBucketResult>")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_for(path, text, timeout=20, start=0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as f:
            f.seek(start)
            if text in f.read():
                return True
        time.sleep(0.1)
    return False


def ledger_paths(ledger):
    if not os.path.exists(ledger):
        return []
    return [json.loads(l)["url"]["path"] for l in open(ledger)]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work = sys.argv[1:]
    if os.geteuid() != 0:
        print("SKIP: capturing on lo needs root")
        return SKIP
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    store = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Store)
    port = store.server_address[1]
    threading.Thread(target=store.serve_forever, daemon=True).start()
    config = os.path.join(work, "bw.yaml")
    ledger = os.path.join(work, "ledger.jsonl")
    stats = os.path.join(work, "stats.json")
    log = os.path.join(work, "stderr")

    hook_a, hook_b = hook_server(), hook_server()
    spool = os.path.join(work, "spool")

    def write_config(extra, sink=None):
        alerting = {"spool_dir": spool}
        if sink:
            alerting["sinks"] = [{"name": "hook", "type": "webhook",
                                  "url": "http://127.0.0.1:%d/hook" % sink.server_address[1]}]
        with open(config, "w") as f:
            json.dump(dict({"log": {"level": "info"}, "alerting": alerting}, **extra), f)

    def list_bucket(bucket):
        with urllib.request.urlopen("http://127.0.0.1:%d/%s?list-type=2" % (port, bucket),
                                    timeout=5) as r:
            r.read()

    def wait_alert(server, bucket):
        deadline = time.time() + 15
        while time.time() < deadline and bucket not in server.alerts:
            time.sleep(0.2)
        return bucket in server.alerts

    def read_object(name):
        # A fresh connection per read: each is its own flow, ledgered once it ends.
        with urllib.request.urlopen("http://127.0.0.1:%d/reload-bucket/%s" % (port, name),
                                    timeout=5) as r:
            r.read()

    write_config({})
    proc = subprocess.Popen([binary, "--interface", "lo", "--bpf", "tcp port %d" % port,
                             "--config", config, "--ledger", ledger, "--stats-json", stats,
                             "--set", "metrics.listen="],
                            stderr=open(log, "w"))
    problems = []
    try:
        if not wait_for(log, "capturing on"):
            raise SystemExit("FAIL: the sensor did not start: " + open(log).read())
        time.sleep(0.3)

        def hup(expect):
            start = os.path.getsize(log)
            proc.send_signal(signal.SIGHUP)
            if not wait_for(log, expect, start=start):
                problems.append("after SIGHUP no %r in the log: %s" % (expect,
                                                                      open(log).read()[start:]))
            with open(log) as f:
                f.seek(start)
                return f.read()

        read_object("before.txt")
        hup("config reloaded from %s: nothing changed" % config)

        endpoint = {"storage": {"endpoints": [{"host": "127.0.0.1", "port": port,
                                               "provider": "s3_compatible"}]}}
        write_config(endpoint, hook_a)
        hup("config reloaded from %s: applied storage, alerting" % config)
        time.sleep(1.5)  # the workers take the new settings at their next tick
        read_object("after.txt")
        list_bucket("bucket-one")
        if not wait_alert(hook_a, "bucket-one"):
            problems.append("the alert after the reload did not reach sink A (%s)" % hook_a.alerts)

        write_config(dict(endpoint, workers=2, capture={"snaplen": 1500, "bpf": "tcp"}), hook_b)
        text = hup("config reload rejected")
        # capture.bpf is not a change: --bpf on the command line overrides the file's.
        for key in ("capture.snaplen, workers", "only at a restart"):
            if key not in text:
                problems.append("the refusal does not name %r: %s" % (key, text.strip()))
        read_object("still.txt")
        list_bucket("bucket-two")
        if not wait_alert(hook_a, "bucket-two"):
            problems.append("after a refused reload the alert did not reach sink A (A %s, B %s)"
                            % (hook_a.alerts, hook_b.alerts))

        write_config(endpoint, hook_b)
        hup("config reloaded from %s: applied alerting" % config)
        list_bucket("bucket-three")
        if not wait_alert(hook_b, "bucket-three") or "bucket-three" in hook_a.alerts:
            problems.append("after moving the sink the alert went to A %s / B %s" %
                            (hook_a.alerts, hook_b.alerts))
        deadline = time.time() + 15
        while time.time() < deadline and "/reload-bucket/still.txt" not in ledger_paths(ledger):
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        store.shutdown()
        hook_a.shutdown()
        hook_b.shutdown()
    paths = ledger_paths(ledger)
    if "/reload-bucket/before.txt" in paths:
        problems.append("the store was storage before its endpoint was configured")
    for name in ("after.txt", "still.txt"):
        if "/reload-bucket/" + name not in paths:
            problems.append("%s not ledgered: the reloaded endpoint was not applied (%s)" %
                            (name, paths))
    if rc != 0:
        problems.append("exit %d after SIGTERM" % rc)
    else:
        counts = json.load(open(stats))["config"]
        if counts != {"reloads": 3, "reload_failures": 1}:
            problems.append("stats config %s, want 3 reloads and 1 failure" % counts)
    for p in problems:
        print("FAIL: " + p)
    if problems:
        print(open(log).read()[-2000:])
        return 1
    print("ok: reload applied storage.endpoints (ledger %s) and moved the sink (A got %s, B %s); "
          "refused capture.snaplen and workers" % (paths, hook_a.alerts, hook_b.alerts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
