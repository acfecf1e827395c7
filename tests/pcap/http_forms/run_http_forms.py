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


def tshark_problems(pcap, ledger, not_storage=()):
    """`not_storage`: requests the case shows are not storage ([method, target] pairs from the
    expected file), which tshark decodes and the ledger must not have."""
    seen, redacted = set(), set()
    for line in ledger:
        method, path, query = (run_evasion.ledger_path(line, "http.request.method"),
                               run_evasion.ledger_path(line, "url.path") or "",
                               run_evasion.ledger_path(line, "url.query"))
        target = path + ("?" + query if query else "")
        seen.add((method, target))
        # tshark ends the target at the first SP, where nginx before 1.21.1 (which the sensor
        # follows) took the last token as the version: "/a b" is "/a" to tshark.
        seen.add((method, target.split(" ")[0]))
        if query and "REDACTED" in query:
            redacted.add((method, path))  # tshark shows the credential the ledger must not
    excluded = {tuple(r) for r in not_storage}
    problems = ["%s %s is not storage, but the ledger has it" % r for r in excluded if r in seen]
    return problems + ["tshark decodes %s %s, the ledger does not have it" % r
                       for r in tshark_requests(pcap)
                       if r not in seen and r not in excluded and
                       (r[0], r[1].split("?")[0]) not in redacted]


def secret_problems(pcap):
    # Every file the replay wrote (ledger, stats, log) is searched for the case's signature.
    work = os.path.dirname(pcap)
    found = []
    for name in sorted(os.listdir(work)):
        path = os.path.join(work, name)
        if path != pcap and os.path.isfile(path):
            with open(path, "rb") as f:
                if make_http_forms.SIGNATURE.encode() in f.read():
                    found.append("the signature is in %s" % name)
    return found


def main():
    def tshark_check(pcap, got):
        problems = secret_problems(pcap)
        if shutil.which("tshark"):
            # The raw lines: got["ledger"] has long values summarised.
            with open(os.path.join(os.path.dirname(pcap), "ledger.jsonl")) as f:
                ledger = [json.loads(line) for line in f]
            case = os.path.splitext(os.path.basename(pcap))[0]
            with open(os.path.join(HERE, "expected", case + ".json")) as f:
                not_storage = json.load(f).get("not_storage", [])
            problems += tshark_problems(pcap, ledger, not_storage)
        return problems
    return run_evasion.run_case("http_forms", make_http_forms.write_case,
                                os.path.join(HERE, "expected"), tshark_check, __doc__)


if __name__ == "__main__":
    sys.exit(main())
