#!/usr/bin/env python3
"""new_public_exposure and `report --inventory` on a recorded capture (issue 20 item 3).

  exposure_inventory_test.py BUCKETWATCH WORKDIR

tests/pcap/demo/storage_demo.pcap holds real S3, S3-compatible, Azure Blob and GCS clients, some
of them reading public buckets without credentials. Expectations are computed here from the
ledger lines the run wrote, never from the sensor's own summaries:

1. With a fresh --state-dir, new_public_exposure fires exactly once for every bucket that has an
   anonymous success in the ledger, at that bucket's first one (its client and operation), and
   the state file lists exactly those buckets.
2. The same capture two days later (timestamps shifted past every dedup window, the rule's day
   included) with the same state directory: not one new_public_exposure alert, while the hourly
   anonymous_* rules page again; without the state directory it fires again (the control: the
   saved inventory, not dedup, is what keeps it quiet).
3. learning_seconds covering the capture: the buckets are recorded silently.
4. `report --inventory --format json` over the ledger and a copy of it without observer.name (an
   older ledger), and with --since: every row's first/last anonymous success, operations,
   distinct clients and objects, object bytes, sensors and unattributed count are those computed
   from the ledger lines; CSV and text list the same buckets.
"""
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = os.path.join(HERE, "..", "pcap", "demo", "storage_demo.pcap")
RULE = "new_public_exposure"


def shifted(path, out, seconds):
    """A copy of the classic pcap `path` with every timestamp `seconds` later."""
    data = open(path, "rb").read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        raise SystemExit("FAIL: %s is not a little-endian microsecond pcap" % path)
    parts, pos = [data[:24]], 24
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        parts.append(struct.pack("<IIII", sec + seconds, frac, incl, orig))
        parts.append(data[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    open(out, "wb").write(b"".join(parts))
    return out


def run(binary, work, name, state_dir=None, extra=(), capture=CAPTURE):
    ledger = os.path.join(work, name + ".ledger.jsonl")
    alerts = os.path.join(work, name + ".alerts.jsonl")
    args = [binary, "--read", capture, "--ledger", ledger, "--alerts", alerts, "-q"]
    if state_dir:
        args += ["--state-dir", state_dir]
    proc = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit("FAIL: %s: exit %d: %s" % (name, proc.returncode, proc.stderr[-400:]))
    read = lambda p: [json.loads(l) for l in open(p)] if os.path.exists(p) else []  # noqa: E731
    return ledger, read(ledger), read(alerts)


def ns(timestamp):
    """RFC 3339 UTC with up to 9 fractional digits -> (seconds text, nanoseconds): comparable."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", timestamp)
    if not m:
        raise SystemExit("FAIL: unexpected timestamp %r" % timestamp)
    return m.group(1), int((m.group(2) or "").ljust(9, "0"))


def bucket_of(line):
    s = line["storage"]
    return (s["provider"], s.get("account", ""), s.get("bucket", ""))


def anonymous_success(line):
    s = line["storage"]
    return s["auth"]["class"] == "anonymous" and s["outcome"] == "success"


def object_read(line):
    """Object data (not metadata) served: the report's definition, written from the ledger's
    field meanings (README "Ledger")."""
    s, url = line["storage"], line.get("url", {})
    if line["http"]["request"]["method"] != "GET" or not s.get("key"):
        return False
    op = s["operation"]
    if op in ("GetObject", "GetBlob"):
        return True
    if op == "objects.get":
        return not url.get("path", "").startswith("/storage/v1/") or \
            "alt=media" in url.get("query", "")
    return False


def object_bytes(line):
    r = line["http"].get("response", {})
    return r["body"]["bytes"] if "body" in r else r.get("bytes", 0)


def expected_inventory(lines, since=None):
    rows = {}
    for l in lines:
        if not anonymous_success(l) or (since and ns(l["@timestamp"]) < ns(since)):
            continue
        key = bucket_of(l)
        if not key[1] and not key[2]:
            continue
        r = rows.setdefault(key, {"first": None, "last": None, "n": 0,
                                  "ops": collections.Counter(), "clients": set(),
                                  "objects": set(), "reads": 0, "bytes": 0, "sensors": set(),
                                  "unattributed": 0})
        t = ns(l["@timestamp"])
        r["first"] = t if r["first"] is None else min(r["first"], t)
        r["last"] = t if r["last"] is None else max(r["last"], t)
        r["n"] += 1
        r["ops"][l["storage"]["operation"]] += 1
        r["clients"].add(l["source"]["ip"])
        if object_read(l):
            r["reads"] += 1
            r["bytes"] += object_bytes(l)
            r["objects"].add(l["storage"]["key"])
        name = l.get("observer", {}).get("name")
        if name:
            r["sensors"].add(name)
        else:
            r["unattributed"] += 1
    return rows


def check_inventory(binary, ledgers, lines, problems, since=None):
    args = [binary, "report", "--inventory", "--format", "json", "--no-progress"]
    for p in ledgers:
        args += ["--ledger", p]
    if since:
        args += ["--since", since]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        problems.append("report --inventory: exit %d: %s" % (proc.returncode, proc.stderr[-300:]))
        return []
    got = json.loads(proc.stdout)
    want = expected_inventory(lines, since)
    keys = [(b["provider"], b["account"], b["bucket"]) for b in got["buckets"]]
    if keys != sorted(want, key=lambda k: "/".join(k)):
        problems.append("inventory buckets %s, want %s" % (keys, sorted(want)))
        return keys
    for b, key in zip(got["buckets"], keys):
        w = want[key]
        checks = {
            "first_success": (ns(b["first_success"]), w["first"]),
            "last_success": (ns(b["last_success"]), w["last"]),
            "anonymous_successes": (b["anonymous_successes"], w["n"]),
            "operations": (b["operations"], dict(w["ops"])),
            "clients": (b["clients"], len(w["clients"])),
            "objects": (b["objects"], len(w["objects"])),
            "object_reads": (b["object_reads"], w["reads"]),
            "object_bytes": (b["object_bytes"], w["bytes"]),
            "sensors": (b["sensors"], sorted(w["sensors"])),
            "unattributed": (b["unattributed"], w["unattributed"]),
            "lower bounds": ([b["clients_lower_bound"], b["objects_lower_bound"],
                              b["sensors_truncated"], b["operations_other"]],
                             [False, False, False, 0]),
        }
        for field, (g, e) in checks.items():
            if g != e:
                problems.append("inventory %s %s: %r, want %r" % ("/".join(key), field, g, e))
    return keys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work = sys.argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    problems = []

    # 1. First run: one alert per exposed bucket, at its first anonymous success.
    state = os.path.join(work, "state")
    ledger, lines, alerts = run(binary, work, "first", state)
    first_success = {}
    for l in sorted(lines, key=lambda l: ns(l["@timestamp"])):
        key = bucket_of(l)
        if anonymous_success(l) and (key[1] or key[2]) and key not in first_success:
            first_success[key] = l
    if len(first_success) < 3:
        problems.append("the capture has %d exposed buckets; the test needs several" %
                        len(first_success))
    fired = [a for a in alerts if a["rule"] == RULE]
    fired_keys = [(a["storage"]["provider"], a["storage"].get("account", ""),
                   a["storage"].get("bucket", "")) for a in fired]
    if sorted(fired_keys) != sorted(first_success):
        problems.append("first run: %s alerts for %s, want one each for %s" % (
            RULE, sorted(fired_keys), sorted(first_success)))
    for a, key in zip(fired, fired_keys):
        l = first_success.get(key)
        if not l:
            continue
        if a["source"]["ip"] != l["source"]["ip"] or a["storage"]["auth"]["class"] != "anonymous":
            problems.append("alert for %s: client %s, want %s" % (key, a["source"]["ip"],
                                                                   l["source"]["ip"]))
        if ": %s" % l["storage"]["operation"] not in a["summary"]:
            problems.append("alert for %s does not name the first anonymous success %s: %s" % (
                key, l["storage"]["operation"], a["summary"]))
        if a["dedup_key"] != "%s/%s/%s/%s" % ((RULE,) + key):
            problems.append("alert for %s: dedup_key %s" % (key, a["dedup_key"]))
    saved = json.load(open(os.path.join(state, "state.json")))
    saved_keys = sorted((b["provider"], bytes.fromhex(b["account_hex"]).decode(),
                         bytes.fromhex(b["bucket_hex"]).decode())
                        for b in saved.get("exposures", {}).get("buckets", []))
    if saved_keys != sorted(first_success):
        problems.append("state file exposures %s, want %s" % (saved_keys, sorted(first_success)))
    print("first run: %d exposed buckets in the ledger, %d %s alerts" % (
        len(first_success), len(fired), RULE))

    # 2. Two days later with the state: silent. Without it: fires again.
    later = shifted(CAPTURE, os.path.join(work, "two_days_later.pcap"), 2 * 86400)
    _, _, again = run(binary, work, "again", state, capture=later)
    again_fired = [a for a in again if a["rule"] == RULE]
    if again_fired:
        problems.append("second run with the state fired %d %s alerts: %s" % (
            len(again_fired), RULE, [a["summary"] for a in again_fired]))
    if not any(a["rule"] == "anonymous_read" for a in again):
        problems.append("second run: no anonymous_read either; the shift did not pass the "
                        "dedup windows and the test proves nothing")
    _, _, fresh = run(binary, work, "fresh", capture=later)
    fresh_fired = [a for a in fresh if a["rule"] == RULE]
    if len(fresh_fired) != len(first_success):
        problems.append("control: without state %d alerts, want %d" % (len(fresh_fired),
                                                                       len(first_success)))
    print("second run with state: %d alerts; without state: %d" % (len(again_fired),
                                                                   len(fresh_fired)))

    # 3. A learning period covering the whole capture records without alerting.
    learn_state = os.path.join(work, "learn")
    _, _, learned = run(binary, work, "learn", learn_state,
                        ["--set", "detection.new_public_exposure.learning_seconds=86400"])
    if any(a["rule"] == RULE for a in learned):
        problems.append("learning period: %s fired" % RULE)
    learned_saved = json.load(open(os.path.join(learn_state, "state.json")))
    if len(learned_saved["exposures"]["buckets"]) != len(first_success):
        problems.append("learning period: %d buckets recorded, want %d" % (
            len(learned_saved["exposures"]["buckets"]), len(first_success)))

    # 4. The inventory, checked against the ledger lines.
    keys = check_inventory(binary, [ledger], lines, problems)
    old = os.path.join(work, "older.ledger.jsonl")
    with open(old, "w") as f:
        for l in lines:
            l = dict(l)
            l.pop("observer", None)
            f.write(json.dumps(l) + "\n")
    older = [json.loads(x) for x in open(old)]
    check_inventory(binary, [ledger, old], lines + older, problems)
    stamps = sorted(l["@timestamp"] for l in lines if anonymous_success(l))
    since = stamps[len(stamps) // 2]
    cut = check_inventory(binary, [ledger], lines, problems, since)
    if not 0 < len(cut) < len(keys) + 1:
        problems.append("--since %s kept %d buckets" % (since, len(cut)))
    for fmt in ("csv", "text"):
        proc = subprocess.run([binary, "report", "--inventory", "--format", fmt, "--ledger",
                               ledger], capture_output=True, text=True, timeout=60)
        listed = [k for k in keys if (k[2] if fmt == "text" else ",%s," % k[2]) in proc.stdout]
        if proc.returncode != 0 or len(listed) != len(keys):
            problems.append("--format %s: exit %d, lists %d of %d buckets" % (
                fmt, proc.returncode, len(listed), len(keys)))
        # (text mode reads the CSV's CRLF as \n)
        if fmt == "csv" and proc.stdout.count("\n") != len(keys) + 1:
            problems.append("csv: %d lines for %d buckets" % (proc.stdout.count("\n"),
                                                              len(keys)))
    print("inventory: %d buckets, checked against %d ledger lines (and an older copy)" % (
        len(keys), len(lines)))

    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
