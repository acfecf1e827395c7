#!/usr/bin/env python3
"""Floods against bucketwatch's memory bounds (issue 7, "floods and bounds").

Each flood (flood_gen.py) carries a real anonymous S3 listing spliced into its middle and is
piped straight into `bucketwatch --read -` (nothing is written to disk, so the 2 GB chunked body
costs no space). The runner then checks, from the sensor's --stats-json and --alerts:
  - peak RSS of the sensor (process.peak_rss_bytes, VmHWM; cross-checked with getrusage of the
    child) stays under memory_cap_mib itself: the cap is the whole process's, code and tables
    included (the sensor's baseline, its RSS on the bare listing, is only reported);
  - the bound was actually reached and counted (each flood names the counters it must drive:
    flows.evicted / flows.evicted_memory, reassembly cap hits and hole timeouts, http limits,
    detection state evictions), the accounted flow memory stayed within one charge of the
    connections' share of the cap, and detection state within detection.memory_mib;
  - anonymous_list and anonymous_read still fired for public-data, the listed bucket.

  flood_test.py BUCKETWATCH WORKDIR [--flood NAME]... [--size ci|stress] [--n N]
                [--table ROWS.jsonl] [--dev-tolerate-missing]

--size stress runs the full-size versions (scripts/stress). --table appends one JSON row per
flood (scripts/stress prints them as a table). A sanitized sensor (ASan) runs every check but
the RSS bound. --dev-tolerate-missing turns checks on the http and detection sections of the
stats, which the sensor is gaining, into notes; it exists for developing this runner while they
land and is never used by ctest or scripts/stress.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flood_gen  # noqa: E402

MIB = 1 << 20

# reassembly.max_segments_per_flow in config/bucketwatch.yaml, and the most one buffered
# one-byte segment is charged (kSegmentOverhead is 48 today).
DEFAULT_MAX_SEGMENTS = 4096
ONE_BYTE_CHARGE = 64


def one_byte_flows(n):
    return max(1, n // flood_gen.ONE_BYTE_RUN)


# Per flood and size: the settings that make the bound bind on this input, and the checks.
# Every check is (stats path, op, value) where value may be a callable of (n, settings).
FLOODS = {
    "syn": {
        "what": "SYN flood, random source addresses and ports, never answered",
        "settings": {
            "ci": {"flows.max_flows": 20000, "memory_cap_mib": 96, "detection.memory_mib": 16},
            "stress": {"flows.max_flows": 200000, "memory_cap_mib": 1024},
        },
        "checks": [
            ("flows.created", ">=", lambda n, s: n),
            ("flows.evicted", ">=", lambda n, s: n - s["flows.max_flows"]),
        ],
    },
    "established": {
        "what": "established connections with an unfinished request line or an unanswered "
                "request, never closed",
        "settings": {
            "ci": {"memory_cap_mib": 96, "detection.memory_mib": 16},
            "stress": {"memory_cap_mib": 1024},
        },
        "checks": [
            ("flows.created", ">=", lambda n, s: n),
            ("flows.evicted_memory", ">", 0),
            ("flows.evicted", ">=", "flows.evicted_memory"),
        ],
    },
    "tls_nokeys": {
        "what": "TLS 1.3 connections whose keys never reach the key log, each holding 48 KiB "
                "that waits for them, never closed",
        "settings": {
            "ci": {"memory_cap_mib": 96, "detection.memory_mib": 16, "tls.keylog": "@keylog"},
            "stress": {"memory_cap_mib": 1024, "tls.keylog": "@keylog"},
        },
        "checks": [
            ("tls_decryption.attempts", ">=", lambda n, s: n),
            ("tls_decryption.waited_for_keys", ">=", lambda n, s: n),
            ("tls_decryption.failures.no_keys", ">=", lambda n, s: n),
            ("tls_decryption.decrypted", "==", 0),
            # Evicted and drained flows are never parked: parked bytes must not add to the
            # pressure that evicted them. None of these connections closes or times out.
            ("tls_decryption.parked", "==", 0),
            ("flows.evicted_memory", ">", 0),
        ],
    },
    "ooo_drip": {
        "what": "10,000 flows dripping out-of-order segments, holes filled only minutes later",
        "settings": {
            "ci": {"reassembly.per_flow_bytes": 4096, "reassembly.global_bytes": 16 * MIB,
                   "memory_cap_mib": 96, "detection.memory_mib": 16},
            "stress": {"reassembly.per_flow_bytes": 16384, "reassembly.global_bytes": 64 * MIB,
                       "memory_cap_mib": 1024},
        },
        "checks": [
            ("reassembly.out_of_order_segments", ">", 0),
            ("reassembly.per_flow_cap_hits", ">", 0),
            ("reassembly.global_cap_hits", ">", 0),
            ("reassembly.hole_timeouts", ">", 0),
            ("reassembly.gaps", ">=", "reassembly.hole_timeouts"),
            ("reassembly.buffered_high_water", "<=", lambda n, s: s["reassembly.global_bytes"]),
        ],
    },
    "chunked": {
        "what": "one chunked response body that never ends",
        "settings": {
            "ci": {"flows.hard_timeout_seconds": 60, "memory_cap_mib": 96,
                   "detection.memory_mib": 16},
            "stress": {"flows.hard_timeout_seconds": 60, "memory_cap_mib": 1024},
        },
        "checks": [
            # Every byte went through the parser; none of it stayed (RSS bound below).
            ("reassembly.bytes_delivered", ">=", lambda n, s: n),
            ("reassembly.gaps", "==", 0),
            ("flows.hard_timeouts", ">=", 1),
        ],
    },
    "pipelined": {
        "what": "100,000 pipelined requests on one connection, 500 answered late, the rest never",
        "settings": {
            "ci": {"memory_cap_mib": 96, "detection.memory_mib": 16},
            "stress": {"memory_cap_mib": 1024},
        },
        "checks": [
            # Every request is accounted for (the flushed ones as unanswered).
            ("app.storage_requests", ">=", lambda n, s: n),
            ("http.errors.pending_overflow", ">=",
             lambda n, s: n - s.get("http.max_pending_requests", 64) - flood_gen.LATE_RESPONSES),
        ],
    },
    "spray": {
        "what": "distinct virtual-hosted bucket names probed anonymously, 404/403 answers",
        "settings": {
            # The entry caps stay at their defaults: the byte budget is what binds.
            "ci": {"detection.max_distinct": 256, "memory_cap_mib": 96,
                   "detection.memory_mib": 16},
            "stress": {"detection.max_clients": 5000, "detection.max_distinct": 1024,
                       "memory_cap_mib": 1024},
        },
        "checks": [
            ("app.storage_requests", ">=", lambda n, s: n),
            ("detection.evicted_activities", ">=",
             lambda n, s: n - s.get("detection.max_tracked_keys", 100000)),
            ("detection.tracked_activities", "<=",
             lambda n, s: s.get("detection.max_tracked_keys", 100000)),
            ("detection.evicted_memory", ">", 0),
            ("detection.evicted_probe_names", ">", 0),
        ],
        "rules": ["bucket_enumeration"],
    },
    "descending": {
        "what": "one-byte segments in descending sequence order, every flow at once",
        "settings": {
            "ci": {"memory_cap_mib": 96, "detection.memory_mib": 16},
            "stress": {"memory_cap_mib": 1024},
        },
        "checks": [
            ("reassembly.out_of_order_segments", ">", 0),
            # Every flow's run is longer than the segment cap: each hits it at least once ...
            ("reassembly.segment_cap_hits", ">=", lambda n, s: one_byte_flows(n)),
            # ... before the byte cap, which would hold ~21,000 of them per flow.
            ("reassembly.per_flow_cap_hits", "==", 0),
            ("reassembly.gaps", ">=", lambda n, s: one_byte_flows(n)),
            # What stays buffered is bounded by segments, not by per_flow_bytes (1 MiB a flow).
            ("reassembly.buffered_high_water", "<=",
             lambda n, s: one_byte_flows(n) * DEFAULT_MAX_SEGMENTS * ONE_BYTE_CHARGE),
        ],
    },
}

# Sections of --stats-json this runner depends on that the sensor is gaining (HTTP parser
# limits, detection state); --dev-tolerate-missing notes their absence instead of failing.
PENDING_COUNTERS = ("http.", "detection.")


# The largest single charge to the flow memory budget: a reassembly segment (< 64 KiB plus its
# header) or an HTTP header block (max_header_block, 64 KiB).
ONE_CHARGE = 128 << 10


def lookup(stats, path):
    node = stats
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def sanitized(binary):
    """True for an AddressSanitizer build: its shadow memory and quarantine make RSS meaningless
    (ctest passes ${BW_PERF_SENSOR}, the unsanitised optimised build, when CI made one)."""
    with open(binary, "rb") as f:
        return any(b"__asan_init" in chunk for chunk in iter(lambda: f.read(1 << 24), b""))


def sensor_args(bucketwatch, work, settings, prefix):
    alerts = os.path.join(work, prefix + ".alerts.jsonl")
    stats = os.path.join(work, prefix + ".stats.json")
    for p in (alerts, stats):
        if os.path.exists(p):
            os.remove(p)
    cmd = [bucketwatch, "--read", "-", "--quiet", "--alerts", alerts, "--stats-json", stats,
           "--set", "metrics.listen="]
    for k, v in sorted(settings.items()):
        cmd += ["--set", "%s=%s" % (k, v)]
    return cmd, alerts, stats


def run_sensor(cmd, feed):
    """Runs the sensor with `feed(pipe)` writing its stdin from a thread of this process (so the
    child's peak RSS is the sensor's alone). Returns (returncode, stderr, peak RSS bytes,
    seconds, (packets, bytes) fed)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    fed = {}

    def writer():
        try:
            fed["result"] = feed(proc.stdin)
        except BrokenPipeError:
            fed["result"] = None
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    stderr_chunks = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))
    t = threading.Thread(target=writer)
    reader.start()
    t.start()
    t.join()
    reader.join()
    # wait4 gives this child's own resource usage (ru_maxrss in KiB), whatever ran before.
    _, status, usage = os.wait4(proc.pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    seconds = time.monotonic() - start
    peak = usage.ru_maxrss * 1024
    return rc, b"".join(stderr_chunks).decode(errors="replace"), peak, seconds, fed.get("result")


def resolve(value, n, settings, stats):
    if callable(value):
        return value(n, settings)
    if isinstance(value, str):
        return lookup(stats, value)
    return value


OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
       "==": lambda a, b: a == b}


def baseline_rss(bucketwatch, work, settings):
    """The sensor's RSS on the bare listing with the same settings."""
    cmd, _, stats_path = sensor_args(bucketwatch, work, settings, "baseline")
    listing = open(flood_gen.LISTING, "rb").read()

    def feed(pipe):
        pipe.write(listing)
        return None

    rc, err, peak, _, _ = run_sensor(cmd, feed)
    if rc != 0:
        raise SystemExit("baseline run failed (exit %d): %s" % (rc, err[-800:]))
    stats = json.load(open(stats_path))
    vmhwm = lookup(stats, "process.peak_rss_bytes")
    return vmhwm if vmhwm else peak


def run_flood(name, args):
    spec = FLOODS[name]
    n = args.n if args.n is not None else flood_gen.SIZES[name][args.size]
    settings = dict(spec["settings"][args.size])
    cap_mib = settings["memory_cap_mib"]
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    if settings.get("tls.keylog") == "@keylog":
        # An empty key log (0600: the sensor refuses one others may read): no key ever comes.
        keylog = os.path.join(work, "empty.keylog")
        open(keylog, "w").close()
        os.chmod(keylog, 0o600)
        settings["tls.keylog"] = keylog
    notes, failures = [], []

    def missing(path):
        msg = "%s not reported by the sensor" % path
        if args.dev_tolerate_missing and path.startswith(PENDING_COUNTERS):
            notes.append(msg + " (tolerated: --dev-tolerate-missing)")
        else:
            failures.append(msg)

    base = baseline_rss(args.bucketwatch, work, settings)
    cmd, alerts_path, stats_path = sensor_args(args.bucketwatch, work, settings, "flood")
    rc, err, peak, seconds, fed = run_sensor(
        cmd, lambda pipe: flood_gen.generate(name, pipe, args.size, n))
    packets = fed[0] if fed else 0
    if rc != 0:
        failures.append("sensor exit %d: %s" % (rc, err[-1500:]))
    stats = json.load(open(stats_path)) if os.path.exists(stats_path) else {}
    if not stats:
        failures.append("no stats JSON written")

    vmhwm = lookup(stats, "process.peak_rss_bytes")
    if vmhwm is None:
        missing("process.peak_rss_bytes")
    elif peak is not None and vmhwm > peak + 4 * MIB:
        # getrusage covers the child's whole life, including the forked interpreter's pages
        # before exec: an upper bound of the sensor's own high water mark, never below it.
        failures.append("process.peak_rss_bytes %d above getrusage's %d" % (vmhwm, peak))
    peak = vmhwm or peak
    bound = cap_mib * MIB
    if args.sanitized:
        notes.append("sanitized sensor: peak RSS not held to the bound (every other check runs)")
    elif peak is None:
        failures.append("no peak RSS measurement")
    elif peak >= bound:
        failures.append("peak RSS %.1f MiB >= memory_cap_mib %d (baseline %.0f MiB)" %
                        (peak / MIB, cap_mib, base / MIB))

    # The accounted flow memory: at most one charge over the connections' share (a flow is
    # charged, then the least recently active flows are evicted until the total is back under).
    # The share planned at start (pressure may have lowered it since): what the cap leaves after
    # what the sensor needs to run, the margin and detection's part.
    hw = lookup(stats, "flows.memory_high_water_bytes")
    parts = [lookup(stats, "process." + k) for k in
             ("memory_cap_bytes", "memory_to_run_bytes", "memory_margin_bytes")]
    det_cap = lookup(stats, "detection.memory_cap_bytes")
    share = None if None in parts or det_cap is None else parts[0] - parts[1] - parts[2] - det_cap
    if hw is None or share is None:
        missing("flows.memory_high_water_bytes")
    elif hw > share + ONE_CHARGE:
        failures.append("flows.memory_high_water_bytes %d: %d bytes over the connections' share "
                        "of %d" % (hw, hw - share, share))
    if lookup(stats, "flows.memory_bytes") is None:
        missing("flows.memory_bytes")
    applied = lookup(stats, "process.memory_cap_bytes")
    if applied is not None and applied != cap_mib * MIB:
        failures.append("process.memory_cap_bytes %d: the cap of %d MiB was not applied" %
                        (applied, cap_mib))
    det = lookup(stats, "detection.memory_bytes")
    if det is None or det_cap is None:
        missing("detection.memory_bytes")
    elif det > det_cap:
        failures.append("detection.memory_bytes %d over detection.memory_mib (%d)" %
                        (det, det_cap))

    for path, op, value in spec["checks"]:
        got = lookup(stats, path)
        want = resolve(value, n, settings, stats)
        if got is None:
            missing(path)
        elif want is None:
            missing(value)
        elif not OPS[op](got, want):
            failures.append("%s = %s, expected %s %s" % (path, got, op, want))

    rules = []
    alert_buckets = set()
    if os.path.exists(alerts_path):
        for line in open(alerts_path):
            a = json.loads(line)
            rules.append(a["rule"])
            alert_buckets.add((a["rule"], (a.get("storage") or {}).get("bucket")))
    for rule in ("anonymous_list", "anonymous_read"):
        if (rule, "public-data") not in alert_buckets:
            failures.append("the listing inside the flood raised no %s for public-data" % rule)
    for rule in spec.get("rules", []):
        if rule not in rules:
            failures.append("no %s alert" % rule)

    evictions = {k: lookup(stats, k) for k in (
        "flows.evicted", "flows.evicted_memory", "reassembly.per_flow_cap_hits",
        "reassembly.segment_cap_hits",
        "reassembly.global_cap_hits", "reassembly.hole_timeouts", "flows.hard_timeouts",
        "http.errors.pending_overflow", "detection.evicted_activities",
        "detection.evicted_clients", "detection.evicted_probe_names",
        "detection.evicted_memory")}
    row = {
        "flood": name, "size": args.size, "n": n, "packets": packets,
        "peak_rss_mib": round(peak / MIB, 1) if peak else None,
        "baseline_mib": round(base / MIB, 1), "cap_mib": cap_mib,
        "flow_memory_high_water_mib": round(hw / MIB, 1) if hw is not None else None,
        "evictions": {k: v for k, v in evictions.items() if v},
        "alert_fired": ("anonymous_list", "public-data") in alert_buckets,
        "alerts": {r: rules.count(r) for r in sorted(set(rules))},
        "seconds": round(seconds, 1), "ok": not failures, "failures": failures, "notes": notes,
    }
    print("%s (%s, n=%d): %d packets in %.1f s, peak RSS %s MiB (cap %d MiB, baseline %.0f MiB), "
          "flow memory high water %s MiB, evictions %s, alerts %s" %
          (name, args.size, n, packets, seconds, row["peak_rss_mib"], cap_mib,
           base / MIB, row["flow_memory_high_water_mib"], json.dumps(row["evictions"]),
           row["alerts"]))
    for note in notes:
        print("  note:", note)
    for f in failures:
        print("  FAIL:", f)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bucketwatch")
    ap.add_argument("work")
    ap.add_argument("--flood", action="append", choices=sorted(FLOODS),
                    help="run this flood (repeatable); default all")
    ap.add_argument("--size", choices=("ci", "stress"), default="ci")
    ap.add_argument("--n", type=int, help="override the flood's count")
    ap.add_argument("--table", help="append one JSON row per flood to this file")
    ap.add_argument("--dev-tolerate-missing", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    args.sanitized = sanitized(args.bucketwatch)
    ok = True
    for name in args.flood or list(FLOODS):
        row = run_flood(name, args)
        ok = ok and row["ok"]
        if args.table:
            with open(args.table, "a") as f:
                f.write(json.dumps(row) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
