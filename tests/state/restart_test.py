#!/usr/bin/env python3
"""A restart neither hides traffic nor pages twice (issue 17 item 1): the sensor's learned state
(servers known as storage, alert dedup windows) survives in --state-dir.

  restart_test.py BUCKETWATCH WORKDIR

Uses the live-recorded s3rver session (tests/pcap/e2e/s3_anonymous_curl.pcap: curl lists the
bucket, then reads objects; s3rver answers the reads with no S3 header, so only a server learned
before makes a ranged read (206) or a HEAD storage; a whole object proves itself by its MD5):

1. known servers: the session is cut before the ranged read, as if the sensor restarted there.
   With the state directory the second run ledgers the ranged read and the HEAD; without it,
   it does not.
2. dedup: the whole session again 6 minutes later (timestamps shifted) pages nothing, inside
   the 1-hour dedup windows; 90 minutes later it pages again, but for new_public_exposure, which
   fires once per bucket (the state keeps the buckets seen exposed).
3. open windows: the session cut in the middle of its object reads, with bulk_exfiltration's
   threshold set to the session's read count, pages once, in the second run, with the state
   directory (the first run's reads carried over); without it, never.
4. a corrupt state file and one of another version are moved aside with a log line naming why;
   the run goes on and saves a good state at exit.
(The unit tests in tests/unit/sensor/state cover the size bound, FIFOs and atomic replacement.)
"""
import datetime
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION = os.path.join(HERE, "..", "pcap", "e2e", "s3_anonymous_curl.pcap")


def records(path):
    data = open(path, "rb").read()
    header, pos, out = data[:24], 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        out.append((sec, frac, data[pos + 16:pos + 16 + incl], orig))
        pos += 16 + incl
    return header, out


def write(path, header, recs, shift_seconds=0):
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, frame, orig in recs:
            f.write(struct.pack("<IIII", sec + shift_seconds, frac, len(frame), orig) + frame)


def run(binary, pcap, work, name, state_dir=None, extra=()):
    ledger = os.path.join(work, name + ".ledger.jsonl")
    alerts = os.path.join(work, name + ".alerts.jsonl")
    for p in (ledger, alerts):
        if os.path.exists(p):
            os.remove(p)
    args = [binary, "--read", pcap, "--ledger", ledger, "--alerts", alerts, "-q"]
    if state_dir:
        args += ["--state-dir", state_dir]
    proc = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit("FAIL: %s: exit %d: %s" % (name, proc.returncode, proc.stderr[-400:]))
    read = lambda p: [json.loads(l) for l in open(p)] if os.path.exists(p) else []  # noqa: E731
    return read(ledger), read(alerts), proc.stderr


def served(ledger, since=""):
    return sorted((l["storage"]["operation"], l["url"]["path"]) for l in ledger
                  if l["http"]["response"].get("status_code", 0) < 300 and l["@timestamp"] >= since)


def seconds(timestamp):
    return datetime.datetime.strptime(timestamp[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def syn_before(recs, t):
    """The index of the last connection-opening SYN before time t: a restart cuts there."""
    cut = None
    for i, (sec, frac, frame, _) in enumerate(recs):
        if sec + frac / 1e6 >= t:
            break
        ethertype = struct.unpack("!H", frame[12:14])[0]
        l4 = 14 + ((frame[14] & 0x0F) * 4 if ethertype == 0x0800 else 40)
        proto = frame[23] if ethertype == 0x0800 else frame[20]
        if proto == 6 and frame[l4 + 13] & 0x12 == 0x02:
            cut = i
    if not cut:
        raise SystemExit("FAIL: no SYN before %.3f in %s" % (t, SESSION))
    return cut


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work = sys.argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    header, recs = records(SESSION)
    problems = []

    # 1. Known servers. Each curl request has its own connection: cut at the ranged read's.
    first, _, _ = run(binary, SESSION, work, "whole")
    first_get = min(l["@timestamp"] for l in first
                    if l["http"]["response"].get("status_code") == 206)
    t_get = seconds(first_get)
    cut = syn_before(recs, t_get)
    cut_ts = recs[cut][0] + recs[cut][1] / 1e6
    part_a, part_b = os.path.join(work, "listings.pcap"), os.path.join(work, "reads.pcap")
    write(part_a, header, recs[:cut])
    write(part_b, header, recs[cut:])
    state = os.path.join(work, "state")
    run(binary, part_a, work, "a", state)
    if not os.path.exists(os.path.join(state, "state.json")):
        problems.append("no state.json after a run with --state-dir")
    with_state, _, log = run(binary, part_b, work, "b_state", state)
    without, _, _ = run(binary, part_b, work, "b_fresh")
    want = served(first, first_get)
    if not want or served(with_state) != want:
        problems.append("after a restart with state the reads ledgered %s, want %s (log: %s)" % (
            served(with_state), want, log.strip()[-300:]))
    # A 404 carries S3's error XML and needs no state; the ranged read and the HEAD carry nothing.
    if served(without):
        problems.append("control: without state the served reads were ledgered (%s): the test "
                        "proves nothing" % served(without))
    if "restored 1 known storage servers" not in log:
        problems.append("no restore log line: %s" % log.strip()[-300:])
    print("known servers: cut at %.3f; served reads ledgered %d with state, %d without" % (
        cut_ts, len(served(with_state)), len(served(without))))

    # 2. Dedup across a restart.
    state2 = os.path.join(work, "state2")
    _, alerts0, _ = run(binary, SESSION, work, "d0", state2)
    later = os.path.join(work, "later.pcap")
    write(later, header, recs, 6 * 60)
    _, alerts6, _ = run(binary, later, work, "d6", state2)
    _, alerts_fresh, _ = run(binary, later, work, "d6_fresh")
    much_later = os.path.join(work, "much_later.pcap")
    write(much_later, header, recs, 90 * 60)
    _, alerts120, _ = run(binary, much_later, work, "d120", state2)
    rules = lambda alerts: sorted(a["rule"] for a in alerts)  # noqa: E731
    if not alerts0 or rules(alerts_fresh) != rules(alerts0):
        problems.append("control: alerts %s first, %s without state 6 min later" % (
            rules(alerts0), rules(alerts_fresh)))
    if alerts6:
        problems.append("paged again 6 min after a restart: %s" % rules(alerts6))
    # new_public_exposure fires once per bucket: its inventory outlives every dedup window.
    once = "new_public_exposure"
    if once not in rules(alerts0) or once in rules(alerts120) or \
            rules(alerts120) != [r for r in rules(alerts0) if r != once]:
        problems.append("90 min later (past the dedup windows) alerts %s, want %s but %s" % (
            rules(alerts120), rules(alerts0), once))
    suppressed = sum(a["counts"].get("suppressed", 0) for a in alerts120)
    print("dedup: %d alerts, 6 min later with state %d (without %d), 90 min later %d carrying %d "
          "suppressed repeats" % (len(alerts0), len(alerts6), len(alerts_fresh), len(alerts120),
                                  suppressed))

    # 3. A bulk read in progress across a restart.
    reads = sorted(seconds(l["@timestamp"]) for l in first
                   if l["storage"]["operation"] == "GetObject" and
                   l["http"]["response"].get("status_code") in (200, 206))
    if len(reads) < 4:
        raise SystemExit("FAIL: %d object reads in %s, want at least 4" % (len(reads), SESSION))
    cut = syn_before(recs, reads[len(reads) // 2])
    first_half, second_half = os.path.join(work, "reads1.pcap"), os.path.join(work, "reads2.pcap")
    write(first_half, header, recs[:cut])
    write(second_half, header, recs[cut:])
    threshold = ["--set", "detection.bulk_exfiltration.min_objects=%d" % len(reads)]
    bulk = lambda alerts: [a for a in alerts if a["rule"] == "bulk_exfiltration"]  # noqa: E731
    _, whole_alerts, _ = run(binary, SESSION, work, "w_whole", extra=threshold)
    state3 = os.path.join(work, "state3")
    _, alerts1, _ = run(binary, first_half, work, "w1", state3, threshold)
    _, alerts2, _ = run(binary, second_half, work, "w2", state3, threshold)
    _, alerts2_fresh, _ = run(binary, second_half, work, "w2_fresh", extra=threshold)
    if len(bulk(whole_alerts)) != 1:
        problems.append("control: the whole session raised %d bulk alerts at min_objects=%d" % (
            len(bulk(whole_alerts)), len(reads)))
    if bulk(alerts1) or bulk(alerts2_fresh):
        problems.append("control: a half session alone raised a bulk alert (%d, %d)" % (
            len(bulk(alerts1)), len(bulk(alerts2_fresh))))
    got = bulk(alerts2)
    if len(got) != 1 or got[0]["counts"]["objects"] != len(reads):
        problems.append("bulk read across a restart: %s, want one alert of %d objects" % (
            [a["counts"] for a in got], len(reads)))
    elif got[0]["first_seen"] != bulk(whole_alerts)[0]["first_seen"]:
        problems.append("bulk alert after the restart starts at %s, the whole session's at %s" % (
            got[0]["first_seen"], bulk(whole_alerts)[0]["first_seen"]))
    print("open windows: %d reads cut after %d; bulk alerts: whole %d, halves with state %d+%d, "
          "second half alone %d" % (len(reads), len(reads) // 2, len(bulk(whole_alerts)),
                                    len(bulk(alerts1)), len(got), len(bulk(alerts2_fresh))))

    # 4. Corrupt and foreign state files.
    for name, content, why in (("garbage", "{not json", "not a JSON object"),
                               ("version", json.dumps({"format": "bucketwatch-state",
                                                       "version": 2, "known_servers": [],
                                                       "dedup": []}), "state version 2")):
        d = os.path.join(work, "state_" + name)
        os.makedirs(d)
        with open(os.path.join(d, "state.json"), "w") as f:
            f.write(content)
        _, _, log = run(binary, SESSION, work, "bad_" + name, d)
        if why not in log or "state.json.rejected" not in log:
            problems.append("%s state: log does not say why/where: %s" % (name, log.strip()[-300:]))
        if not os.path.exists(os.path.join(d, "state.json.rejected")):
            problems.append("%s state: not moved aside" % name)
        try:
            saved = json.load(open(os.path.join(d, "state.json")))
            assert saved["version"] == 1 and saved["known_servers"]
        except Exception as e:  # noqa: BLE001
            problems.append("%s state: no good state saved at exit (%s)" % (name, e))

    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: state survives restarts; corrupt and foreign files are moved aside")
    return 0


if __name__ == "__main__":
    sys.exit(main())
