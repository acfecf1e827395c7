#!/usr/bin/env python3
"""Runs one HTTP request-form case: writes its capture (make_http_forms.py), replays it through
the sensor and compares the ledger and the anomaly counters with expected/<case>.json, the way
tests/evasion/run_evasion.py does for the evasion cases (same expected-file format).

  run_http_forms.py BUCKETWATCH WORKDIR CASE [--update]

--update rewrites the expected file from this run; review the diff before committing it.

When tshark is installed it is the oracle too: every request tshark decodes in the capture
(method and target) must be in the sensor's ledger. tshark decodes no HTTP/0.9 request, no
upload cut before its body ended, and no SOCKS5 handshake whose client does not wait for the
proxy: those cases rest on the expected file alone.
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "evasion"))
import make_http_forms  # noqa: E402
import run_evasion  # noqa: E402


def tshark_requests(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "http.request", "-T", "fields", "-e",
                          "http.request.method", "-e", "http.request.uri"],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def tshark_problems(pcap, ledger):
    seen = set()
    for line in ledger:
        path, query = line.get("url.path") or "", line.get("url.query")
        target = path + ("?" + query if query else "")
        seen.add((line.get("http.request.method"), target))
        # tshark ends the target at the first SP, where nginx before 1.21.1 (which the sensor
        # follows) took the last token as the version: "/a b" is "/a" to tshark.
        seen.add((line.get("http.request.method"), target.split(" ")[0]))
    return ["tshark decodes %s %s, the ledger does not have it" % r
            for r in tshark_requests(pcap) if r not in seen]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    update = "--update" in sys.argv
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work, case = args
    work = os.path.join(work, case)
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, case + ".pcap")
    make_http_forms.write_case(case, pcap)
    started = time.time()
    got = run_evasion.observe(*run_evasion.run_sensor(binary, pcap, work))
    exp_path = os.path.join(HERE, "expected", case + ".json")
    if update:
        old = json.load(open(exp_path)) if os.path.exists(exp_path) else {}
        out = {"case": case, "server_sees": old.get("server_sees", ""),
               "verdict": old.get("verdict", ""), **got}
        os.makedirs(os.path.dirname(exp_path), exist_ok=True)
        with open(exp_path, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print("%s: wrote %s" % (case, exp_path))
        return 0
    expected = json.load(open(exp_path))
    problems = run_evasion.compare(expected, got)
    if shutil.which("tshark"):
        problems += tshark_problems(pcap, got["ledger"])
    if problems:
        print("http_forms.%s FAILED (%s)" % (case, expected.get("server_sees", "")))
        for p in problems:
            print("  " + p)
        print("observed (for --update review):\n" + json.dumps(got, indent=2))
        return 1
    print("http_forms.%s: ok in %.1f s: %s; sensor: %s" % (case, time.time() - started,
                                                          expected.get("server_sees", ""),
                                                          expected.get("verdict", "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
