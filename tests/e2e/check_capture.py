#!/usr/bin/env python3
"""Verifies an e2e manifest against the saved capture, using tshark's HTTP dissection.

    check_capture.py EXPECTED.jsonl CAPTURE.pcap [--ports P,Q] [--tls-ports P,Q --keylog FILE]
                     [--tshark PATH]

The harness self-check: every manifest line must be one HTTP request on the wire with the same
method, (percent-decoded) path, the query parameters the line names, the Host when the line names
one, a credential of the line's auth class (Authorization header / signature in the query / none),
and a response with the line's status; and nothing else may be on the wire. Requests are matched
as a multiset (clients with several connections interleave), first fit in manifest order.
Responses are paired with requests in order on each TCP stream (HTTP/1.1 answers in order, also
when pipelined); 1xx interim responses are skipped.

Server ports are found from the SYNs in the capture unless --ports is given; tshark is told to
dissect them as HTTP. Ports named in --tls-ports are dissected as TLS instead, decrypted with the
NSS key log --keylog (tshark's own TLS 1.2/1.3 decryption, `-o tls.keylog_file:`), and the HTTP
inside is checked like plaintext. A request read from a decrypted stream also carries what tshark
read from that stream's handshake, checked against the optional manifest fields:

    tls_decrypted   true: the request was decrypted from TLS; false/null: it was plaintext
    tls_version     "1.2" or "1.3" (ServerHello, supported_versions for 1.3)
    tls_cipher      the suite as tshark names it (IANA names, TLS_AES_128_GCM_SHA256 ...)
    sni             the ClientHello's server_name; null asserts that there was none

Exit 0 when everything matches, 1 on a mismatch, 2 on usage errors. Python standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.parse
from collections import defaultdict

AGG = "\x1f"  # tshark aggregator between occurrences of a field in one frame (never in a URI)

SIGNATURE_QUERY_PARAMS = ("x-amz-signature", "signature", "sig", "x-goog-signature")


def decode_args(ports: list[int], tls_ports: list[int] = (), keylog: str | None = None) -> list[str]:
    """tshark options: plaintext ports as HTTP; TLS ports as TLS carrying HTTP, with the key log."""
    argv = []
    for p in ports:
        if p not in tls_ports:
            argv += ["-d", f"tcp.port=={p},http"]
    for p in tls_ports:
        argv += ["-d", f"tcp.port=={p},tls", "-d", f"tls.port=={p},http"]
    if keylog:
        argv += ["-o", f"tls.keylog_file:{keylog}"]
    return argv


def tshark_fields(tshark: str, pcap: str, ports: list[int], display_filter: str,
                  fields: list[str], tls_ports: list[int] = (), keylog: str | None = None,
                  extra: list[str] = ()) -> list[list[list[str]]]:
    argv = [tshark, "-n", "-r", pcap, *decode_args(ports, tls_ports, keylog), *extra]
    argv += ["-Y", display_filter, "-T", "fields", "-E", "separator=\t", "-E", f"aggregator={AGG}",
             "-E", "occurrence=a"]
    for f in fields:
        argv += ["-e", f]
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if cp.returncode != 0:
        raise SystemExit(f"tshark failed: {cp.stderr.strip()}")
    rows = []
    for line in cp.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append([c.split(AGG) if c else [] for c in cols])
    return rows


def server_ports(tshark: str, pcap: str) -> list[int]:
    rows = tshark_fields(tshark, pcap, [], "tcp.flags.syn==1 && tcp.flags.ack==0", ["tcp.dstport"])
    return sorted({int(r[0][0]) for r in rows if r[0]})


TLS_VERSIONS = {"0x0304": "1.3", "0x0303": "1.2", "0x0302": "1.1", "0x0301": "1.0"}


def read_tls_streams(tshark: str, pcap: str, ports: list[int], tls_ports: list[int],
                     keylog: str | None) -> dict[int, dict]:
    """TCP stream -> what its handshake says: sni, tls_version, tls_cipher (tshark's name for the
    ServerHello's suite), encrypt_then_mac (ServerHello extension 22), resumed (TLS 1.2: the
    server sent no Certificate; TLS 1.3: it accepted a pre_shared_key), key_updates (TLS 1.3
    KeyUpdate messages, both directions, seen only when decrypted)."""
    if not tls_ports:
        return {}
    # A custom column resolves the suite number to tshark's own name for it.
    column = ["-o", 'gui.column.format:"suite","%Cus:tls.handshake.ciphersuite:0:R"']
    rows = tshark_fields(tshark, pcap, ports, "tls.handshake", [
        "tcp.stream", "tls.handshake.type", "tls.handshake.extensions_server_name", "_ws.col.suite",
        "tls.handshake.extensions.supported_version", "tls.handshake.version", "tls.handshake.extension.type"],
        tls_ports, keylog, column)
    streams: dict[int, dict] = {}
    for stream, types, sni, suite, supported, version, ext_types in rows:
        info = streams.setdefault(int(stream[0]), {"sni": None, "tls_version": None, "tls_cipher": None,
                                                   "encrypt_then_mac": False, "certificate": False,
                                                   "key_updates": 0})
        if "1" in types:  # ClientHello
            info["sni"] = sni[0] if sni else None
        if "2" in types:  # ServerHello (the last one, after a HelloRetryRequest)
            info["tls_cipher"] = suite[0].split(",")[0] if suite else None
            if "0x0304" in supported:
                info["tls_version"] = "1.3"
            elif version:
                info["tls_version"] = TLS_VERSIONS.get(version[0], version[0])
            info["encrypt_then_mac"] = "22" in ext_types
            info["psk"] = "41" in ext_types  # TLS 1.3: the server accepted a pre_shared_key
        if "11" in types:
            info["certificate"] = True
        info["key_updates"] += types.count("24")
    for info in streams.values():
        info["resumed"] = ((info["tls_version"] == "1.2" and not info["certificate"])
                           or (info["tls_version"] == "1.3" and info.get("psk", False)))
    return streams


def read_wire(tshark: str, pcap: str, ports: list[int], tls_ports: list[int] = (),
              keylog: str | None = None) -> list[dict]:
    """HTTP requests on the wire in capture order, each with its response status (or None).
    Requests decrypted from a TLS port carry "tls": that stream's handshake (read_tls_streams);
    plaintext ones carry "tls": None."""
    rows = tshark_fields(tshark, pcap, ports, "http.request || http.response",
                         ["frame.number", "tcp.stream", "http.request.method", "http.request.uri",
                          "http.host", "http.authorization", "http.response.code", "tcp.dstport"],
                         tls_ports, keylog)
    tls_streams = read_tls_streams(tshark, pcap, ports, tls_ports, keylog)
    requests_by_stream: dict[str, list[dict]] = defaultdict(list)
    statuses_by_stream: dict[str, list[int]] = defaultdict(list)
    ordered: list[dict] = []
    for frame, stream, methods, uris, hosts, auths, codes, dstport in rows:
        s = stream[0]
        decrypted = bool(dstport) and int(dstport[0]) in tls_ports
        if methods:
            # Several pipelined requests may share a frame; their fields come in the same order.
            # Authorization is absent on some of them, so it cannot be zipped: a frame mixing
            # signed and unsigned requests would be ambiguous, and then it is left unassigned.
            for i, method in enumerate(methods):
                req = {"frame": int(frame[0]), "stream": int(s), "method": method,
                       "uri": uris[i] if i < len(uris) else "",
                       "host": hosts[i] if i < len(hosts) else "",
                       "authorization": (auths[i] if len(auths) == len(methods)
                                         else (auths[0] if len(auths) == 1 and len(methods) == 1 else
                                               ("?" if auths else ""))),
                       "status": None,
                       "tls": (tls_streams.get(int(s)) or {"sni": None, "tls_version": None,
                                                            "tls_cipher": None}) if decrypted else None}
                requests_by_stream[s].append(req)
                ordered.append(req)
        for code in codes:
            c = int(code)
            if 100 <= c < 200 and c != 101:
                continue
            statuses_by_stream[s].append(c)
    for s, reqs in requests_by_stream.items():
        statuses = statuses_by_stream.get(s, [])
        if len(statuses) != len(reqs):
            # tshark takes a HEAD response's Content-Length for a body when other requests are
            # pipelined behind the HEAD, and then swallows the next responses. Read this stream's
            # responses ourselves, knowing each request's method.
            statuses = parse_response_statuses(
                stream_server_bytes(tshark, pcap, int(s), ports, tls_ports, keylog,
                                    tls_stream=reqs[0]["tls"] is not None),
                [r["method"] for r in reqs])
        for req, status in zip(reqs, statuses):
            req["status"] = status
    return ordered


def stream_server_bytes(tshark: str, pcap: str, stream: int, ports: list[int] = (),
                        tls_ports: list[int] = (), keylog: str | None = None, tls_stream: bool = False) -> bytes:
    """The payload the server sent on one TCP stream (tshark's follow,tcp,raw; node 1 = server);
    on a TLS stream the decrypted application data (follow,tls,raw)."""
    proto = "tls" if tls_stream else "tcp"
    cp = subprocess.run([tshark, "-n", "-r", pcap, *decode_args(list(ports), list(tls_ports), keylog), "-q",
                         "-z", f"follow,{proto},raw,{stream}"],
                        capture_output=True, text=True, timeout=120)
    if cp.returncode != 0:
        raise SystemExit(f"tshark follow failed: {cp.stderr.strip()}")
    data = bytearray()
    for line in cp.stdout.splitlines():
        if line.startswith("\t") and line.strip():
            data += bytes.fromhex(line.strip())
    return bytes(data)


def parse_response_statuses(data: bytes, methods: list[str]) -> list[int]:
    """Final statuses of consecutive HTTP/1.x responses in `data`, bodies framed by the request
    methods (HEAD, 204 and 304 have none), Content-Length or chunked. Stops at anything else."""
    statuses: list[int] = []
    pos = 0
    for method in methods:
        status = None
        headers: dict[str, str] = {}
        while True:  # skip 1xx interim responses
            end = data.find(b"\r\n\r\n", pos)
            if end < 0 or not data.startswith(b"HTTP/", pos):
                return statuses
            lines = data[pos:end].decode("latin-1").split("\r\n")
            pos = end + 4
            try:
                status = int(lines[0].split(" ", 2)[1])
            except (IndexError, ValueError):
                return statuses
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if not (100 <= status < 200 and status != 101):
                break
        statuses.append(status)
        if method == "HEAD" or status in (204, 304):
            continue
        if headers.get("transfer-encoding", "").lower().endswith("chunked"):
            for _ in range(1_000_000):
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    return statuses
                size = int(data[pos:eol].split(b";")[0] or b"0", 16)
                pos = eol + 2 + size + (2 if size else 0)
                if size == 0:
                    while True:  # trailers up to the empty line
                        eol = data.find(b"\r\n", pos)
                        if eol < 0:
                            return statuses
                        empty = eol == pos
                        pos = eol + 2
                        if empty:
                            break
                    break
        elif "content-length" in headers:
            pos += int(headers["content-length"])
        else:
            return statuses  # body up to the close: nothing can follow
    return statuses


def wire_auth_class(req: dict) -> str:
    auth = req["authorization"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(req["uri"]).query, keep_blank_values=True)
    lower_query = {k.lower() for k in query}
    if auth == "?":
        return "?"
    if auth:
        return "bearer" if auth.lower().startswith("bearer ") else "signed"
    if lower_query & set(SIGNATURE_QUERY_PARAMS):
        return "presigned"
    return "anonymous"


def wire_auth_scheme(req: dict) -> tuple[str | None, str | None]:
    """(scheme, access key id) the request presented, in the ledger's naming; (None, None) if none."""
    auth = req["authorization"]
    if auth and auth != "?":
        m = re.match(r"AWS4-HMAC-SHA256\s+Credential=([^/]+)/", auth)
        if m:
            return "SigV4", m.group(1)
        m = re.match(r"AWS4-ECDSA-P256-SHA256\s+Credential=([^/]+)/", auth)
        if m:
            return "SigV4a", m.group(1)
        m = re.match(r"AWS ([^:]+):", auth)
        if m:
            return "SigV2", m.group(1)
        m = re.match(r"(SharedKey|SharedKeyLite) ([^:]+):", auth)
        if m:
            return m.group(1), None
        m = re.match(r"GOOG4-HMAC-SHA256\s+Credential=([^/]+)/", auth)
        if m:
            return "GOOG4", m.group(1)
        if auth.lower().startswith("bearer "):
            return "Bearer", None
        return "other", None
    q = {k.lower(): v for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(req["uri"]).query,
                                                          keep_blank_values=True)}
    if "x-amz-signature" in q:
        return "SigV4", q.get("x-amz-credential", "").split("/")[0] or None
    if "signature" in q and "awsaccesskeyid" in q:
        return "SigV2", q["awsaccesskeyid"]
    if "sig" in q and "sv" in q:
        return "SAS", None
    if "x-goog-signature" in q:
        return "GOOG4", q.get("x-goog-credential", "").split("/")[0] or None
    return None, None


def matches(exp: dict, req: dict) -> list[str]:
    """Reasons `req` is not `exp` (empty when it is)."""
    why = []
    split = urllib.parse.urlsplit(req["uri"])
    if exp.get("method") and exp["method"] != req["method"]:
        why.append(f"method {req['method']} != {exp['method']}")
    if "path" in exp and urllib.parse.unquote(split.path) != exp["path"]:
        why.append(f"path {urllib.parse.unquote(split.path)!r} != {exp['path']!r}")
    if "query" in exp:
        got = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        for k, v in exp["query"].items():
            if k not in got:
                why.append(f"query lacks {k}")
            elif v is not None and got[k] != v:
                why.append(f"query {k}={got[k]!r} != {v!r}")
    if exp.get("host"):
        host = req["host"].lower()
        want = exp["host"].lower()
        if ":" not in want.rsplit("]", 1)[-1]:
            host = host.rsplit(":", 1)[0] if ":" in host.rsplit("]", 1)[-1] else host
        if host != want:
            why.append(f"host {req['host']!r} != {exp['host']!r}")
    if "status" in exp and exp["status"] != req["status"]:
        why.append(f"status {req['status']} != {exp['status']}")
    if "auth" in exp:
        got_auth = wire_auth_class(req)
        if got_auth != "?" and got_auth != exp["auth"]:
            why.append(f"auth on the wire {got_auth} != {exp['auth']}")
    tls = req.get("tls")
    if "tls_decrypted" in exp and bool(exp["tls_decrypted"]) != (tls is not None):
        why.append("decrypted from TLS" if tls is not None else "plaintext, manifest says decrypted TLS")
    for field in ("tls_version", "tls_cipher", "sni"):
        if field in exp and (tls or {}).get(field) != exp[field]:
            why.append(f"{field} on the wire {(tls or {}).get(field)!r} != {exp[field]!r}")
    if ("auth_scheme" in exp or "access_key_id" in exp) and req["authorization"] != "?":
        scheme, akid = wire_auth_scheme(req)
        if "auth_scheme" in exp and (scheme or "").lower() != (exp["auth_scheme"] or "").lower():
            why.append(f"auth scheme on the wire {scheme} != {exp['auth_scheme']}")
        if exp.get("access_key_id") and akid != exp["access_key_id"]:
            why.append(f"access key id on the wire {akid} != {exp['access_key_id']}")
    return why


def describe_exp(e: dict) -> str:
    q = "&".join(f"{k}={v}" if v is not None else k for k, v in (e.get("query") or {}).items())
    return (f"#{e.get('seq')} {e.get('method')} {e.get('path')}{'?' + q if q else ''} -> {e.get('status')} "
            f"[{e.get('operation')}, {e.get('auth')}]")


def describe_req(r: dict) -> str:
    tls = r.get("tls")
    via = f" [TLS {tls['tls_version']} {tls['tls_cipher']} sni={tls['sni']}]" if tls else ""
    return (f"frame {r['frame']} stream {r['stream']}: {r['method']} {r['uri']} (Host {r['host']}) -> "
            f"{r['status']}{via}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("pcap")
    ap.add_argument("--ports", help="server ports, comma separated (default: from the SYNs)")
    ap.add_argument("--tls-ports", help="server ports carrying TLS, comma separated (needs --keylog)")
    ap.add_argument("--keylog", help="NSS key log for tshark's TLS decryption")
    ap.add_argument("--tshark", default="tshark")
    args = ap.parse_args()
    if args.tls_ports and not args.keylog:
        ap.error("--tls-ports needs --keylog")

    try:
        with open(args.expected) as f:
            expected = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        print(f"check_capture: cannot read {args.expected}: {e}", file=sys.stderr)
        return 2
    ports = [int(p) for p in args.ports.split(",")] if args.ports else server_ports(args.tshark, args.pcap)
    tls_ports = [int(p) for p in args.tls_ports.split(",")] if args.tls_ports else []
    ports = sorted(set(ports) | set(tls_ports))
    wire = read_wire(args.tshark, args.pcap, ports, tls_ports, args.keylog)

    used = [False] * len(wire)
    missing = []
    for exp in expected:
        best = None
        for i, req in enumerate(wire):
            if used[i]:
                continue
            if not matches(exp, req):
                best = i
                break
        if best is None:
            missing.append(exp)
        else:
            used[best] = True
    unexpected = [r for r, u in zip(wire, used) if not u]

    name = args.expected
    if not missing and not unexpected:
        decrypted = sum(1 for r in wire if r.get("tls"))
        via = f" ({decrypted} of them decrypted from TLS by tshark)" if tls_ports else ""
        print(f"check_capture: {name}: {len(expected)} requests on the wire match the manifest{via}")
        return 0
    print(f"check_capture: {name}: MISMATCH ({len(expected)} expected, {len(wire)} on the wire)")
    for exp in missing:
        print(f"  - missing on the wire: {describe_exp(exp)}")
        candidates = [r for r, u in zip(wire, used) if not u]
        if candidates:
            scored = sorted(candidates, key=lambda r: len(matches(exp, r)))
            print(f"      nearest: {describe_req(scored[0])}: {'; '.join(matches(exp, scored[0]))}")
    for req in unexpected:
        print(f"  + not in the manifest: {describe_req(req)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
