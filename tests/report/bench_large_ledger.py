#!/usr/bin/env python3
"""Streaming and bounded memory: `bucketwatch report` over a large synthetic ledger.

Generates N ledger lines (default 10,000,000; gzip-compressed, as rotated ledgers are) shaped
like the sensor's: 40 buckets (8 anonymously exposed), `--objects` distinct objects read
anonymously, 50,000 client addresses, listings, denials and authenticated traffic. Runs the
report (CSV: the full per-object table) and prints wall time, lines/s and peak RSS; checks
the object table's row count and total reads, and that the peak RSS stays under --max-rss-mb.

CI runs a small version (--lines 200000); the 10M figures are in tests/report/README.md.

usage: bench_large_ledger.py --bucketwatch PATH [--lines N] [--objects N] [--max-rss-mb M]
                             [--work DIR] [--keep]
"""
import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

BASE_TS = 1795392000  # 2026-11-23T00:00:00Z

LINE = ('{"@timestamp":"2026-11-23T%02d:%02d:%02d.%09dZ","event":{"kind":"event",'
        '"category":"network","duration":%d},"source":{"ip":"%s","port":%d},'
        '"destination":{"ip":"203.0.113.5","port":443},"network":{"community_id":'
        '"1:AAAAAAAAAAAAAAAAAAAAAAAAAAA=","transport":"tcp"},"http":{"request":{"method":"%s",'
        '"bytes":%d},"response":{"status_code":%d,"bytes":%d}},"url":{"domain":"%s.s3.amazonaws.com",'
        '"path":"/%s"%s},"user_agent":{"original":"%s"},"storage":{"provider":"s3",'
        '"bucket":"%s"%s,"operation":"%s","auth":{"class":"%s"%s},"outcome":"%s"%s}}\n')

AGENTS = ["curl/8.5.0", "aws-cli/2.15.0 Python/3.11.6", "python-requests/2.31.0",
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "rclone/v1.65.0", "Wget/1.21.4"]


def generate(path, lines, objects, seed=7):
    rng = random.Random(seed)
    exposed = ["leaky-%d" % i for i in range(8)]
    private = ["private-%d" % i for i in range(32)]
    gz = subprocess.Popen(["gzip", "-1", "-c"], stdin=subprocess.PIPE,
                          stdout=open(path, "wb"))
    out = gz.stdin
    reads = 0
    buf = []
    for n in range(lines):
        t = n * 86000 // lines  # spread over one day
        h, m, s = t // 3600, (t // 60) % 60, t % 60
        ns = rng.randrange(1_000_000_000)
        ip = "198.%d.%d.%d" % (n % 7, (n * 13) % 256, rng.randrange(1000) % 256)
        ua = AGENTS[n % len(AGENTS)]
        r = rng.random()
        if r < 0.60:  # anonymous object read
            bucket = exposed[0] if rng.random() < 0.7 else rng.choice(exposed)
            obj = rng.randrange(objects)
            key = "data/%07d/part-%d.parquet" % (obj, obj % 13)
            ranged = obj % 10 == 0
            buf.append(LINE % (h, m, s, ns, 4000000, ip, 40000 + n % 20000, "GET", 180,
                               206 if ranged else 200, 1000 + obj % 5000, bucket,
                               bucket + "/" + key, "", ua, bucket, ',"key":"%s"' % key,
                               "GetObject", "anonymous", "", "success",
                               ',"range":true' if ranged else ""))
            reads += 1
        elif r < 0.70:  # anonymous listing page
            bucket = rng.choice(exposed)
            buf.append(LINE % (h, m, s, ns, 2000000, ip, 40000 + n % 20000, "GET", 150, 200,
                               20000, bucket, bucket, ',"query":"list-type=2"', ua, bucket, "",
                               "ListObjectsV2", "anonymous", "", "success",
                               ',"list":{"keys":1000,"truncated":true}'))
        elif r < 0.75:  # denied probe of a private bucket
            bucket = rng.choice(private)
            buf.append(LINE % (h, m, s, ns, 1000000, ip, 40000 + n % 20000, "GET", 150, 403,
                               300, bucket, bucket, "", ua, bucket, "", "ListObjectsV2",
                               "anonymous", "", "denied", ',"error_code":"AccessDenied"'))
        else:  # the owner's signed traffic
            bucket = rng.choice(exposed + private)
            buf.append(LINE % (h, m, s, ns, 3000000, "10.0.0.%d" % (n % 50), 50000, "PUT",
                               5000, 200, 200, bucket, bucket + "/up/%d" % n, "",
                               "aws-sdk-go-v2/1.24.0", bucket, ',"key":"up/%d"' % n, "PutObject",
                               "signed", ',"scheme":"SigV4","access_key_id":"AKIAOWNER"',
                               "success", ""))
        if len(buf) >= 10000:
            out.write("".join(buf).encode())
            buf.clear()
    out.write("".join(buf).encode())
    out.close()
    if gz.wait() != 0:
        raise SystemExit("gzip failed")
    return reads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--objects", type=int, default=2_000_000)
    ap.add_argument("--max-rss-mb", type=float, default=400)
    ap.add_argument("--work")
    ap.add_argument("--keep", action="store_true", help="keep the generated ledger")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="bw-bench-report-")
    os.makedirs(work, exist_ok=True)
    ledger = os.path.join(work, "large.jsonl.gz")
    try:
        count_file = ledger + ".reads"
        if not os.path.exists(count_file):
            t0 = time.monotonic()
            reads = generate(ledger, args.lines, args.objects)
            with open(count_file, "w") as f:
                f.write(str(reads))
            print("generated %d lines (%d anonymous reads) in %.1f s, %.1f MiB compressed"
                  % (args.lines, reads, time.monotonic() - t0,
                     os.path.getsize(ledger) / 1048576))
        with open(count_file) as f:
            reads = int(f.read())
        out = os.path.join(work, "objects.csv")
        t0 = time.monotonic()
        r = subprocess.run([args.bucketwatch, "report", "--no-progress", "--ledger", ledger,
                            "--format", "csv", "--output", out, "--temp-dir", work],
                           capture_output=True, text=True)
        wall = time.monotonic() - t0
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if r.returncode != 0:
            print(r.stderr)
            return 1
        rows, total_reads = 0, 0
        with open(out, encoding="utf-8") as f:
            next(f)
            for line in f:
                rows += 1
                total_reads += int(line.split(",")[6])
        print("report: %d lines in %.1f s (%.0f lines/s), peak RSS %.0f MiB, %d objects, "
              "%d reads" % (args.lines, wall, args.lines / wall, rss_mb, rows, total_reads))
        status = 0
        if total_reads != reads:  # every anonymous read line is counted in the table
            print("FAIL: the table counts %d reads, the ledger has %d" % (total_reads, reads))
            status = 1
        if rows == 0 or rows > 8 * args.objects:  # 8 exposed buckets share the key space
            print("FAIL: %d objects for at most %d distinct keys" % (rows, 8 * args.objects))
            status = 1
        if rss_mb > args.max_rss_mb:
            print("FAIL: peak RSS %.0f MiB above %.0f MiB" % (rss_mb, args.max_rss_mb))
            status = 1
        return status
    finally:
        if not args.work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
