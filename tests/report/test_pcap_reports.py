#!/usr/bin/env python3
"""Exposure reports built from the saved real-server captures.

For each scenario: replay tests/pcap/e2e/<scenario>.pcap through the sensor to get its ledger,
then run `bucketwatch report` and assert
  - the per-object table (CSV) exactly equals tests/report/expected/<scenario>.objects.csv
    (reviewed against the scenario's manifest: every anonymous 200/206 GET, nothing else),
  - the bucket-level facts of the JSON report (exposure, listings, denials, authenticated
    contrast), and that text and HTML render,
  - the same table when the ledger is gzip-compressed, split into rotated files, and when the
    object table is forced to spill to disk on every object.

usage: test_pcap_reports.py --bucketwatch PATH [--work DIR]
"""
import argparse
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PCAPS = os.path.join(ROOT, "tests", "pcap", "e2e")
EXPECTED = os.path.join(ROOT, "tests", "report", "expected")

# Bucket-level expectations, from the manifests (tests/pcap/e2e/<scenario>.expected.jsonl).
BUCKETS = {
    "s3_anonymous_curl": {
        "public-data": dict(exposed=True, anon=11, success=10, denied=0, pages=5, keys=11,
                            truncated_pages=2, auth=0, ops={"GetObject": 5, "HeadObject": 1,
                                                            "ListObjects": 1, "ListObjectsV2": 4}),
        "public-data-backup": dict(exposed=False, anon=1, success=0, denied=0, pages=0, keys=0,
                                   truncated_pages=0, auth=0, ops={"ListObjectsV2": 1}),
        "": dict(exposed=True, anon=1, success=1, denied=0, pages=1, keys=1, truncated_pages=0,
                 auth=0, ops={"ListBuckets": 1}),
    },
    "azure_public_anonymous": {
        "public-container": dict(exposed=True, anon=8, success=7, denied=0, pages=3, keys=7,
                                 truncated_pages=1, auth=0,
                                 ops={"GetBlob": 3, "GetBlobProperties": 1,
                                      "GetContainerProperties": 1, "ListBlobs": 3}),
        "public-blobs": dict(exposed=True, anon=5, success=3, denied=2, pages=0, keys=0,
                             truncated_pages=0, auth=0, ops={"GetBlob": 3, "ListBlobs": 2}),
        "private": dict(exposed=False, anon=3, success=0, denied=3, pages=0, keys=0,
                        truncated_pages=0, auth=0, ops={"GetBlob": 2, "ListBlobs": 1}),
        "": dict(exposed=False, anon=1, success=0, denied=1, pages=0, keys=0, truncated_pages=0,
                 auth=0, ops={"ListContainers": 1}),
    },
    "s3_awscli_sigv4": {
        "reports": dict(exposed=True, anon=2, success=2, denied=0, pages=1, keys=3,
                        truncated_pages=0, auth=11, ops={"GetObject": 1, "ListObjectsV2": 1}),
    },
}

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)


def run(cmd, **kw):
    # Bytes in, decoded without newline translation: the CSV's CRLF line ends are compared too.
    r = subprocess.run(cmd, capture_output=True, timeout=120, **kw)
    r.stdout = r.stdout.decode("utf-8")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


def report(bw, ledgers, *extra):
    cmd = [bw, "report", "--no-progress"]
    for l in ledgers:
        cmd += ["--ledger", l]
    r = run(cmd + list(extra))
    if r.returncode != 0:
        raise SystemExit("report failed (%d): %s %s" % (r.returncode, " ".join(cmd), r.stderr))
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--work")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="bw-report-pcap-")
    os.makedirs(work, exist_ok=True)
    try:
        for scenario, buckets in BUCKETS.items():
            ledger = os.path.join(work, scenario + ".jsonl")
            if os.path.exists(ledger):
                os.unlink(ledger)
            r = run([args.bucketwatch, "--read", os.path.join(PCAPS, scenario + ".pcap"),
                     "--ledger", ledger])
            if r.returncode != 0:
                raise SystemExit("sensor failed on %s: %s" % (scenario, r.stderr))
            with open(os.path.join(EXPECTED, scenario + ".objects.csv"), newline="") as f:
                expected = f.read()

            table = report(args.bucketwatch, [ledger], "--format", "csv")
            check(table == expected, "%s: object table differs:\n%s\nexpected:\n%s"
                  % (scenario, table, expected))

            # Compressed and rotated: the ledger split in three, older parts gzipped.
            with open(ledger, "rb") as f:
                lines = f.read().splitlines(keepends=True)
            base = os.path.join(work, scenario + "-rot.jsonl")
            thirds = [lines[: len(lines) // 3], lines[len(lines) // 3: 2 * len(lines) // 3],
                      lines[2 * len(lines) // 3:]]
            parts = [base + ".20261123T000000Z.gz", base + ".20261123T000000Z.1.gz", base]
            for part, chunk in zip(parts, thirds):
                opener = gzip.open if part.endswith(".gz") else open
                with opener(part, "wb") as f:
                    f.write(b"".join(chunk))
            table = report(args.bucketwatch, list(reversed(parts)), "--format", "csv")
            check(table == expected, scenario + ": rotated+gzip table differs")
            table = report(args.bucketwatch, [ledger], "--format", "csv",
                           "--objects-in-memory", "1", "--temp-dir", work)
            check(table == expected, scenario + ": spilled table differs")

            doc = json.loads(report(args.bucketwatch, [ledger], "--format", "json"))
            got = {b["bucket"]: b for b in doc["buckets"]}
            check(set(got) == set(buckets), "%s: buckets %s, expected %s"
                  % (scenario, sorted(got), sorted(buckets)))
            rows = list(csv.DictReader(io.StringIO(expected)))
            for name, want in buckets.items():
                b = got.get(name)
                if b is None:
                    continue
                tag = "%s/%s" % (scenario, name or "(account)")
                check(b["exposed"] == want["exposed"], tag + ": exposed")
                check(b["anonymous"]["requests"] == want["anon"], tag + ": anonymous requests %d"
                      % b["anonymous"]["requests"])
                check(b["anonymous"]["success"] == want["success"], tag + ": anonymous success")
                check(b["denied"]["count"] == want["denied"], tag + ": denied")
                check(len(b["denied"]["attempts"]) == want["denied"], tag + ": denied rows")
                check(b["listing"]["pages"] == want["pages"], tag + ": listing pages")
                check(b["listing"]["keys"] == want["keys"], tag + ": listed keys")
                check(b["listing"]["truncated_pages"] == want["truncated_pages"],
                      tag + ": truncated pages")
                check(b["authenticated"]["outcomes"]["requests"] == want["auth"],
                      tag + ": authenticated requests")
                ops = {k: v["requests"] for k, v in b["anonymous_operations"].items()}
                check(ops == want["ops"], "%s: operations %s" % (tag, ops))
                objs = [o["key"] for o in b["objects"]]
                check(objs == [r["key"] for r in rows if r["bucket"] == name],
                      tag + ": JSON objects differ from the CSV table")
                check(sum(c["requests"] for c in b["clients"]) == want["anon"],
                      tag + ": client request counts")
                if want["exposed"]:
                    check(b["exposure"]["first"] <= b["exposure"]["last"], tag + ": window")
                    check(all(c["user_agent"] for c in b["clients"]), tag + ": user agents")
            text = report(args.bucketwatch, [ledger])
            for r in rows:
                check('"%s"' % r["key"] in text, "%s: text report lacks %s" % (scenario, r["key"]))
            html = report(args.bucketwatch, [ledger], "--format", "html")
            check(html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"),
                  scenario + ": html document")
            for r in rows:
                check(r["key"] in html, "%s: html lacks %s" % (scenario, r["key"]))
            print("ok: %s (%d objects)" % (scenario, len(rows)))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
