#!/usr/bin/env python3
"""A SYN flood with random source addresses and ports (200,000 half-open flows, ten times the
flow cap) with a real anonymous S3 listing spliced into the middle of it. The sensor must stay
inside its memory bound, count the evictions, and still raise anonymous_list for the listing.
  flood_test.py BUCKETWATCH WORKDIR [--syns N] [--max-flows N] [--rss-mib N]
"""
import argparse
import json
import os
import random
import resource
import struct
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LISTING = os.path.join(ROOT, "tests/pcap/e2e/s3_anonymous_curl.pcap")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def first_ts(path):
    with open(path, "rb") as f:
        f.read(24)
        sec, usec = struct.unpack("<II", f.read(8))
    return sec + usec / 1e6


def write_flood(path, n, start, span):
    rng = random.Random(42)
    dst = bytes([10, 0, 0, 1])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            t = start + span * i / n
            src = bytes([198, 18, rng.randrange(256), rng.randrange(1, 255)])
            sport = rng.randrange(1024, 65536)
            tcp = struct.pack("!HHIIBBHHH", sport, 443, rng.getrandbits(32), 0, 5 << 4, 0x02,
                              64240, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)))
            f.write(frame)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bucketwatch")
    ap.add_argument("work")
    ap.add_argument("--syns", type=int, default=200000)
    ap.add_argument("--max-flows", type=int, default=20000)
    ap.add_argument("--rss-mib", type=int, default=1024)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    flood = os.path.join(args.work, "flood.pcap")
    merged = os.path.join(args.work, "flood_with_listing.pcap")
    t0 = first_ts(LISTING)
    write_flood(flood, args.syns, t0 - 10, 20)
    subprocess.run(["mergecap", "-F", "pcap", "-w", merged, flood, LISTING], check=True)
    alerts = os.path.join(args.work, "alerts.jsonl")
    stats = os.path.join(args.work, "stats.json")
    for p in (alerts,):
        if os.path.exists(p):
            os.remove(p)
    r = subprocess.run([args.bucketwatch, "--read", merged, "--quiet", "--alerts", alerts,
                        "--stats-json", stats, "--set", "flows.max_flows=%d" % args.max_flows],
                       capture_output=True, text=True, timeout=600)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    failures = []
    if r.returncode != 0:
        failures.append("exit %d: %s" % (r.returncode, r.stderr[-500:]))
    s = json.load(open(stats))
    created, evicted = s["flows"]["created"], s["flows"]["evicted"]
    if created < args.syns:
        failures.append("only %d flows created for %d SYNs" % (created, args.syns))
    if evicted < args.syns - args.max_flows:
        failures.append("evictions %d < %d" % (evicted, args.syns - args.max_flows))
    rules = [json.loads(l)["rule"] for l in open(alerts)] if os.path.exists(alerts) else []
    if "anonymous_list" not in rules:
        failures.append("the anonymous listing inside the flood raised no anonymous_list: %s" % rules)
    if peak_mib > args.rss_mib:
        failures.append("peak RSS %.0f MiB over %d MiB" % (peak_mib, args.rss_mib))
    for f in failures:
        print("FAIL:", f)
    print("flood: %d SYNs, flow cap %d: %d flows created, %d evicted, peak RSS %.0f MiB "
          "(bound %d MiB), alerts %s" % (args.syns, args.max_flows, created, evicted, peak_mib,
                                         args.rss_mib, sorted(set(rules))))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
