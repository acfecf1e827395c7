#!/usr/bin/env python3
"""`bucketwatch report --verify` against tampered ledgers.

The ledger comes from replaying the real-server captures through the sensor. When the sensor
already writes the hash chain (ledger.hash_chain: true) its lines are used as they are;
otherwise they are chained here, by an implementation independent of the C++ one, following
the format in sensor/output/ledger_file.h: each line ends with
,"log":{"prev_sha256":"<sha256 of the previous line's bytes>"} and the first chains to 64 zeros.

Asserts: intact (also split into rotated gzip files given in any order) exits 0; an edited,
deleted or reordered line, and a missing rotated file, exit 1 naming the line after it.

usage: test_hash_chain.py --bucketwatch PATH
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = ["s3_anonymous_curl", "azure_public_anonymous", "s3_awscli_sigv4"]
GENESIS = "0" * 64
failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)


def chain(lines):
    out, prev = [], GENESIS
    for line in lines:
        assert line.endswith(b"}")
        line = line[:-1] + b',"log":{"prev_sha256":"' + prev.encode() + b'"}}'
        out.append(line)
        prev = hashlib.sha256(line).hexdigest()
    return out


def write(path, lines):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))


def verify(bw, paths):
    cmd = [bw, "report", "--verify", "--no-progress"]
    for p in paths:
        cmd += ["--ledger", p]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bw-chain-")
    try:
        # One ledger written by three sensor runs in a row: a restarted sensor continues the
        # chain where the file ends.
        ledger = os.path.join(work, "sensor.jsonl")
        for s in SCENARIOS:
            r = subprocess.run([args.bucketwatch, "--read",
                                os.path.join(ROOT, "tests/pcap/e2e", s + ".pcap"),
                                "--ledger", ledger, "--quiet"], capture_output=True, timeout=120)
            if r.returncode != 0:
                raise SystemExit("sensor failed on " + s)
        with open(ledger, "rb") as f:
            raw = f.read().splitlines()
        already = all(b'"prev_sha256"' in l for l in raw)
        lines = raw if already else chain(raw)
        print("ledger: %d lines (%s)" % (len(lines), "chained by the sensor" if already
                                          else "chained by this test"))
        n = len(lines)
        good = os.path.join(work, "ledger.jsonl")
        write(good, lines)
        rc, out = verify(args.bucketwatch, [good])
        check(rc == 0 and "chain intact" in out, "intact ledger: rc %d\n%s" % (rc, out))
        check(hashlib.sha256(lines[-1]).hexdigest() in out, "head hash printed")

        # Rotated and compressed, given in shuffled order.
        rot = os.path.join(work, "rot.jsonl")
        parts = [rot + ".20261123T100000Z.gz", rot + ".20261123T110000Z", rot]
        cut = [0, n // 3, 2 * n // 3, n]
        for i, p in enumerate(parts):
            write(p, lines[cut[i]:cut[i + 1]])
        rc, out = verify(args.bucketwatch, [parts[2], parts[0], parts[1]])
        check(rc == 0, "rotated ledger: rc %d\n%s" % (rc, out))
        rc, out = verify(args.bucketwatch, [parts[0], parts[2]])
        check(rc == 1 and ("BROKEN %s:1:" % rot) in out, "missing rotated file: %s" % out)

        k = n // 2
        edited = list(lines)
        edited[k] = edited[k].replace(b'"outcome":"', b'"outcome":"x', 1)
        assert edited[k] != lines[k]
        bad = os.path.join(work, "edited.jsonl")
        write(bad, edited)
        rc, out = verify(args.bucketwatch, [bad])
        check(rc == 1 and ("%s:%d:" % (bad, k + 2)) in out, "edited line %d: %s" % (k + 1, out))

        deleted = lines[:k] + lines[k + 1:]
        bad = os.path.join(work, "deleted.jsonl")
        write(bad, deleted)
        rc, out = verify(args.bucketwatch, [bad])
        check(rc == 1 and ("%s:%d:" % (bad, k + 1)) in out, "deleted line: %s" % out)

        swapped = list(lines)
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        bad = os.path.join(work, "reordered.jsonl")
        write(bad, swapped)
        rc, out = verify(args.bucketwatch, [bad])
        check(rc == 1 and ("%s:%d:" % (bad, k + 1)) in out, "reordered lines: %s" % out)

        # An edit inside a compressed rotated file is found as well.
        edited_parts = [rot + "2.20261123T100000Z.gz", rot + "2"]
        tampered = list(lines[:n // 2])
        tampered[1] = tampered[1].replace(b'"method":"', b'"method":"X', 1)
        write(edited_parts[0], tampered)
        write(edited_parts[1], lines[n // 2:])
        rc, out = verify(args.bucketwatch, edited_parts)
        check(rc == 1 and ("%s:3:" % edited_parts[0]) in out, "edit in .gz: %s" % out)

        # Re-serialised lines (issue 18): the field is there, the bytes are not the hashed
        # ones. The finding says so at that line, and not "no log.prev_sha256"; nor does it
        # blame the line after it.
        resorted = list(lines)
        resorted[k] = json.dumps(json.loads(resorted[k]), sort_keys=True).encode()
        bad = os.path.join(work, "reserialised.jsonl")
        write(bad, resorted)
        rc, out = verify(args.bucketwatch, [bad])
        check(rc == 1 and ("%s:%d:" % (bad, k + 1)) in out and "re-serialised" in out
              and "no log.prev_sha256" not in out and ("%s:%d:" % (bad, k + 2)) not in out,
              "re-serialised line: %s" % out)

        unchained = os.path.join(work, "plain.jsonl")
        write(unchained, raw if not already else [l[:l.rfind(b',"log"')] + b"}" for l in raw])
        rc, out = verify(args.bucketwatch, [unchained])
        check(rc == 1, "unchained ledger must not verify: %s" % out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: hash chain detects edited, deleted, reordered lines and missing files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
