#!/usr/bin/env python3
"""faults.disk_full: the ledger, the alerts file and the alert spool on a 256 KiB tmpfs (in a
private mount namespace, so nothing outlives the test), filled up while a capture that makes
many ledger lines and alerts is read. Two rounds: the disk fills during the run (a few KiB
free), and the disk is full from the start. Each must: exit 1 saying how many ledger lines it
lost (issue 18: no silent success); log each full file once (not
per line); count ledger write errors and spool write errors; keep the ledger a file of whole,
chained lines (`bucketwatch report --verify` passes); deliver every alert to a local webhook
although the spool could not persist it (spool_memory_only); and, with room, write them all.

usage: disk_full_test.py BUCKETWATCH CAPTURE WORKDIR
Needs root (mount, unshare -m): exits 77 (skipped) when it cannot mount a tmpfs.
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

SKIP = 77


class Receiver(http.server.BaseHTTPRequestHandler):
    ids = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        json.loads(body)
        with Receiver.lock:
            Receiver.ids.append(self.headers.get("X-Bucketwatch-Alert-Id"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


INNER = r'''
set -u
mount -t tmpfs -o size=256k,mode=0755 bwfull "$D" || exit 77
if [ "$FREE_KIB" -ge 0 ]; then
  dd if=/dev/zero of="$D/filler" bs=1k count=$((256 - FREE_KIB)) status=none 2>/dev/null
  [ "$FREE_KIB" -eq 0 ] && dd if=/dev/zero of="$D/filler2" bs=1k count=256 status=none 2>/dev/null
fi
df -k "$D" | tail -1 > "$OUT/df_before"
"$BW" --read "$CAP" --ledger "$D/ledger.jsonl" --alerts "$D/alerts.jsonl" --config "$CFG" \
  --stats-json "$OUT/stats.json" -q --set metrics.listen= 2> "$OUT/stderr"
echo $? > "$OUT/rc"
"$BW" report --verify --ledger "$D/ledger.jsonl" > "$OUT/verify.txt" 2>&1
echo $? > "$OUT/verify_rc"
if [ -f "$D/ledger.jsonl" ]; then wc -l < "$D/ledger.jsonl" > "$OUT/ledger_lines"; else echo 0 > "$OUT/ledger_lines"; fi
tail -c 1 "$D/ledger.jsonl" 2>/dev/null | od -An -c > "$OUT/ledger_tail"
ls -la "$D" "$D/spool" > "$OUT/ls.txt" 2>&1
exit 0
'''


def fail(msg, out=None):
    if out:
        with open(os.path.join(out, "stderr")) as f:
            msg += "\n--- sensor stderr\n" + f.read()
    sys.exit("FAIL: " + msg)


def run_round(bw, capture, work, port, free_kib, name):
    out = os.path.join(work, name)
    mnt = os.path.join(work, name + ".mnt")
    os.makedirs(out)
    os.makedirs(mnt)
    cfg = os.path.join(out, "bw.yaml")
    with open(cfg, "w") as f:
        json.dump({"alerting": {"spool_dir": os.path.join(mnt, "spool"), "drain_timeout_ms": 20000,
                                "sinks": [{"name": "hook", "type": "webhook",
                                           "url": "http://127.0.0.1:%d/hook" % port,
                                           "initial_backoff_ms": 50, "max_backoff_ms": 200}]}},
                  f)
    Receiver.ids = []
    env = dict(os.environ, D=mnt, OUT=out, BW=bw, CAP=capture, CFG=cfg, FREE_KIB=str(free_kib))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", INNER], env=env,
                       timeout=120)
    if p.returncode == SKIP:
        print("skip: cannot mount a tmpfs in a private mount namespace")
        sys.exit(SKIP)
    read = lambda n: open(os.path.join(out, n)).read()
    rc = int(read("rc"))
    stats = json.loads(read("stats.json"))
    stderr = read("stderr")
    lost = "bucketwatch: lost %d ledger lines" % stats["ledger"]["write_errors"]
    if rc != 1 or lost not in stderr:
        fail("%s: sensor exited %d, want 1 with '%s'" % (name, rc, lost), out)
    return out, stats, stderr, int(read("ledger_lines")), int(read("verify_rc")), read("verify.txt")


def main():
    bw, capture, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    # Reference: how many ledger lines and alerts the capture makes with room to spare.
    ref_ledger = os.path.join(work, "ref.ledger.jsonl")
    ref_stats = os.path.join(work, "ref.stats.json")
    subprocess.run([bw, "--read", capture, "--ledger", ref_ledger, "--stats-json", ref_stats,
                    "-q", "--set", "metrics.listen="], check=True, timeout=120)
    ref = json.load(open(ref_stats))
    ref_lines = ref["ledger"]["lines"]
    ref_alerts = ref["alerts"]["raised"]
    ref_bytes = os.path.getsize(ref_ledger)
    if ref_bytes < 64 * 1024 or ref_alerts < 2:
        fail("reference capture too small: %d ledger bytes, %d alerts" % (ref_bytes, ref_alerts))

    for name, free in (("fills_up", 24), ("full_from_start", 0)):
        out, stats, stderr, on_disk, verify_rc, verify = run_round(bw, capture, work, port, free,
                                                                   name)
        led, al = stats["ledger"], stats["alerts"]
        # Nothing lost silently: each line was written or counted.
        if led["lines"] + led["write_errors"] != ref_lines:
            fail("%s: ledger lines %d + write errors %d != %d" %
                 (name, led["lines"], led["write_errors"], ref_lines), out)
        if led["write_errors"] == 0:
            fail("%s: no ledger write error counted on a full disk" % name, out)
        if on_disk != led["lines"]:
            fail("%s: %d lines on disk, %d counted as written" % (name, on_disk, led["lines"]), out)
        if on_disk and verify_rc != 0:
            fail("%s: report --verify failed on the full-disk ledger:\n%s" % (name, verify), out)
        n_ledger_logs = stderr.count("ledger.jsonl: No space left on device")
        if n_ledger_logs != 1:
            fail("%s: the ledger's full disk was logged %d times, expected once" %
                 (name, n_ledger_logs), out)
        if stderr.count("alerts.jsonl: No space left on device") != (1 if al["write_errors"] else 0):
            fail("%s: the alerts file's full disk not logged exactly once" % name, out)
        if name == "full_from_start" and al["write_errors"] != ref_alerts:
            fail("%s: alerts file write errors %d, expected %d" %
                 (name, al["write_errors"], ref_alerts), out)
        spool_logs = stderr.count("alert spool: cannot write")
        if not 1 <= spool_logs <= 3:
            fail("%s: spool failure logged %d times" % (name, spool_logs), out)
        if al["raised"] != ref_alerts:
            fail("%s: %d alerts raised, reference %d" % (name, al["raised"], ref_alerts), out)
        if al["spool_write_errors"] == 0 or al["spool_memory_only"] == 0:
            fail("%s: spool failures not counted: %s" % (name, al), out)
        if al["delivered"] != ref_alerts or len(set(Receiver.ids)) != ref_alerts:
            fail("%s: delivered %d (webhook got %d distinct) of %d alerts" %
                 (name, al["delivered"], len(set(Receiver.ids)), ref_alerts), out)
        if al["lines"] + al["write_errors"] != ref_alerts:
            fail("%s: alerts file lines %d + errors %d != %d" %
                 (name, al["lines"], al["write_errors"], ref_alerts), out)
        print("ok: %s: ledger %d written + %d write errors (of %d), %d on disk, chain verifies; "
              "alerts %d raised, %d delivered, spool write errors %d (memory only %d); "
              "log lines: ledger 1, spool %d" %
              (name, led["lines"], led["write_errors"], ref_lines, on_disk, al["raised"],
               al["delivered"], al["spool_write_errors"], al["spool_memory_only"], spool_logs))
    server.shutdown()


if __name__ == "__main__":
    main()
