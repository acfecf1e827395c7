#!/usr/bin/env python3
"""--http-log: one line per HTTP request parsed, storage or not, with nothing secret in it.

Writes a capture (Python, no tooling) of a plain web GET, an anonymous S3 GetObject, a presigned
S3 URL, a signed request (Authorization), a proxy request with userinfo and a token in its
absolute-form target, an upload the server never answers, and a target longer than the log's
bound. Checks each line against what was sent (method, host, target, status, storage), that
tshark reads the same requests from the capture (so the capture is what the test claims), that
no credential value reaches the log, and that with two workers the log holds the same lines.
  http_log_test.py BUCKETWATCH
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from make_many_buckets_pcap import Writer  # noqa: E402

SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
PRESIGNED_SIG = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
TOKEN = "tok3n-very-secret-value"
PASSWORD = "hunter2-password"
MAX_TARGET = 2048
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

CASES = [
    # (client, server, request, response, expected line fields)
    ("10.0.0.1", "192.0.2.10",
     b"GET /index.html?q=1 HTTP/1.1\r\nHost: www.Example.com\r\nUser-Agent: t\r\n\r\n", OK,
     {"method": "GET", "domain": "www.Example.com", "original": "/index.html?q=1", "status": 200,
      "storage": False}),
    ("10.0.0.2", "52.216.1.1",
     b"GET /public-bucket/a/b.txt HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nx-amz-request-id: R1\r\nx-amz-id-2: X1\r\nContent-Length: 5\r\n\r\n"
     b"hello",
     {"method": "GET", "domain": "s3.amazonaws.com", "original": "/public-bucket/a/b.txt",
      "status": 200, "storage": True}),
    ("10.0.0.3", "52.216.1.2",
     b"GET /bkt/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101"
     b"%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=60&X-Amz-Signature=" +
     PRESIGNED_SIG.encode() + b" HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n",
     b"HTTP/1.1 403 Forbidden\r\nx-amz-request-id: R2\r\nContent-Length: 0\r\n\r\n",
     {"method": "GET", "domain": "s3.amazonaws.com",
      "original": "/bkt/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101"
                  "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=60&X-Amz-Signature=REDACTED",
      "status": 403, "storage": True}),
    ("10.0.0.4", "52.216.1.3",
     b"PUT /bkt/up HTTP/1.1\r\nHost: s3.amazonaws.com\r\nAuthorization: AWS4-HMAC-SHA256 "
     b"Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, "
     b"Signature=" + SIGNATURE.encode() + b"\r\nContent-Length: 3\r\n\r\nabc",
     b"HTTP/1.1 200 OK\r\nx-amz-request-id: R3\r\nContent-Length: 0\r\n\r\n",
     {"method": "PUT", "domain": "s3.amazonaws.com", "original": "/bkt/up", "status": 200,
      "storage": True}),
    ("10.0.0.5", "198.51.100.7",
     b"GET http://alice:" + PASSWORD.encode() + b"@proxy.example.org:8080/p?a=1&token=" +
     TOKEN.encode() + b" HTTP/1.1\r\nHost: proxy.example.org:8080\r\n\r\n", OK,
     {"method": "GET", "domain": "proxy.example.org:8080",
      "original": "http://proxy.example.org:8080/p?a=1&token=REDACTED", "status": 200,
      "storage": False}),
    ("10.0.0.6", "192.0.2.11",
     b"POST /upload HTTP/1.1\r\nHost: up.example.net\r\nContent-Length: 3\r\n\r\nabc", b"",
     {"method": "POST", "domain": "up.example.net", "original": "/upload", "status": None,
      "storage": False}),
    ("10.0.0.7", "192.0.2.12",
     b"GET /" + b"x" * 3000 + b" HTTP/1.1\r\nHost: long.example.net\r\n\r\n", OK,
     {"method": "GET", "domain": "long.example.net", "original": "/" + "x" * (MAX_TARGET - 1),
      "status": 200, "storage": False, "truncated": True}),
]


def run(bw, pcap, log, *extra):
    r = subprocess.run([bw, "-q", "-r", pcap, "--http-log", log] + list(extra),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise SystemExit("bucketwatch exit %d: %s" % (r.returncode, r.stderr[-500:]))
    with open(log, encoding="utf-8") as f:
        return f.read()


def main():
    bw = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="bw-http-log-") as work:
        pcap = os.path.join(work, "http.pcap")
        w = Writer(pcap)
        for i, (client, server, req, resp, _) in enumerate(CASES):
            w.conversation(client, server, 40000 + i, 80, req, resp)
        w.f.close()

        # tshark reads the same requests: the capture is what CASES says.
        out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "http.request", "-T", "fields",
                              "-e", "http.request.method"], capture_output=True, text=True,
                             check=True).stdout.split()
        if out != [c[4]["method"] for c in CASES]:
            failures.append("tshark reads %s from the capture" % out)

        text = run(bw, pcap, os.path.join(work, "one.json"))
        lines = [json.loads(l) for l in text.splitlines()]
        if len(lines) != len(CASES):
            failures.append("%d lines for %d requests" % (len(lines), len(CASES)))
        by_client = {l["source"]["ip"]: l for l in lines}
        for client, server, _, _, want in CASES:
            got = by_client.get(client)
            if got is None:
                failures.append("%s: no line" % client)
                continue
            have = {"method": got["http"]["request"]["method"],
                    "domain": got["url"].get("domain"), "original": got["url"]["original"],
                    "status": got["http"].get("response", {}).get("status_code"),
                    "storage": got["storage"]}
            if want.get("truncated"):
                have["truncated"] = got["url"].get("truncated")
            elif "truncated" in got["url"]:
                failures.append("%s: truncated without reason" % client)
            if have != want:
                failures.append("%s: got %s, want %s" % (client, have, want))
            if got["destination"] != {"ip": server, "port": 80}:
                failures.append("%s: destination %s" % (client, got["destination"]))
            if got["source"]["port"] < 40000:
                failures.append("%s: source port %s" % (client, got["source"]["port"]))
        for secret in (SIGNATURE, PRESIGNED_SIG, TOKEN, PASSWORD, "alice"):
            if secret in text:
                failures.append("secret %s... in the HTTP log" % secret[:6])
        stamps = [l["@timestamp"] for l in lines]
        if stamps != sorted(stamps):
            failures.append("lines not in time order: %s" % stamps)

        two = run(bw, pcap, os.path.join(work, "two.json"), "--workers", "2")
        if sorted(two.splitlines()) != sorted(text.splitlines()):
            failures.append("two workers log other lines than one")

        # Off by default: no file appears, and the other outputs are unchanged.
        r = subprocess.run([bw, "-q", "-r", pcap, "--ledger", os.path.join(work, "ledger")],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or any(n.endswith(".json") and n not in ("one.json", "two.json")
                                    for n in os.listdir(work)):
            failures.append("run without --http-log: exit %d, files %s" %
                            (r.returncode, os.listdir(work)))
    for f in failures:
        print("FAIL:", f)
    print("http_log: %d requests checked, %d failures" % (len(CASES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
