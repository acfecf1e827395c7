#!/usr/bin/env python3
"""checksum.host_capture (issue 16, item 1): the sensor in its default configuration on a generated
host capture of an anonymous S3 crawl (make_host_capture.py) must ledger every request and raise
anonymous_list and bulk_exfiltration.

  run_host_capture.py BUCKETWATCH WORKDIR

Two captures: the client's segments with unfilled (offloaded) sums and the server's correct
(before issue 16: 1 of 246 requests, the decoder-wide sample turned strict on the download at the
start), and the same crawl with every sum wrong on both sides (every segment weak, used once the
other side's ACK passes it).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_LEDGER = os.path.join(HERE, "..", "e2e", "check_ledger.py")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(bw, work, name, extra):
    pcap = os.path.join(work, name + ".pcap")
    manifest = os.path.join(work, name + ".manifest.jsonl")
    ledger = os.path.join(work, name + ".ledger.jsonl")
    alerts = os.path.join(work, name + ".alerts.jsonl")
    stats = os.path.join(work, name + ".stats.json")
    for p in (ledger, alerts, stats):
        if os.path.exists(p):
            os.remove(p)
    subprocess.run([sys.executable, os.path.join(HERE, "make_host_capture.py"), pcap, manifest]
                   + extra, check=True)
    subprocess.run([bw, "--read", pcap, "--ledger", ledger, "--alerts", alerts,
                    "--stats-json", stats, "-q"], check=True, timeout=120)
    r = subprocess.run([sys.executable, CHECK_LEDGER, manifest, ledger, "--ordered"],
                       capture_output=True, text=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        fail("%s: the ledger is not what the client did" % name)
    with open(alerts) as f:
        rules = {json.loads(line)["rule"] for line in f if line.strip()}
    for rule in ("anonymous_list", "bulk_exfiltration"):
        if rule not in rules:
            fail("%s: no %s alert (got %s)" % (name, rule, sorted(rules)))
    with open(stats) as f:
        s = json.load(f)
    drops = s["decode"]["drops"].get("tcp_bad_checksum", 0)
    if drops:
        fail("%s: %d segments dropped for their checksum" % (name, drops))
    return s


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bw, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)

    s = run(bw, work, "offloaded_client", [])
    r, t = s["reassembly"], s["decode"]["tcp_checksum"]
    if t["unfilled"] < 500 or t["good"] < 1800:
        fail("offloaded_client: the capture is not what it should be: %s" % t)
    # The client's direction is an offloading host's: its unfilled sums are strong, none waits.
    if r["weak_segments"] != 0:
        fail("offloaded_client: %d weak segments, expected none" % r["weak_segments"])

    s = run(bw, work, "wrong_sums", ["--wrong-sums"])
    r = s["reassembly"]
    if r["weak_segments"] < 2000 or r["weak_used"] != r["weak_segments"]:
        fail("wrong_sums: weak segments %d, used %d: every one should be used"
             % (r["weak_segments"], r["weak_used"]))
    if r["weak_discarded"] or r["gaps"]:
        fail("wrong_sums: %d weak discarded, %d gaps" % (r["weak_discarded"], r["gaps"]))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
