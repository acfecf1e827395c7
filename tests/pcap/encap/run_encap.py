#!/usr/bin/env python3
"""One encapsulation case (make_encap.py): writes its capture, reads it with tshark (the oracle)
and with the sensor in its default configuration, and checks that the sensor's ledger holds
exactly the HTTP requests tshark shows (method, host, target, status) and that the decoder
counted exactly the drops and anomalies the case names, with one worker and with three.

  run_encap.py BUCKETWATCH WORKDIR CASE
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import make_encap  # noqa: E402


def tshark_requests(pcap, extra):
    out = subprocess.run(
        ["tshark", "-r", pcap, *extra, "-Y", "http.request or http.response", "-T", "fields",
         "-e", "http.request.method", "-e", "http.host", "-e", "http.request.uri",
         "-e", "http.response.code"],
        capture_output=True, text=True, check=True).stdout
    requests, statuses = [], []
    for line in out.splitlines():
        method, host, uri, code = (line.split("\t") + [""] * 4)[:4]
        if method:
            requests.append((method, host, uri))
        if code:
            statuses.append(int(code))
    return requests, statuses


def sensor(binary, pcap, work, workers):
    ledger = os.path.join(work, "ledger%d.jsonl" % workers)
    stats = os.path.join(work, "stats%d.json" % workers)
    for p in (ledger, stats):  # the ledger appends (hash chain): start each run afresh
        if os.path.exists(p):
            os.remove(p)
    proc = subprocess.run([binary, "-q", "--workers", str(workers), "--read", pcap, "--ledger",
                           ledger, "--stats-json", stats], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("bucketwatch failed (%d): %s" % (proc.returncode, proc.stderr))
    with open(ledger) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    with open(stats) as f:
        drops = json.load(f)["decode"]["drops"]
    requests = [(x["http"]["request"]["method"], x["url"]["domain"], x["url"]["path"])
                for x in lines]
    statuses = [x["http"].get("response", {}).get("status_code") for x in lines]
    return requests, statuses, drops


def main(argv):
    binary, work, case = argv[1], argv[2], argv[3]
    work = os.path.join(work, case)
    os.makedirs(work, exist_ok=True)
    link, frames = make_encap.build(case)
    pcap = os.path.join(work, case + ".pcap")
    make_encap.write(pcap, link, frames)
    expected_drops = make_encap.CASES[case][5]

    want, want_status = tshark_requests(pcap, make_encap.TSHARK_ARGS.get(case, []))
    if not want:
        print("FAIL %s: tshark shows no HTTP request: the capture is not what the case says" % case)
        return 1
    ok = True
    # One worker, and three reading the file side by side (file fanout: each frame's flow is
    # found by a decoder stopped at the ports, and every drop must still count once).
    for workers in (1, 3):
        got, got_status, drops = sensor(binary, pcap, work, workers)
        if got != want:
            print("FAIL %s (%d workers): sensor ledger %s, tshark %s" % (case, workers, got, want))
            ok = False
        if got_status != want_status:
            print("FAIL %s (%d workers): sensor statuses %s, tshark %s"
                  % (case, workers, got_status, want_status))
            ok = False
        if drops != expected_drops:
            print("FAIL %s (%d workers): decode drops %s, expected %s"
                  % (case, workers, drops, expected_drops))
            ok = False
    if ok:
        print("ok %s: %d request(s) as tshark reads them %s; drops %s" % (case, len(got), got, drops))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
