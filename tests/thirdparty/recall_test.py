#!/usr/bin/env python3
"""Recall of the sensor's HTTP parsing against tshark on captures other projects wrote.

For every capture of the set (tests/thirdparty/captures.tsv) this runs tshark, the oracle, and
the sensor with its default configuration (no --config, no --set) and --http-log, then matches
the requests each one found. It fails when

  - summed over the set, the sensor found fewer than 99 % of tshark's requests;
  - a capture falls short and shortfalls.txt does not list it, or lists it with another count,
    or lists a capture that is no longer short (so the list stays true);
  - a capture is missing or is not the file the manifest names (sha256).

Matching is a multiset match per capture on (method, host, target), and the final status when
both sides have one (see Request.key and Match below for what is normalised and why). Requests
the sensor reports that tshark does not are printed, not counted against it.

  recall_test.py --sensor BIN --captures DIR [--manifest F] [--shortfalls F] [--jobs N]
                 [--only NAME]... [--table]
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GATE = 0.99
# tshark, 4.0 as Debian 12 ships it. Its HTTP dissector runs on the usual HTTP ports and, through
# its TCP heuristic (on by default), on any port whose first bytes look like a request line.
# Out-of-order segments are reassembled (off by default), because a server does the same with
# them: a request behind a reordered segment is a request.
TSHARK_PREFS = ["-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.check_checksum:FALSE"]
TSHARK_FIELDS = [
    "frame.number",
    "http.request.method",
    "http.host",
    "http.request.uri",
    "http.response.code",
    "http.request_in",
]
RUN_TIMEOUT = 300  # seconds per tool per capture


class Request:
    __slots__ = ("method", "host", "uri", "status", "truncated", "where")

    def __init__(self, method, host, uri, status, truncated=False, where=""):
        self.method = method
        self.host = host
        self.uri = uri
        self.status = status  # final status (>= 200), 0 when none was seen
        self.truncated = truncated  # the sensor cut the target at its bound
        self.where = where

    def key(self):
        return (self.method, NormHost(self.host, self.uri), NormUri(self.uri))

    def __str__(self):
        s = "%s %s %s" % (self.method, self.host or "-", self.uri)
        return s + (" -> %d" % self.status if self.status else "") + (
            " (%s)" % self.where if self.where else "")


# Normalisation, applied to both sides alike:
#  - bytes outside printable ASCII: tshark prints them as \xNN escapes, the sensor's JSON as
#    UTF-8 (U+FFFD for invalid sequences); each run of them becomes one '?';
#  - the host is compared case-insensitively (DNS names are), and for an absolute-form target
#    it is the target's authority (what the server uses; RFC 9112 3.2.2), not the Host header;
#    for an authority-form target (CONNECT host:port) it is the target itself;
#  - a fragment is dropped (the sensor logs it as #REDACTED: it may carry a token);
#  - in an absolute-form target, userinfo is dropped (the sensor cuts it: it may hold a
#    password) and scheme and authority are lowercased.
# Query values the sensor redacted as credentials and targets it cut at its bound are matched
# by UriCompatible in a second pass.
ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)")
NON_ASCII = re.compile(r"(?:\\x[0-9a-fA-F]{2}|[^\x20-\x7e])+")


def Printable(s):
    return NON_ASCII.sub("?", s or "")


def NormUri(uri):
    uri = Printable(uri).split("#", 1)[0]
    m = ABSOLUTE.match(uri)
    if m:  # scheme and authority are case-insensitive; the sensor cuts userinfo (a password)
        uri = (m.group(1) + m.group(2).rsplit("@", 1)[-1]).lower() + uri[m.end():]
    return uri


def NormHost(host, uri):
    uri = uri or ""
    m = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)", uri)
    if m:
        host = m.group(1).rsplit("@", 1)[-1]
    elif re.match(r"^[^/*\s]+:[0-9]+(?:\s|$)", uri):
        # Authority form (CONNECT host:port): the target is the host; tshark leaves the Host
        # empty. Up to a space: tshark ends the URI there, a lenient parser may not.
        host = uri.split(None, 1)[0]
    return Printable(host).lower()


def UriCompatible(sensor, oracle):
    """The sensor's target stands for tshark's: equal but for values it redacted, a prefix when
    it was cut at the bound, or, for a target with spaces inside (which servers may accept),
    equal up to the first space, where tshark ends the URI."""
    s, o = NormUri(sensor.uri), NormUri(oracle.uri)
    if " " in s and " " not in o:
        s = s.split(" ", 1)[0]
    if sensor.truncated:
        o = o[: len(s)]
    if s == o:
        return True
    if "REDACTED" not in s:
        return False
    # Query parameters compared one by one, a REDACTED value matching any value.
    sp, _, sq = s.partition("?")
    op, _, oq = o.partition("?")
    if sp != op:
        return False
    sparams, oparams = sq.split("&"), oq.split("&")
    if len(sparams) != len(oparams) and not sensor.truncated:
        return False
    for a, b in zip(sparams, oparams):
        ak, _, av = a.partition("=")
        bk, _, bv = b.partition("=")
        if ak != bk or (av != bv and av != "REDACTED"):
            return False
    return True


def Run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)


def Oracle(path):
    """tshark's HTTP/1.x requests over TCP (SSDP and other HTTP over UDP are not the sensor's),
    each with the final status of the response tshark paired with it."""
    cmd = ["tshark", "-n", "-r", path] + TSHARK_PREFS + [
        "-Y", "tcp && (http.request || http.response)", "-T", "json"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = Run(cmd)
    if out.returncode not in (0, 2):  # 2: the capture is cut short; what came before counts
        raise RuntimeError("tshark failed on %s: %s" % (path, out.stderr.decode()[-500:]))
    packets = json.loads(out.stdout or b"[]")
    requests = collections.OrderedDict()  # frame -> [Request]
    responses = collections.defaultdict(list)  # request frame -> [status]
    for p in packets:
        layer = p["_source"]["layers"]
        frame = int(layer["frame.number"][0])
        methods = layer.get("http.request.method", [])
        uris = layer.get("http.request.uri", [])
        hosts = layer.get("http.host", [])
        for i, m in enumerate(methods):
            uri = uris[i] if i < len(uris) else ""
            # Several requests in one frame, not all with a Host: which host goes with which
            # request is lost in the field lists; then the host is not compared (None).
            host = hosts[i] if len(hosts) == len(methods) else (None if len(methods) > 1 else "")
            requests.setdefault(frame, []).append(Request(m, host, uri, 0, where="frame %d" % frame))
        codes = layer.get("http.response.code", [])
        request_in = layer.get("http.request_in", [])
        finals = [int(c) for c in codes if int(c) >= 200]
        for i, c in enumerate(finals):
            if i < len(request_in):
                responses[int(request_in[i])].append(c)
    result = []
    for frame, reqs in requests.items():
        statuses = responses.get(frame, [])
        for i, r in enumerate(reqs):
            r.status = statuses[i] if i < len(statuses) else 0
            result.append(r)
    return result


def Sensor(sensor, path):
    with tempfile.TemporaryDirectory(prefix="bw-thirdparty-") as tmp:
        log = os.path.join(tmp, "http.json")
        out = Run([sensor, "-q", "-r", path, "--http-log", log])
        # 1: a runtime failure such as a cut-short file (what came before is still logged) or a
        # link type the sensor does not read (nothing is). Either way the log says what it found.
        if out.returncode not in (0, 1):
            raise RuntimeError("sensor exit %d on %s: %s" %
                               (out.returncode, path, out.stderr.decode()[-500:]))
        result = []
        if os.path.exists(log):
            with open(log, encoding="utf-8") as f:
                for line in f:
                    j = json.loads(line)
                    url = j.get("url", {})
                    result.append(
                        Request(j["http"]["request"]["method"], url.get("domain", ""),
                                url.get("original", ""),
                                j["http"].get("response", {}).get("status_code", 0),
                                url.get("truncated", False),
                                "%s:%d" % (j["source"]["ip"], j["source"]["port"])))
        note = out.stderr.decode().strip().splitlines()[-1] if out.returncode else ""
        return result, note


def StatusOk(a, b):
    return a.status == 0 or b.status == 0 or a.status == b.status


def Match(oracle, found):
    """Pairs tshark's requests with the sensor's. Returns (matched, missed, extra)."""
    missed, extra = list(oracle), list(found)
    matched = 0
    # Pass 1: equal keys; pass 2: keys equal but for redaction or the sensor's bound. Within a
    # pass, pairs with equal statuses go first so that a wrong status is not hidden by order.
    for loose in (False, True):
        for strict_status in (True, False):
            rest = []
            for o in missed:
                hit = None
                for i, s in enumerate(extra):
                    if s.method != o.method:
                        continue
                    if o.host is not None and NormHost(s.host, s.uri) != NormHost(o.host, o.uri):
                        continue
                    if not (UriCompatible(s, o) if loose else NormUri(s.uri) == NormUri(o.uri)):
                        continue
                    if strict_status and s.status != o.status:
                        continue
                    if not StatusOk(s, o):
                        continue
                    hit = i
                    break
                if hit is None:
                    rest.append(o)
                else:
                    matched += 1
                    extra.pop(hit)
            missed = rest
    return matched, missed, extra


def Sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ReadManifest(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols)))
    return rows


def ReadShortfalls(path):
    listed = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or not re.match(r"^\d+/\d+$", cols[1]) or not cols[2].strip():
                raise SystemExit("%s:%d: want capture<TAB>found/total<TAB>reason" % (path, n))
            listed[cols[0]] = cols[1]
    return listed


def Check(args, row):
    path = os.path.join(args.captures, row["file"])
    if not os.path.exists(path):
        return row["file"], None, "missing"
    if Sha256(path) != row["sha256"]:
        return row["file"], None, "sha256 differs from the manifest"
    oracle = Oracle(path)
    found, note = Sensor(args.sensor, path)
    return row["file"], (oracle, found, note), None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--captures", required=True, help="folder holding the set's files")
    ap.add_argument("--manifest", default=os.path.join(HERE, "captures.tsv"))
    ap.add_argument("--shortfalls", default=os.path.join(HERE, "shortfalls.txt"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", action="append", default=[], help="check these captures only")
    ap.add_argument("--table", action="store_true", help="print the table even on success")
    args = ap.parse_args()

    if not os.path.isdir(args.captures):
        # Exit 77 (ctest SKIP_RETURN_CODE): CI reports the skip, and .ci/may-skip says why.
        print("SKIP: no capture set at %s; fetched data may live only in the steering "
              "repository's shared/thirdparty (README.md here: Where the captures are)" %
              args.captures)
        return 77
    rows = ReadManifest(args.manifest)
    if args.only:
        rows = [r for r in rows if r["file"] in args.only]
    listed = ReadShortfalls(args.shortfalls)
    problems = []
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, result, error in pool.map(lambda r: Check(args, r), rows):
            if error:
                problems.append("%s: %s" % (name, error))
            else:
                results[name] = result

    total = found_sum = 0
    table = []
    details = []
    for row in rows:
        name = row["file"]
        if name not in results:
            continue
        oracle, found, note = results[name]
        matched, missed, extra = Match(oracle, found)
        total += len(oracle)
        found_sum += matched
        short = matched < len(oracle)
        mark = ""
        if short and name not in listed:
            mark = "SHORT, not in shortfalls.txt"
            problems.append("%s: %d/%d found, not listed in shortfalls.txt" %
                            (name, matched, len(oracle)))
        elif short and listed[name] != "%d/%d" % (matched, len(oracle)):
            mark = "listed as %s" % listed[name]
            problems.append("%s: %d/%d found, shortfalls.txt says %s" %
                            (name, matched, len(oracle), listed[name]))
        elif not short and name in listed:
            mark = "no longer short: remove from shortfalls.txt"
            problems.append("%s: %d/%d found, listed in shortfalls.txt as %s" %
                            (name, matched, len(oracle), listed[name]))
        elif short:
            mark = "listed"
        table.append("%-55s %5d/%-5d %4d extra  %s%s" %
                     (name, matched, len(oracle), len(extra), mark,
                      ("  [" + note + "]") if note else ""))
        if short or extra:
            for o in missed[:20]:
                details.append("  %s missed: %s" % (name, o))
            if len(missed) > 20:
                details.append("  %s missed: ... %d more" % (name, len(missed) - 20))
            for s in extra[:10]:
                details.append("  %s extra (sensor only): %s" % (name, s))
            if len(extra) > 10:
                details.append("  %s extra: ... %d more" % (name, len(extra) - 10))
    for name in listed:
        if name not in [r["file"] for r in rows] and not args.only:
            problems.append("%s: in shortfalls.txt but not in the manifest" % name)

    recall = found_sum / total if total else 1.0
    summary = "recall: sensor found %d of the %d requests tshark reads (%.2f%%) in %d captures" % (
        found_sum, total, 100.0 * recall, len(results))
    if recall < GATE and not args.only:
        problems.append("recall %.2f%% is below %.0f%%" % (100.0 * recall, 100 * GATE))
    if problems or args.table:
        print("%-55s %11s" % ("capture", "found/total"))
        print("\n".join(table))
        print("\n".join(details))
    print(summary)
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
