#!/usr/bin/env python3
"""Turns a detection scenario's capture into the engine's inputs, for the replay unit test.

    make_events.py SCENARIO_DIR [--bucketwatch PATH] [--tshark PATH]

Reads SCENARIO_DIR/capture.pcap and writes SCENARIO_DIR/events.jsonl, one JSON object per line,
in packet-time order (end of each request, last packet of each TLS flow):

  {"type": "storage", ...}  one storage request, from `bucketwatch --read --ledger` (the sensor's
                            own dissection of the capture); the operation kind (list, read, ...)
                            is named from the operation, as the storage dissector does.
  {"type": "tls", ...}      one TLS flow summary (final), from tshark's TLS record dissection:
                            the SNI, application-data bytes server->client, and turns = bursts
                            of client application-data records that follow server ones, TLS 1.3
                            handshake records and alerts left out (what
                            dissectors/tls/turn_counter.cc counts, 0-RTT aside).

tests/unit/sensor/detect/replay_test.cc feeds these to DetectionEngine and compares the alerts
with SCENARIO_DIR/expected_alerts.json. Once the engine is wired into the sensor,
`check_alerts.py` compares `bucketwatch --read capture.pcap --alerts` with the same file.
Python standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LIST_BUCKETS = {"ListBuckets", "ListContainers", "buckets.list"}
LISTS = {"ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListBlobs",
         "objects.list", "ListParts"}
READS = {"GetObject", "GetBlob"}
HEADS = {"HeadObject", "HeadBucket", "GetBlobProperties", "GetContainerProperties", "buckets.get"}
WRITES = {"PutObject", "PutBlob", "CopyObject", "UploadPart", "objects.insert"}
DELETES = {"DeleteObject", "DeleteBlob", "DeleteObjects", "objects.delete"}


def kind_of(line: dict) -> str:
    op = line["storage"].get("operation", "")
    if op in LIST_BUCKETS:
        return "list_buckets"
    if op in LISTS:
        return "list"
    if op in READS:
        return "read"
    if op == "objects.get":
        url = line.get("url", {})
        media = "alt=media" in url.get("query", "") or url.get("path", "").startswith("/download/")
        xml_api = not url.get("path", "").startswith("/storage/v1/")
        method = line["http"]["request"]["method"]
        return "read" if method == "GET" and (media or xml_api) else "head"
    if op in HEADS:
        return "head"
    if op in WRITES:
        return "write"
    if op in DELETES:
        return "delete"
    if op.startswith(("GetBucket", "PutBucket", "GetObjectAcl", "SetContainer", "GetContainerAcl")):
        return "config"
    return "other"


def parse_ts(text: str) -> int:
    # "2026-11-23T11:11:10.857012000Z" -> ns since the epoch
    base, frac = text.rstrip("Z").split(".")
    dt = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + int(frac.ljust(9, "0"))


def storage_events(bucketwatch: str, pcap: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.jsonl"
        subprocess.run([bucketwatch, "--read", str(pcap), "--ledger", str(ledger)], check=True,
                       stderr=subprocess.DEVNULL, timeout=300)
        lines = [json.loads(x) for x in ledger.read_text().splitlines() if x.strip()]
    out = []
    for ln in lines:
        st = ln["storage"]
        start = parse_ts(ln["@timestamp"])
        ev = {
            "type": "storage",
            "start_ts": start,
            "end_ts": start + int(ln["event"]["duration"]),
            "client_ip": ln["source"]["ip"], "client_port": ln["source"]["port"],
            "server_ip": ln["destination"]["ip"], "server_port": ln["destination"]["port"],
            "community_id": ln["network"]["community_id"],
            "method": ln["http"]["request"]["method"],
            "status": ln["http"].get("response", {}).get("status_code", 0),
            "user_agent": ln.get("user_agent", {}).get("original", ""),
            "sni": ln.get("tls", {}).get("client", {}).get("server_name", ""),
            "provider": st["provider"], "account": st.get("account", ""),
            "bucket": st.get("bucket", ""), "key": st.get("key", ""),
            "operation": st.get("operation", ""), "kind": kind_of(ln),
            "auth_class": st["auth"]["class"], "outcome": st["outcome"],
            "error_code": st.get("error_code", ""),
            "list_keys": st.get("list", {}).get("keys", -1),
            "list_truncated": st.get("list", {}).get("truncated", False),
            "response_bytes": ln["http"].get("response", {}).get("bytes", 0),
            "response_body_bytes": ln["http"].get("response", {}).get("body", {}).get("bytes", 0),
        }
        out.append(ev)
    return out


def tls_flows(tshark: str, pcap: Path) -> list[dict]:
    fields = ["tcp.stream", "frame.time_epoch", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tls.record.content_type", "tls.record.length",
              "tls.handshake.extensions_server_name", "tls.record.opaque_type", "tls.handshake.type",
              "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite"]
    # Server ports from the SYNs, so tshark dissects TLS on whatever port the scenario used.
    syns = subprocess.run([tshark, "-n", "-r", str(pcap), "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                           "-T", "fields", "-e", "tcp.dstport"], check=True, capture_output=True,
                          text=True, timeout=300).stdout.split()
    argv = [tshark, "-n", "-r", str(pcap)]
    for port in sorted(set(syns)):
        argv += ["-d", f"tcp.port=={port},tls"]
    argv += ["-Y", "tcp", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        argv += ["-e", f]
    text = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300).stdout
    streams: dict[str, dict] = {}
    for row in text.splitlines():
        (stream, t, src4, src6, sport, dst4, dst6, dport, syn, ack, ctype, clen, sni, otype, hstype,
         version, suite) = (row.split("\t") + [""] * 17)[:17]
        # TLS 1.3 records carry their outer type as opaque_type; in one segment the plaintext
        # records (ServerHello, ChangeCipherSpec) always precede the encrypted ones.
        ctype = ",".join(x for x in (ctype, otype) if x)
        src, dst = src4 or src6, dst4 or dst6
        secs, _, frac = t.partition(".")
        ts = int(secs) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])
        s = streams.setdefault(stream, {"first_ts": ts, "last_ts": ts, "client": None, "sni": "",
                                        "turns": 0, "to_client": 0, "to_server": 0, "last_dir": None,
                                        "version": None, "finished": 0, "client_hs": 0,
                                        "client_done": False, "server_done": False})
        s["last_ts"] = ts
        if s["client"] is None and syn == "1" and ack == "0":
            s["client"] = (src, int(sport), dst, int(dport))
        if sni:
            s["sni"] = sni
        if not ctype or s["client"] is None:
            continue
        to_server = (src, int(sport)) == s["client"][:2]
        if not to_server and s["version"] is None and "2" in hstype.split(","):
            # The ServerHello: TLS 1.3 when supported_versions says so; the Finished of its
            # suite is 4 + hash + 1 + 16 bytes (tls/turn_counter.h).
            tls13 = "0x0304" in version.split(",")
            s["version"] = "1.3" if tls13 else "1.2"
            first_suite = suite.split(",")[0]
            hashes = {"0x1301": 32, "0x1302": 48, "0x1303": 32, "0x1304": 32}
            s["finished"] = 4 + hashes[first_suite] + 1 + 16 if tls13 and first_suite in hashes else 0
        for ct, ln in zip(ctype.split(","), clen.split(",")):
            if ct != "23":
                continue
            n = int(ln)
            # As sensor/app feeds dissectors/tls/turn_counter.cc (0-RTT aside): records too short
            # for data are alerts or KeyUpdates; TLS 1.3 handshake flights are not data.
            if s["version"] != "1.2" and n <= 5 + 1 + 16:
                continue
            if s["version"] == "1.3" and not s["client_done"]:
                if to_server:
                    s["client_hs"] += 1
                    if not s["finished"] or n == s["finished"] or s["client_hs"] >= 4:
                        s["client_done"] = True
                    continue
                if not s["server_done"]:
                    s["server_done"] = n == s["finished"]
                    continue
            if to_server:
                if s["last_dir"] != "c":
                    s["turns"] += 1
                s["to_server"] += n
                s["last_dir"] = "c"
            else:
                s["to_client"] += n
                s["last_dir"] = "s"
    out = []
    for s in streams.values():
        if not s["sni"] or s["client"] is None:
            continue
        c_ip, c_port, s_ip, s_port = s["client"]
        out.append({"type": "tls", "client_ip": c_ip, "client_port": c_port, "server_ip": s_ip,
                    "server_port": s_port, "community_id": "", "server_name": s["sni"],
                    "first_ts": s["first_ts"], "last_ts": s["last_ts"], "turns": s["turns"],
                    "bytes_to_client": s["to_client"], "bytes_to_server": s["to_server"], "final": True})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario_dir", type=Path)
    ap.add_argument("--bucketwatch", default=str(Path(__file__).resolve().parents[3] / "build" / "bucketwatch"))
    ap.add_argument("--tshark", default="tshark")
    args = ap.parse_args()
    pcap = args.scenario_dir / "capture.pcap"
    events = storage_events(args.bucketwatch, pcap) + tls_flows(args.tshark, pcap)
    events.sort(key=lambda e: (e.get("end_ts", e.get("last_ts")), e.get("client_port", 0)))
    with open(args.scenario_dir / "events.jsonl", "w") as f:
        for e in events:
            f.write(json.dumps(e, sort_keys=True) + "\n")
    kinds = {}
    for e in events:
        kinds[e["type"]] = kinds.get(e["type"], 0) + 1
    print(f"{args.scenario_dir.name}: {len(events)} events {kinds}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
