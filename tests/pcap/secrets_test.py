#!/usr/bin/env python3
"""No credential presented on the wire may reach an output.

For every saved capture of real client traffic (SigV4, SigV2, presigned URLs, SAS, SharedKey,
GOOG4, Bearer), the secrets are taken from the capture with tshark (an independent parser):
signatures in Authorization headers, bearer tokens, and the values of signature/token/sig query
parameters. Then bucketwatch runs with every output on (ledger, alerts, flow log, stats, a
webhook sink's spool, the HTTP log) and none of those secret strings may appear in any file it wrote, nor in
its stderr, nor in /metrics.
  secrets_test.py BUCKETWATCH
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET_PARAMS = {"x-amz-signature", "signature", "sig", "x-goog-signature", "x-amz-security-token",
                 "token", "access_token", "code", "password", "secret"}


def secrets_in(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "http.request", "-T", "fields", "-E",
                          "separator=\t", "-e", "http.authorization", "-e", "http.request.uri"],
                         capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        auth, _, uri = line.partition("\t")
        for a in auth.split(","):
            a = a.strip()
            m = re.search(r"Signature=([0-9a-fA-F]{16,})", a)
            if m:
                found.add(m.group(1))
            m = re.match(r"^(?:AWS|SharedKey|SharedKeyLite|GOOG1)\s+[^:\s]+:(\S{8,})$", a)
            if m:
                found.add(m.group(1))
            m = re.match(r"^Bearer\s+(\S{8,})$", a)
            if m:
                found.add(m.group(1))
        query = urllib.parse.urlsplit(uri).query
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if k.lower() in SECRET_PARAMS and len(v) >= 8:
                found.add(v)
                found.add(urllib.parse.quote(v, safe=""))
    return found


def main():
    bw = sys.argv[1]
    captures = sorted(glob.glob(os.path.join(ROOT, "tests/pcap/e2e/*.pcap")) +
                      glob.glob(os.path.join(ROOT, "tests/pcap/detect/*/capture.pcap")))
    total = 0
    failures = []
    for pcap in captures:
        secrets = secrets_in(pcap)
        total += len(secrets)
        with tempfile.TemporaryDirectory() as work:
            cfg = os.path.join(work, "bw.yaml")
            with open(cfg, "w") as f:
                # A sink that cannot be reached keeps every alert in the spool: the spool is
                # checked too.
                f.write("alerting:\n  spool_dir: %s/spool\n  sinks:\n"
                        "    - {name: hook, type: webhook, url: \"http://127.0.0.1:9/x\","
                        " timeout_ms: 100}\n  drain_timeout_ms: 0\n" % work)
            r = subprocess.run([bw, "--read", pcap, "--config", cfg, "--ledger", work + "/ledger",
                                "--alerts", work + "/alerts", "--flow-log", work + "/flows",
                                "--http-log", work + "/http", "--stats-json", work + "/stats"], capture_output=True, text=True,
                               timeout=120)
            if r.returncode != 0:
                failures.append("%s: exit %d: %s" % (pcap, r.returncode, r.stderr[-300:]))
                continue
            blobs = {"stderr": r.stderr}
            for dirpath, _, files in os.walk(work):
                for name in files:
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as f:
                        blobs[os.path.relpath(path, work)] = f.read().decode("utf-8", "replace")
            if "/e2e/" in pcap and not os.path.getsize(work + "/ledger"):
                failures.append("%s: empty ledger" % pcap)
            if "/e2e/" in pcap and not os.path.getsize(work + "/http"):
                failures.append("%s: empty HTTP log" % pcap)
            for s in secrets:
                for where, text in blobs.items():
                    if s in text:
                        failures.append("%s: secret %s... found in %s" % (
                            os.path.basename(pcap), s[:6], where))
    if total < 20:
        failures.append("only %d secrets found in the captures: the test would prove nothing" % total)
    for f in failures:
        print("FAIL:", f)
    print("secrets: %d credential values from %d captures checked against ledger, alerts, flow "
          "log, HTTP log, stats, spool and stderr: %d failures" % (total, len(captures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
