#!/usr/bin/env python3
"""Writes a host capture of an anonymous S3 crawl (issue 16, item 1): tcpdump on the client, so the
client's own segments carry the unfilled sums a TX-offloading NIC fills in later (Linux
CHECKSUM_PARTIAL: the folded pseudo-header sum) and the server's carry correct ones, cut to a
1500-byte MTU. It starts with a 2 MB download whose ACKs are sparse, as a receiver doing GRO
sends them (one per 64 KiB), so that the first 1,000 segments are nearly all good: the old
decoder-wide sample turned strict there and dropped every later client segment.

  make_host_capture.py PCAP MANIFEST [--wrong-sums]

MANIFEST gets one JSON line per request, in tests/e2e/check_ledger.py's form. --wrong-sums writes every
TCP checksum of both sides wrong instead, as a capture rewritten by a tool that changed addresses
without fixing sums: every segment is then weak and must be used once the other side ACKs it.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "evasion"))
from make_evasion import (ACK, FIN, PSH, SYN, Capture, checksum, get, ip_bytes,  # noqa: E402
                          listing, obj, response)

CLIENT = "10.20.0.5"
SERVER = "52.216.8.21"
HOST = "crawl-bucket.s3.amazonaws.com"
MSS = 1460
GRO_SEGMENTS = 44  # one client ACK per ~64 KiB received
BIG = 2 * 1024 * 1024
PAGES = 5
OBJECTS = 240
PER_CONNECTION = 60


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


class HostConn:
    def __init__(self, cap, sport, cisn, sisn, wrong):
        self.cap = cap
        self.wrong = wrong
        self.c, self.s = (ip_bytes(CLIENT), sport), (ip_bytes(SERVER), 80)
        self.cseq, self.sseq = cisn, sisn

    def frame(self, from_client, flags, payload=b""):
        (src, sp), (dst, dp) = (self.c, self.s) if from_client else (self.s, self.c)
        seq, ack = (self.cseq, self.sseq) if from_client else (self.sseq, self.cseq)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                          65535, 0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        if self.wrong:
            ck = checksum(pseudo + tcp) ^ 0x5A5A
        elif from_client:  # unfilled: the pseudo-header sum, left for the NIC
            words = struct.unpack("!%dH" % (len(pseudo) // 2), pseudo)
            ck = fold(sum(words))
        else:
            ck = checksum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.cap.ip_id & 0xFFFF, 0x4000,
                         64, 6, 0, src, dst)
        self.cap.ip_id += 1
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        mac_c, mac_s = b"\x02\x00\x00\x00\x00\x05", b"\x02\x00\x00\x00\x00\x01"
        eth = (mac_s + mac_c) if from_client else (mac_c + mac_s)
        self.cap.add(eth + b"\x08\x00" + ip + tcp)
        advance = len(payload) + (1 if flags & (SYN | FIN) else 0)
        if from_client:
            self.cseq += advance
        else:
            self.sseq += advance

    def open(self):
        self.frame(True, SYN)
        self.frame(False, SYN | ACK)
        self.frame(True, ACK)

    def exchange(self, request, answer):
        self.frame(True, PSH | ACK, request)
        for n, i in enumerate(range(0, len(answer), MSS), 1):
            self.frame(False, PSH | ACK if i + MSS >= len(answer) else ACK, answer[i:i + MSS])
            if n % GRO_SEGMENTS == 0:
                self.frame(True, ACK)
        self.frame(True, ACK)

    def close(self):
        self.frame(True, FIN | ACK)
        self.frame(False, FIN | ACK)
        self.frame(True, ACK)


def main():
    args = [a for a in sys.argv[1:] if a != "--wrong-sums"]
    wrong = len(args) != len(sys.argv) - 1
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    cap = Capture()
    manifest = []

    def ask(conn, path, query, answer, operation):
        target = path + ("?" + query if query else "")
        conn.exchange(get(target, host=HOST), answer)
        manifest.append({"method": "GET", "path": path, "query": query, "provider": "s3",
                         "bucket": "crawl-bucket", "key": path[1:] or None,
                         "operation": operation, "auth": "anonymous", "status": 200})

    keys = ["crawl/%03d/part-%04d.json" % (i // 50, i) for i in range(OBJECTS)]
    c = HostConn(cap, 40100, 0x10000000, 0x70000000, wrong)
    c.open()
    big = bytes((i * 131) & 0xFF for i in range(BIG))
    ask(c, "/dumps/full.bin", None, obj(big, seed="big"), "GetObject")
    per_page = OBJECTS // PAGES
    for p in range(PAGES):
        query = "list-type=2" + ("&continuation-token=page%d" % p if p else "")
        ask(c, "/", query, listing("crawl-bucket", keys[p * per_page:(p + 1) * per_page]),
            "ListObjectsV2")
    c.close()
    for n in range(OBJECTS // PER_CONNECTION):
        c = HostConn(cap, 40101 + n, 0x20000000 + n * 0x1000000, 0x78000000 + n * 0x100000,
                     wrong)
        c.open()
        for k in keys[n * PER_CONNECTION:(n + 1) * PER_CONNECTION]:
            body = (k.encode() + b"\n") * (5 + len(manifest) % 90)
            ask(c, "/" + k, None, obj(body, seed=k), "GetObject")
        c.close()
    cap.write(args[0])
    with open(args[1], "w") as f:
        for m in manifest:
            f.write(json.dumps(m) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
