#!/usr/bin/env python3
"""Real-component test: /metrics label sets stay bounded after a capture with thousands of
distinct buckets, accounts, keys, access key ids and clients.

Generates two captures with make_many_buckets_pcap.py (N/5 and N conversations, each from a
distinct client to a distinct bucket), runs the sensor on each with metrics up, and checks:
  - the set of exported series (name + labels) is the same for both sizes: nothing grows with
    the traffic;
  - every label is from the bounded vocabulary (provider, auth, outcome, reason, ...) and no
    label value holds a bucket, account, key, access key id or address;
  - the counters still count everything (storage requests = N).
Usage: label_bounds_test.py BUCKETWATCH [N]
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_lib import Sensor, fail, parse_exposition, require_linger, total  # noqa: E402

ALLOWED = {
    "provider": {"s3", "azure_blob", "gcs", "s3_compatible"},
    "auth": {"anonymous", "signed", "presigned", "bearer", "unknown"},
    "outcome": {"success", "denied", "not_found", "error", "no_response"},
    "state": {"starting", "running", "finished", "failed"},
    "cap": {"per_flow", "per_flow_segments", "global"},
    "result": {"success", "failure"},
    "severity": {"info", "low", "medium", "high", "critical", "unknown"},
    "rule": {"anonymous_list", "anonymous_read", "bucket_enumeration", "bulk_exfiltration",
             "new_public_exposure", "other"},
}
# Operation names are a fixed table (CamelCase API names or GCS resource.method) or "other".
OPERATION = re.compile(r"^(other|[A-Z][A-Za-z0-9]+|[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)+|batch)$")
REASON = re.compile(r"^[a-z0-9_]+$")
LEAKS = re.compile(r"bucket-|bkt-|acct\d|cont\d|gbucket|weird-|secret/|key-|AKIA|object-|"
                   r"\d+\.\d+\.\d+\.\d+|scanner/|curl/")


def series_of(binary, pcap, work, n):
    os.makedirs(work, exist_ok=True)
    sensor = Sensor(binary, pcap, work, linger=120, extra=["-q"])
    try:
        sensor.wait_finished()
        text = sensor.metrics()
    finally:
        rc = sensor.stop()
    if rc != 0:
        fail("sensor exit code %s" % rc)
    parsed = parse_exposition(text)
    if total(parsed, "bucketwatch_storage_requests_total") != n:
        fail("expected %d storage requests counted, /metrics says %s"
             % (n, total(parsed, "bucketwatch_storage_requests_total")))
    return parsed, text


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    require_linger(binary)
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="bw-labels-")
    keys = {}
    texts = {}
    for size in (n // 5, n):
        pcap = os.path.join(work, "many-%d.pcap" % size)
        subprocess.run([sys.executable, os.path.join(here, "make_many_buckets_pcap.py"), pcap,
                        str(size)], check=True)
        parsed, text = series_of(binary, pcap, os.path.join(work, str(size)), size)
        texts[size] = text
        keys[size] = {(name, tuple(sorted(labels.items())))
                      for name, labels, _ in parsed["samples"]}
        problems = []
        for name, labels, _ in parsed["samples"]:
            for k, v in labels.items():
                if LEAKS.search(v):
                    problems.append("%s{%s=%r}: traffic data in a label" % (name, k, v))
                if k in ALLOWED and v not in ALLOWED[k]:
                    problems.append("%s{%s=%r}: not in the bounded set" % (name, k, v))
                if k == "operation" and not OPERATION.match(v):
                    problems.append("%s{operation=%r}: not an operation name" % (name, v))
                if k == "reason" and not REASON.match(v):
                    problems.append("%s{reason=%r}" % (name, v))
                if k == "worker" and not v.isdigit():
                    problems.append("%s{worker=%r}" % (name, v))
        if problems:
            fail("\n  ".join(["unbounded labels:"] + problems[:30]))
        if len(keys[size]) > 1000:
            fail("%d series after %d requests" % (len(keys[size]), size))
    small, big = keys[n // 5], keys[n]
    if small != big:
        grown = sorted(big - small)[:20]
        gone = sorted(small - big)[:20]
        fail("series set changed with traffic volume: new %s, missing %s" % (grown, gone))
    ops = {dict(l).get("operation") for name, l in big if name == "bucketwatch_storage_requests_total"}
    if "other" not in ops:
        fail("the capture's unknown operations should be exported as operation=\"other\"")
    print("ok: %d series after %d and after %d requests from distinct clients/buckets "
          "(identical sets); operations %s" % (len(big), n // 5, n, sorted(ops)))


if __name__ == "__main__":
    main()
