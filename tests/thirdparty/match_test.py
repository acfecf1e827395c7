#!/usr/bin/env python3
"""The recall test's matching, on hand-made requests: what it normalises must pair, and what
differs must not (so a recall figure cannot come from a matcher that pairs anything).
  match_test.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall_test import Match, Request  # noqa: E402


def R(method, host, uri, status=0, truncated=False):
    return Request(method, host, uri, status, truncated)


CASES = [
    # (what, tshark's, the sensor's, matched)
    ("equal", [R("GET", "a.example", "/x", 200)], [R("GET", "a.example", "/x", 200)], 1),
    ("host case", [R("GET", "A.Example", "/x")], [R("GET", "a.example", "/x")], 1),
    ("status absent on one side", [R("GET", "a", "/x", 200)], [R("GET", "a", "/x", 0)], 1),
    ("status differs", [R("GET", "a", "/x", 200)], [R("GET", "a", "/x", 404)], 0),
    ("method differs", [R("GET", "a", "/x")], [R("POST", "a", "/x")], 0),
    ("uri differs", [R("GET", "a", "/x")], [R("GET", "a", "/y")], 0),
    ("host differs", [R("GET", "a", "/x")], [R("GET", "b", "/x")], 0),
    ("redacted credential", [R("GET", "s3", "/b/k?X-Amz-Signature=abc&x=1")],
     [R("GET", "s3", "/b/k?X-Amz-Signature=REDACTED&x=1")], 1),
    ("redacted, other value differs", [R("GET", "s3", "/b/k?X-Amz-Signature=abc&x=1")],
     [R("GET", "s3", "/b/k?X-Amz-Signature=REDACTED&x=2")], 0),
    ("REDACTED stands for a value only", [R("GET", "s3", "/b/k?sig=abc")],
     [R("GET", "s3", "/b/REDACTED")], 0),
    ("cut at the bound", [R("GET", "a", "/" + "x" * 3000)],
     [R("GET", "a", "/" + "x" * 2047, truncated=True)], 1),
    ("a prefix without the cut flag", [R("GET", "a", "/xyz")], [R("GET", "a", "/xy")], 0),
    ("fragment", [R("GET", "a", "/x#frag")], [R("GET", "a", "/x#REDACTED")], 1),
    ("absolute form: authority is the host, userinfo cut",
     [R("GET", "proxy.example", "http://u:p@Origin.example/x")],
     [R("GET", "origin.example", "http://origin.example/x")], 1),
    ("absolute form, path differs", [R("GET", "o", "http://o.example/X")],
     [R("GET", "o", "http://o.example/x")], 0),
    ("absolute form, same target", [R("GET", "proxy.example", "http://origin.example/x")],
     [R("GET", "origin.example", "http://origin.example/x")], 1),
    ("CONNECT, tshark has no host", [R("CONNECT", "", "h.example:443", 200)],
     [R("CONNECT", "h.example:443", "h.example:443", 200)], 1),
    ("space inside the target", [R("GET", "a", "/uri", 400)],
     [R("GET", "a", "/uri afterspace", 400)], 1),
    ("non-ASCII bytes", [R("GET", "a", "/caf\\xc3\\xa9")], [R("GET", "a", "/caf\u00e9")], 1),
    ("host unknown (several requests in a frame)", [R("GET", None, "/x")],
     [R("GET", "whatever", "/x")], 1),
    ("multiset: two of tshark's, one of the sensor's",
     [R("GET", "a", "/x", 200), R("GET", "a", "/x", 200)], [R("GET", "a", "/x", 200)], 1),
    ("equal status pairs first", [R("GET", "a", "/x", 0), R("GET", "a", "/x", 404)],
     [R("GET", "a", "/x", 404), R("GET", "a", "/x", 200)], 2),
]


def main():
    failures = []
    for what, oracle, found, want in CASES:
        matched, missed, extra = Match(oracle, found)
        if matched != want or len(missed) != len(oracle) - want or len(extra) != len(found) - want:
            failures.append("%s: matched %d (missed %d, extra %d), want %d" %
                            (what, matched, len(missed), len(extra), want))
    for f in failures:
        print("FAIL:", f)
    print("match: %d cases, %d failures" % (len(CASES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
