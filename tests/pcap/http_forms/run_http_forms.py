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
import os
import shutil
import subprocess
import sys

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
    def tshark_check(pcap, got):
        return tshark_problems(pcap, got["ledger"]) if shutil.which("tshark") else []
    return run_evasion.run_case("http_forms", make_http_forms.write_case,
                                os.path.join(HERE, "expected"), tshark_check, __doc__)


if __name__ == "__main__":
    sys.exit(main())
