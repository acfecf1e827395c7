#!/usr/bin/env python3
"""The shipped deployments scope the capture with one BPF filter (issue 17 item 6).

  check_capture_filter.py SOURCE_DIR BUCKETWATCH

The systemd environment file and unit, the Dockerfile, the compose file and the DaemonSet all
pass the same `--bpf` expression. The real sensor compiles it and reads, with and without it:
the encapsulation cases' S3 GET on port 80 as plain Ethernet, behind an 802.1Q tag, in VXLAN and
in GENEVE (each must keep its ledger line), and the live-recorded s3rver traffic on an ephemeral
port (which the filter must drop: the point of scoping).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "pcap", "encap"))
import make_encap  # noqa: E402


def shipped_filters(src):
    def grab(path, pattern):
        text = open(os.path.join(src, path)).read()
        m = re.search(pattern, text, re.M)
        return (path, m.group(1) if m else None)
    return [
        grab("deploy/systemd/bucketwatch.default", r'^BUCKETWATCH_BPF="([^"]*)"$'),
        grab("deploy/systemd/bucketwatch.service", r'^Environment="BUCKETWATCH_BPF=([^"]*)"$'),
        grab("deploy/docker/Dockerfile", r'"--bpf", "([^"]*)"'),
        grab("deploy/docker/compose.yaml", r'^\s+- --bpf\n\s+- "\$\{BUCKETWATCH_BPF-([^}]*)\}"$'),
        grab("deploy/kubernetes/daemonset.yaml",
             r'- name: BUCKETWATCH_BPF\n\s+value: "([^"]*)"$'),
    ]


def vlan(p):
    etype = 0x0800 if p.version == 4 else 0x86DD
    return make_encap.eth(0x8100, struct.pack("!HH", 42, etype) + p.ip, p.to_server)


def vxlan(p):
    hdr = b"\x08\x00\x00\x00\x00\x00\x2a\x00"  # VNI 42
    return make_encap.outer_v4_udp(49152 + p.ident % 1000, 4789, hdr + make_encap.ether_of(p),
                                   p.ident, p.to_server)


def ledger_lines(binary, pcap, bpf, work):
    ledger = os.path.join(work, "ledger.jsonl")
    if os.path.exists(ledger):
        os.remove(ledger)
    args = [binary, "--read", pcap, "--ledger", ledger, "-q"]
    if bpf is not None:
        args += ["--bpf", bpf]
    run = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise SystemExit("FAIL: %s exited %d: %s" % (" ".join(args[:3]), run.returncode,
                                                     run.stderr.strip()[:300]))
    return [json.loads(l) for l in open(ledger)] if os.path.exists(ledger) else []


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, binary = sys.argv[1:]
    problems = []
    found = shipped_filters(src)
    for path, expr in found:
        if not expr:
            problems.append("%s ships no capture filter" % path)
    exprs = {expr for _, expr in found if expr}
    if len(exprs) > 1:
        problems.append("the deployments ship different filters: %s" % sorted(exprs))
    unit = open(os.path.join(src, "deploy/systemd/bucketwatch.service")).read()
    if "--bpf ${BUCKETWATCH_BPF}" not in unit:
        problems.append("bucketwatch.service does not pass --bpf ${BUCKETWATCH_BPF}")
    daemonset = open(os.path.join(src, "deploy/kubernetes/daemonset.yaml")).read()
    if "- --bpf\n            - $(BUCKETWATCH_BPF)" not in daemonset:
        problems.append("daemonset.yaml does not pass --bpf $(BUCKETWATCH_BPF)")
    if problems:
        for p in problems:
            print("FAIL: " + p)
        return 1
    bpf = exprs.pop()
    with tempfile.TemporaryDirectory() as work:
        kept = {"plain": make_encap.w_plain, "vlan": vlan, "vxlan": vxlan,
                "geneve": make_encap.w_geneve_gwlb}
        for name, wrap in kept.items():
            pcap = os.path.join(work, name + ".pcap")
            make_encap.write(pcap, 1, [wrap(p) for p in make_encap.conversation(4)])
            want = ledger_lines(binary, pcap, None, work)
            got = ledger_lines(binary, pcap, bpf, work)
            if not want or len(got) != len(want):
                problems.append("%s: %d ledger line(s) with the filter, %d without" % (
                    name, len(got), len(want)))
        other = os.path.join(src, "tests", "pcap", "e2e", "s3_anonymous_curl.pcap")
        unfiltered = ledger_lines(binary, other, None, work)
        filtered = ledger_lines(binary, other, bpf, work)
        if not unfiltered or filtered:
            problems.append("s3rver on an ephemeral port: %d line(s) with the filter, %d without "
                            "(want 0 with it)" % (len(filtered), len(unfiltered)))
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: one filter in %d deployment files keeps plain, VLAN, VXLAN and GENEVE storage "
          "traffic and drops the rest (%d s3rver lines)" % (len(found), len(unfiltered)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
