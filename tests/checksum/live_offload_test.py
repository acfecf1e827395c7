#!/usr/bin/env python3
"""checksum.live_offload (issue 16): a real client's traffic captured live on a host whose NIC
offloads TX checksums, and the ledger the sensor writes from it in its default configuration must
equal what the client did.

Two network namespaces joined by a veth pair. The client's end keeps TX checksum offload on, so
tcpdump on it records the client's own segments with the unfilled sums the NIC would fill in
(CHECKSUM_PARTIAL) and the server's with correct ones; the server's end has it off (software
sums). s3rver runs in the server's namespace with objects seeded before the capture starts; the
Debian aws CLI in the client's namespace lists the bucket, downloads a 1 MiB object (the
download-heavy start that turned the old decoder-wide sample strict) and reads 12 objects, all
anonymous (--no-sign-request). The capture is then read with `bucketwatch --read`.

  live_offload_test.py BUCKETWATCH WORKDIR

Needs root (network namespaces) and scripts/install-e2e-deps (s3rver, aws, tcpdump, ethtool):
exits 77 (skipped) when it cannot create a namespace or a tool is missing.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
S3RVER = os.path.join(REPO, "tests", "e2e", "node_modules", ".bin", "s3rver")
CHECK_LEDGER = os.path.join(REPO, "tests", "e2e", "check_ledger.py")
AWS = "/usr/bin/aws"
SERVER_IP, CLIENT_IP, PORT = "10.199.16.1", "10.199.16.2", 4568
BUCKET = "offload-public"
KEYS = ["reports/2026/part-%02d.csv" % i for i in range(12)]
BIG = "dumps/full.bin"


def skip(msg):
    print("skip: " + msg)
    sys.exit(77)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Netns:
    def __init__(self):
        tag = os.getpid()
        self.server, self.client = "checksum-srv-%d" % tag, "checksum-cli-%d" % tag
        self.procs = []

    def __enter__(self):
        if subprocess.run(["ip", "netns", "add", self.server]).returncode != 0:
            skip("cannot create a network namespace (needs root)")
        subprocess.run(["ip", "netns", "add", self.client], check=True)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in (self.client, self.server):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)

    def run(self, ns, argv, **kw):
        return subprocess.run(["ip", "netns", "exec", ns] + argv, **kw)

    def start(self, ns, argv, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, **kw)
        self.procs.append(p)
        return p


def wait_for(seconds, check):
    until = time.time() + seconds
    while time.time() < until:
        if check():
            return True
        time.sleep(0.1)
    return False


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bw, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    ethtool = shutil.which("ethtool") or "/usr/sbin/ethtool"
    for tool in (S3RVER, AWS, ethtool, shutil.which("tcpdump") or "/usr/sbin/tcpdump",
                 shutil.which("curl") or "/usr/bin/curl"):
        if not os.path.exists(tool):
            skip("%s is missing: run scripts/install-e2e-deps" % tool)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    with Netns() as n:
        subprocess.run(["ip", "link", "add", "checksum-c", "netns", n.client, "type", "veth",
                        "peer", "name", "checksum-s", "netns", n.server], check=True)
        for ns, dev, ip in ((n.client, "checksum-c", CLIENT_IP), (n.server, "checksum-s", SERVER_IP)):
            n.run(ns, ["ip", "addr", "add", ip + "/24", "dev", dev], check=True)
            n.run(ns, ["ip", "link", "set", dev, "up"], check=True)
            n.run(ns, ["ip", "link", "set", "lo", "up"], check=True)
        # The client is the offloading host whose capture we take; the server fills its sums.
        n.run(n.client, [ethtool, "-K", "checksum-c", "tx", "on"], check=True,
              stdout=subprocess.DEVNULL)
        n.run(n.server, [ethtool, "-K", "checksum-s", "tx", "off"], check=True,
              stdout=subprocess.DEVNULL)
        for ns, dev, want in ((n.client, "checksum-c", "on"), (n.server, "checksum-s", "off")):
            out = n.run(ns, [ethtool, "-k", dev], capture_output=True, text=True).stdout
            if "tx-checksumming: " + want not in out:
                fail("%s: tx-checksumming is not %s:\n%s" % (dev, want, out))

        data = os.path.join(work, "s3rver-data")
        os.makedirs(data)
        env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
        n.start(n.server, [S3RVER, "-d", data, "-a", SERVER_IP, "-p", str(PORT),
                           "--configure-bucket", BUCKET],
                stdout=open(os.path.join(work, "s3rver.log"), "w"), stderr=subprocess.STDOUT,
                env=env)
        base = "http://%s:%d" % (SERVER_IP, PORT)

        def curl(*args):
            return n.run(n.client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "--max-time", "10"] + list(args),
                         capture_output=True, text=True).stdout

        if not wait_for(30, lambda: curl(base + "/") == "200"):
            fail("s3rver did not answer; see %s/s3rver.log" % work)
        objects = {BIG: bytes((i * 131) & 0xFF for i in range(1 << 20))}
        for i, k in enumerate(KEYS):
            objects[k] = ("row,%d\n" % i).encode() * (40 + 300 * i)
        for k, body in objects.items():
            path = os.path.join(work, "seed.bin")
            with open(path, "wb") as f:
                f.write(body)
            if curl("-X", "PUT", "--data-binary", "@" + path, "%s/%s/%s" % (base, BUCKET, k)) != "200":
                fail("seeding %s failed" % k)

        aws_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        with open(os.path.join(work, "aws-config"), "w") as f:
            f.write("[default]\nregion = us-east-1\n")
        aws_env.update({"AWS_CONFIG_FILE": os.path.join(work, "aws-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "none"),
                        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": ""})

        def aws(*args):
            r = n.run(n.client, [AWS, "--endpoint-url", base, "--no-sign-request", "s3api"]
                      + list(args), capture_output=True, env=aws_env, timeout=60)
            if r.returncode != 0:
                fail("aws %s: %s" % (" ".join(args), r.stderr.decode()))
            return r.stdout

        def session(pcap, tcpdump_log):
            """The client's requests under tcpdump; returns what it did and the kernel's drops."""
            manifest = []
            # A 32 MiB buffer: the 1 MiB download bursts through the veth faster than tcpdump
            # writes.
            dump = n.start(n.client, ["tcpdump", "-i", "checksum-c", "-n", "-U", "--immediate-mode",
                                      "-B", "32768", "-w", pcap, "tcp", "port", str(PORT)],
                           stderr=open(tcpdump_log, "w"))
            if not wait_for(10, lambda: "listening on" in open(tcpdump_log).read()):
                fail("tcpdump did not start: %s" % open(tcpdump_log).read())

            def get(key):
                out = os.path.join(work, "download.bin")
                aws("get-object", "--bucket", BUCKET, "--key", key, out)
                with open(out, "rb") as f:
                    if f.read() != objects[key]:
                        fail("%s downloaded differs" % key)
                manifest.append({"method": "GET", "provider": "s3_compatible", "bucket": BUCKET,
                                 "key": key, "operation": "GetObject", "auth": "anonymous",
                                 "status": 200})

            # The listing first: an unsigned GET to a store on a bare address carries nothing
            # that says S3 until a listing's XML has taught the sensor the server (a
            # classification matter).
            listed = json.loads(aws("list-objects-v2", "--bucket", BUCKET))
            if len(listed.get("Contents", [])) != len(objects):
                fail("the listing has %d keys" % len(listed.get("Contents", [])))
            manifest.append({"method": "GET", "provider": "s3_compatible", "bucket": BUCKET,
                             "key": None, "operation": "ListObjectsV2", "auth": "anonymous",
                             "status": 200})
            get(BIG)
            for k in KEYS:
                get(k)
            time.sleep(1.5)
            dump.send_signal(signal.SIGINT)
            dump.wait(timeout=10)
            m = re.search(r"(\d+) packets dropped by kernel", open(tcpdump_log).read())
            return manifest, int(m.group(1)) if m else None

        # A loaded machine can make tcpdump itself drop (the kernel counts it): such a capture is
        # not the client's traffic, so the session runs again, at most three times.
        for attempt in range(1, 4):
            pcap = os.path.join(work, "capture-%d.pcap" % attempt)
            tcpdump_log = os.path.join(work, "tcpdump-%d.log" % attempt)
            manifest, dropped = session(pcap, tcpdump_log)
            if dropped == 0:
                break
            print("attempt %d: tcpdump dropped %s packets; capturing the session again" % (
                attempt, dropped))
        else:
            fail("tcpdump lost packets in every attempt, the capture is not the client's "
                 "traffic: %s" % open(tcpdump_log).read())

    expected = os.path.join(work, "manifest.jsonl")
    with open(expected, "w") as f:
        f.writelines(json.dumps(m) + "\n" for m in manifest)
    ledger, stats = os.path.join(work, "ledger.jsonl"), os.path.join(work, "stats.json")
    subprocess.run([bw, "--read", pcap, "--ledger", ledger, "--stats-json", stats, "-q"],
                   check=True, timeout=120)
    r = subprocess.run([sys.executable, CHECK_LEDGER, expected, ledger], capture_output=True,
                       text=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        fail("the ledger is not what the client did")
    with open(stats) as f:
        s = json.load(f)
    t = s["decode"]["tcp_checksum"]
    print("checksums: %s; weak segments %d" % (t, s["reassembly"]["weak_segments"]))
    # The capture must be what the test is about: the client's sums unfilled, the server's good.
    if t["unfilled"] == 0 or t["good"] == 0:
        fail("the capture does not have both unfilled and good sums: %s" % t)
    if s["decode"]["drops"].get("tcp_bad_checksum", 0) or s["reassembly"]["weak_segments"]:
        fail("segments dropped or weak on a clean host capture")
    if s["reassembly"]["gaps"]:
        fail("%d gaps in a complete capture" % s["reassembly"]["gaps"])
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
