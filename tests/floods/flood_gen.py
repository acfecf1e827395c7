#!/usr/bin/env python3
"""Flood captures against bucketwatch's memory bounds, each with a real anonymous S3 listing
(tests/pcap/e2e/s3_anonymous_curl.pcap, re-timed) spliced into the middle of the flood.

Captures are generated streamingly (classic pcap, Ethernet, microseconds) straight into a file
object: flood_test.py pipes them into `bucketwatch --read -`, so even the 2 GB chunked body never
touches the disk. Standalone, for a look with tshark:
  flood_gen.py FLOOD OUT.pcap [--size ci|stress] [--n N]
FLOOD is one of: syn established ooo_drip chunked pipelined spray descending; bench/reassembly_order
also writes descending_anchored and one_byte_in_order, the same flows in other orders.

Every flood is deterministic (seeded), in capture-time order, and uses address ranges that
cannot collide with the listing (127.0.0.1): clients from 198.18.0.0/15 and 203.0.113.0/24,
servers in 10.0.0.0/8 and 52.216.0.0/16. Checksums are left zero (the sensor does not verify
them: see sensor/decode/ipv4.cc).
"""
import argparse
import os
import random
import struct
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LISTING = os.path.join(ROOT, "tests/pcap/e2e/s3_anonymous_curl.pcap")

_ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
_IP_TCP = struct.Struct("!BBHHHBBH4s4sHHIIBBHHH")
_REC = struct.Struct("<IIII")
_M32 = 0xFFFFFFFF
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
PSH_ACK = PSH | ACK
US = 1000000

# What each size means; flood_test.py reads the same table for its expectations.
SIZES = {
    "syn": {"ci": 200000, "stress": 1000000},  # half-open flows
    "established": {"ci": 150000, "stress": 1000000},  # open connections, request pending
    "ooo_drip": {"ci": 10000, "stress": 10000},  # flows dripping out-of-order segments
    "chunked": {"ci": 200 << 20, "stress": 2 << 30},  # body bytes of one chunked response
    "pipelined": {"ci": 100000, "stress": 100000},  # requests on one connection
    "spray": {"ci": 150000, "stress": 1000000},  # distinct bucket names
    "storm": {"ci": 2000, "stress": 20000},  # anonymous listings, one client each
    "descending": {"ci": 200000, "stress": 2000000},  # one-byte segments, ONE_BYTE_RUN per flow
    "descending_anchored": {"ci": 200000, "stress": 2000000},
    "one_byte_in_order": {"ci": 200000, "stress": 2000000},
    "tls_nokeys": {"ci": 3000, "stress": 30000},  # TLS 1.3 connections whose keys never come
}


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return (_ETH + _IP_TCP.pack(0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src, dst, sport,
                                dport, seq & _M32, ack & _M32, 0x50, flags, 65535, 0, 0) +
            payload)


def ip4(a, b, c, d):
    return bytes((a, b, c, d))


def read_listing():
    """The listing's records as (microseconds, frame)."""
    with open(LISTING, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    if magic != 0xA1B2C3D4 or linktype != 1:
        raise SystemExit("%s: expected a microsecond Ethernet pcap" % LISTING)
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = _REC.unpack_from(data, off)
        out.append((sec * US + usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


class Writer:
    """A pcap stream in time order; the listing goes in, re-timed, when the flood reaches
    `splice_us` (its packets keep their original spacing and interleave with the flood's)."""

    def __init__(self, out, splice_us):
        self.out = out
        self.packets = 0
        self.bytes = 0
        self.last_us = 0
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        listing = read_listing()
        shift = splice_us - listing[0][0]
        self.listing = [(t + shift, frame) for t, frame in listing]
        self.listing.reverse()  # pop() from the end in time order
        self.next_listing = self.listing[-1][0]

    def _emit(self, t, frame):
        n = len(frame)
        self.out.write(_REC.pack(t // US, t % US, n, n))
        self.out.write(frame)
        self.packets += 1
        self.bytes += n
        self.last_us = t

    def add(self, t, frame):
        t = max(t, self.last_us)  # never backwards, whatever the caller's rounding
        while t >= self.next_listing:
            lt, lf = self.listing.pop()
            self._emit(max(lt, self.last_us), lf)
            self.next_listing = self.listing[-1][0] if self.listing else 1 << 62
        self._emit(t, frame)

    def close(self):
        while self.listing:
            lt, lf = self.listing.pop()
            self._emit(max(lt, self.last_us), lf)
        self.out.flush()


def _handshake(w, t, c, s, cport, sport, cseq, sseq):
    w.add(t, tcp_frame(c, s, cport, sport, cseq, 0, SYN))
    w.add(t, tcp_frame(s, c, sport, cport, sseq, cseq + 1, SYN | ACK))
    w.add(t, tcp_frame(c, s, cport, sport, cseq + 1, sseq + 1, ACK))


# Each flood is a function (writer, n, start microseconds, rng, size) writing its packets in time
# order, and a span function (n, size) giving the capture time it covers: the listing is spliced
# at start + span / 2.

def span_syn(n, size):
    return n * 100  # 10,000 SYNs per second


def flood_syn(w, n, t0, rng, size):
    """Half-open flows: SYNs from scattered addresses and random ports, never answered. Every
    SYN is a distinct flow: the address takes the low 17 bits of the index (198.18.0.0/15) and
    the port, drawn at random, lies in a band chosen by the higher bits."""
    dst = ip4(10, 0, 0, 1)
    step = span_syn(n, size) / n
    for i in range(n):
        j = (i * 0x9E3B) & 0x1FFFF  # an odd multiplier permutes the 17 bits: scattered addresses
        src = ip4(198, 18 + (j >> 16), j >> 8 & 255, j & 255)
        sport = 1024 + (i >> 17) * 7 + rng.randrange(7)
        w.add(t0 + int(i * step),
              tcp_frame(src, dst, sport, 443, rng.getrandbits(32), 0, SYN))


def span_established(n, size):
    return 60 * US  # all of them inside the 120 s idle timeout


def flood_established(w, n, t0, rng, size):
    """Open connections that never close: a full handshake, then either an unfinished request
    line (the HTTP parser holds it, waiting for the line end) or a small complete request whose
    response never comes (a pending request)."""
    step = span_established(n, size) / n
    pad = b"a" * 1500
    for i in range(n):
        t = t0 + int(i * step)
        c = ip4(198, 18 + (i >> 16 & 1), i >> 8 & 255, i & 255)
        s = ip4(10, 1, i >> 8 & 15, 1 + (i & 127))
        cport = 1024 + (i >> 17) * 7 + rng.randrange(7)
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        _handshake(w, t, c, s, cport, 80, cseq, sseq)
        if i & 1:
            payload = b"GET /bucket-%d/" % (i & 1023) + pad[:rng.randrange(200, 1200)]
        else:
            payload = (b"GET /bucket-%d/object-%d HTTP/1.1\r\nHost: 10.1.0.1\r\n"
                       b"User-Agent: flood\r\n\r\n" % (i & 1023, i))
        w.add(t, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, PSH_ACK, payload))


def span_tls_nokeys(n, size):
    return 60 * US  # all of them inside the 120 s idle timeout, and of tls.key_wait_ms


def _tls_record(content_type, body):
    return struct.pack(">BHH", content_type, 0x0303, len(body)) + body


def _tls_hello(msg_type, random32, suites_or_suite, extensions):
    if msg_type == 1:  # ClientHello: no session id, the suites, null compression
        body = (struct.pack(">H", 0x0303) + random32 + b"\x00" +
                struct.pack(">H", len(suites_or_suite)) + suites_or_suite + b"\x01\x00")
    else:  # ServerHello: the chosen suite
        body = struct.pack(">H", 0x0303) + random32 + b"\x00" + suites_or_suite + b"\x00"
    body += struct.pack(">H", len(extensions)) + extensions
    return _tls_record(22, bytes([msg_type]) + len(body).to_bytes(3, "big") + body)


def flood_tls_nokeys(w, n, t0, rng, size):
    """TLS 1.3 connections (TLS_AES_128_GCM_SHA256) whose keys the key log never gets, open
    until the end: a ClientHello with SNI, the ServerHello, then 48 KiB of encrypted records from
    the server. With a key log configured every byte after the ServerHello waits for keys."""
    step = span_tls_nokeys(n, size) / n
    name = b"flood-bucket.s3.amazonaws.com"
    sni = struct.pack(">HBH", len(name) + 3, 0, len(name)) + name
    client_ext = (struct.pack(">HH", 0, len(sni)) + sni +
                  struct.pack(">HHBH", 43, 3, 2, 0x0304))
    server_ext = struct.pack(">HHH", 43, 2, 0x0304)
    noise = bytes(rng.getrandbits(8) for _ in range(16384 + 256))
    for i in range(n):
        t = t0 + int(i * step)
        c = ip4(198, 18 + (i >> 16 & 1), i >> 8 & 255, i & 255)
        s = ip4(10, 2, i >> 8 & 15, 1 + (i & 127))
        cport = 1024 + (i >> 17) * 7 + rng.randrange(7)
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        _handshake(w, t, c, s, cport, 443, cseq, sseq)
        hello = _tls_hello(1, rng.getrandbits(256).to_bytes(32, "big"), b"\x13\x01", client_ext)
        w.add(t, tcp_frame(c, s, cport, 443, cseq + 1, sseq + 1, PSH_ACK, hello))
        cseq += 1 + len(hello)
        stream = _tls_hello(2, rng.getrandbits(256).to_bytes(32, "big"), b"\x13\x01", server_ext)
        for k in range(3):
            stream += _tls_record(23, noise[k * 7:k * 7 + 16384])
        seq = sseq + 1
        for off in range(0, len(stream), 1448):
            seg = stream[off:off + 1448]
            w.add(t, tcp_frame(s, c, 443, cport, seq, cseq, PSH_ACK, seg))
            seq += len(seg)


OOO = {"ci": {"rounds": 10, "interval": 3, "seg": 512, "burst": 1, "heavy_burst": 12,
              "surge_burst": 8},
       "stress": {"rounds": 60, "interval": 3, "seg": 1400, "burst": 1, "heavy_burst": 12,
                  "surge_burst": 8}}


def span_ooo(n, size):
    p = OOO[size]
    return (p["rounds"] * p["interval"] + 60) * US


def flood_ooo_drip(w, n, t0, rng, size):
    """n flows that, after their handshake and the head of an upload, drip segments that always
    leave a hole before them: every `interval` seconds each flow sends `burst` segments at every
    other segment position, so each hole outlives a hole timeout of a few seconds. The first
    tenth of the flows send `heavy_burst` segments a round (they reach a per-flow cap every
    round); in the middle round every flow sends `surge_burst` (together past the global
    budget). The holes are filled only at the very end, a minute after the last round, long
    after their timeout: buffers fill to both caps and holes time out into gaps."""
    p = OOO[size]
    seg = p["seg"]
    flows = []
    for i in range(n):
        c = ip4(203, 0, 113, 1 + (i % 250))
        s = ip4(10, 2, i >> 8 & 255, i & 255)
        cport = 10000 + i // 250
        burst = p["heavy_burst"] if i < n // 10 else p["burst"]
        flows.append((c, s, cport, rng.getrandbits(32), rng.getrandbits(32), burst))
    head = (b"PUT /drip-bucket/object HTTP/1.1\r\nHost: 10.2.0.1\r\n"
            b"Content-Length: 100000000\r\n\r\n")
    body = bytes(rng.getrandbits(8) for _ in range(seg))
    t = t0
    step = max(1, US // n)  # all handshakes within the first second
    for c, s, cport, cseq, sseq, _ in flows:
        _handshake(w, t, c, s, cport, 80, cseq, sseq)
        w.add(t, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, PSH_ACK, head))
        t += step
    base = len(head) + 1  # relative sequence of the first body byte
    sent = [0] * n  # segment positions used so far, per flow
    for r in range(p["rounds"]):
        t = t0 + (r + 1) * p["interval"] * US
        step = p["interval"] * US // 2 // n
        for i, (c, s, cport, cseq, sseq, burst) in enumerate(flows):
            if r == p["rounds"] // 2:
                burst = max(burst, p["surge_burst"])
            for _ in range(burst):
                pos = sent[i] * 2 + 1  # odd positions: the even ones are the holes
                sent[i] += 1
                w.add(t, tcp_frame(c, s, cport, 80, cseq + base + pos * seg, sseq + 1, PSH_ACK,
                                   body))
            t += step
    # The late fill: every hole's segment (of the first 1000 flows), long after its timeout.
    t = t0 + (p["rounds"] * p["interval"] + 60) * US
    step = US // 100
    for i, (c, s, cport, cseq, sseq, _) in enumerate(flows[:1000]):
        for pos in range(0, sent[i] * 2, 2):
            w.add(t, tcp_frame(c, s, cport, 80, cseq + base + pos * seg, sseq + 1, PSH_ACK, body))
        t += step


CHUNK_SEGMENT = 65000


def span_chunked(n, size):
    return 120 * US


def flood_chunked(w, n, t0, rng, size):
    """One anonymous GET answered by a chunked body of n bytes that never ends (no last chunk),
    in 65,000-byte segments, over two minutes (past a hard timeout of 60 s in CI)."""
    c, s = ip4(198, 19, 200, 1), ip4(52, 216, 1, 1)
    cport, cseq, sseq = 40000, rng.getrandbits(32), rng.getrandbits(32)
    _handshake(w, t0, c, s, cport, 80, cseq, sseq)
    req = (b"GET /huge-object.bin HTTP/1.1\r\nHost: stream-bucket.s3.amazonaws.com\r\n"
           b"User-Agent: flood\r\n\r\n")
    w.add(t0, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, PSH_ACK, req))
    head = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: FLOOD0000000001\r\n"
            b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    w.add(t0, tcp_frame(s, c, 80, cport, sseq + 1, cseq + 1 + len(req), PSH_ACK, head))
    # One segment is whole chunks: "fdd7\r\n" + 64983 bytes + "\r\n" = 64,991 bytes; reused.
    data = 0xFDD7
    payload = (b"%x\r\n" % data) + bytes(rng.getrandbits(8) for _ in range(data)) + b"\r\n"
    segments = max(1, n // data)
    seq = sseq + 1 + len(head)
    step = span_chunked(n, size) / segments
    for i in range(segments):
        t = t0 + int(i * step)
        w.add(t, tcp_frame(s, c, 80, cport, seq, cseq + 1 + len(req), PSH_ACK, payload))
        seq += len(payload)
        if i % 64 == 63:  # the client acknowledges now and then
            w.add(t, tcp_frame(c, s, cport, 80, cseq + 1 + len(req), seq, ACK))


PIPELINE_BATCH = 25
LATE_RESPONSES = 500


def span_pipelined(n, size):
    return 30 * US


def flood_pipelined(w, n, t0, rng, size):
    """n anonymous GETs pipelined on one connection, 25 per segment, over 20 s. Nothing is
    answered while they stream in; afterwards the server answers the first 500 (late), and the
    rest never."""
    c, s = ip4(198, 19, 201, 1), ip4(52, 216, 2, 2)
    cport, cseq, sseq = 40001, rng.getrandbits(32), rng.getrandbits(32)
    _handshake(w, t0, c, s, cport, 80, cseq, sseq)
    seq = cseq + 1
    batches = (n + PIPELINE_BATCH - 1) // PIPELINE_BATCH
    step = 20 * US / batches
    i = 0
    for b in range(batches):
        reqs = []
        for _ in range(min(PIPELINE_BATCH, n - i)):
            reqs.append(b"GET /objects/key-%07d HTTP/1.1\r\nHost: pipe-bucket.s3.amazonaws.com\r\n"
                        b"User-Agent: flood\r\n\r\n" % i)
            i += 1
        payload = b"".join(reqs)
        w.add(t0 + int(b * step), tcp_frame(c, s, cport, 80, seq, sseq + 1, PSH_ACK, payload))
        seq += len(payload)
    t = t0 + 25 * US
    rseq = sseq + 1
    body = b"late object body\n"
    resp = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: LATE0000000001\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    for k in range(0, LATE_RESPONSES, 20):
        payload = resp * 20
        w.add(t + k * 100, tcp_frame(s, c, 80, cport, rseq, seq, PSH_ACK, payload))
        rseq += len(payload)


SPRAY_CLIENTS = 300
SPRAY_PER_CONNECTION = 100
SPRAY_ONE_SHOT = 10  # every 10th name comes from a client never seen before or after
SPRAY_LONG_EVERY = 4  # every 4th name is 4,000 bytes long (the detection state must not copy it)
SPRAY_LONG_BYTES = 4000


def span_spray(n, size):
    return max(60, n // 5000) * US


def flood_spray(w, n, t0, rng, size):
    """n distinct virtual-hosted bucket names probed anonymously: GET / (ListObjects) and HEAD /
    answered 404 NoSuchBucket or 403 AccessDenied by an S3 front end. One name in four is 4,000
    bytes long (DNS and S3 would refuse it; a sensor still sees it). Nine in ten come from 300
    sprayers taking turns, each over keep-alive connections of 100 requests; every tenth from a
    one-shot client on its own connection (a crowd of addresses that churns the per-client
    state without evicting the persistent sprayers)."""
    step = span_spray(n, size) / n
    s = ip4(52, 216, 3, 3)
    nosuch = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
              b"<Message>The specified bucket does not exist</Message></Error>")
    denied = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
              b"<Message>Access Denied</Message></Error>")
    conns = {}
    for i in range(n):
        t = t0 + int(i * step)
        client = i % SPRAY_CLIENTS
        if i % SPRAY_ONE_SHOT == SPRAY_ONE_SHOT - 1:
            client = -1 - i  # a fresh client: its connection closes after this one request
            conns[client] = None
        conn = conns.get(client)
        if conn is None or conn[3] >= SPRAY_PER_CONNECTION:
            if conn is not None:
                cip, cport, cseq, _, sseq = conn
                w.add(t, tcp_frame(cip, s, cport, 80, cseq, sseq, FIN | ACK))
                w.add(t, tcp_frame(s, cip, 80, cport, sseq, cseq + 1, FIN | ACK))
                w.add(t, tcp_frame(cip, s, cport, 80, cseq + 1, sseq + 1, ACK))
            if client >= 0:
                cip = ip4(198, 18, 100 + client // 250, 1 + client % 250)
            else:
                k = i // SPRAY_ONE_SHOT
                cip = ip4(100, 64 + (k >> 16 & 63), k >> 8 & 255, k & 255)
            cport = 20000 + (i // SPRAY_CLIENTS // SPRAY_PER_CONNECTION) % 40000
            cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
            _handshake(w, t, cip, s, cport, 80, cseq, sseq)
            conn = [cip, cport, cseq + 1, 0, sseq + 1]
            conns[client] = conn
        cip, cport, cseq, _, sseq = conn
        name = b"spray-%08x-%d" % (rng.getrandbits(32), i)
        if i % SPRAY_LONG_EVERY == 1:  # far beyond any provider's limit, as a sprayer may send
            name += b"x" * (SPRAY_LONG_BYTES - len(name))
        head = i % 3 == 2
        req = (b"%s / HTTP/1.1\r\nHost: %s.s3.amazonaws.com\r\nUser-Agent: spray\r\n\r\n" %
               (b"HEAD" if head else b"GET", name))
        w.add(t, tcp_frame(cip, s, cport, 80, cseq, sseq, PSH_ACK, req))
        body = denied if i % 5 == 4 else nosuch
        status = b"403 Forbidden" if i % 5 == 4 else b"404 Not Found"
        resp = (b"HTTP/1.1 %s\r\nx-amz-request-id: SPRAY%011d\r\nContent-Type: application/xml\r\n"
                b"Content-Length: %d\r\n\r\n" % (status, i, len(body)))
        if not head:
            resp += body
        w.add(t + 200, tcp_frame(s, cip, 80, cport, sseq, cseq + len(req), PSH_ACK, resp))
        conn[2] = cseq + len(req)
        conn[3] += 1
        conn[4] = sseq + len(resp)
        if client < 0:
            cseq, sseq = conn[2], conn[4]
            w.add(t + 300, tcp_frame(cip, s, cport, 80, cseq, sseq, FIN | ACK))
            w.add(t + 300, tcp_frame(s, cip, 80, cport, sseq, cseq + 1, FIN | ACK))
            w.add(t + 300, tcp_frame(cip, s, cport, 80, cseq + 1, sseq + 1, ACK))
            del conns[client]


# One-byte segments per flow: above the default max_segments_per_flow (4096), below what the
# default per_flow_bytes (1 MiB) holds of them (~21,000), so the segment cap is what binds; and
# within the 64 KiB window the handshake advertises, so no segment is held as out of window.
ONE_BYTE_RUN = 10000


def span_one_byte(n, size):
    return n + 1000  # one frame a microsecond: far inside a hole timeout of a few seconds


def _one_byte_flows(w, n, t0, run, order):
    """n // run flows upload one-byte body segments, round-robin (every flow holds its buffer at
    the same time). `order` gives the body positions each flow sends, in sending order."""
    flows = []
    t = t0
    head = (b"PUT /descending-bucket/object HTTP/1.1\r\nHost: 10.3.0.1\r\n"
            b"Content-Length: 100000000\r\n\r\n")
    for i in range(max(1, n // run)):
        c = ip4(203, 0, 113, 1 + (i % 250))
        s = ip4(10, 3, i >> 7 & 255, 1 + (i & 127))
        cport = 30000 + i // 250
        cseq, sseq = (i * 2654435761) & _M32, (i * 40503 + 12345) & _M32
        _handshake(w, t, c, s, cport, 80, cseq, sseq)
        w.add(t, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, PSH_ACK, head))
        flows.append((c, s, cport, cseq + 1 + len(head), sseq + 1))
        t += 1
    body = bytes((p * 7) & 0xFF for p in range(run))
    for p in order(run):
        for c, s, cport, base, ack in flows:
            w.add(t, tcp_frame(c, s, cport, 80, base + p, ack, PSH_ACK, body[p:p + 1]))
            t += 1


def flood_descending(w, n, t0, rng, size, run=ONE_BYTE_RUN):
    """One-byte segments from the top of each flow's run down to its first byte: each lands in
    front of everything buffered, and the hole before them is filled last."""
    _one_byte_flows(w, n, t0, run, lambda k: range(k - 1, -1, -1))


def flood_descending_anchored(w, n, t0, rng, size, run=ONE_BYTE_RUN):
    """As `descending`, but the lowest buffered byte (the run's second) arrives first, so every
    later one lands second in the list, behind it: the order that makes a search from the tail
    walk everything buffered."""
    _one_byte_flows(w, n, t0, run, lambda k: [1] + list(range(k - 1, 1, -1)) + [0])


def flood_one_byte_in_order(w, n, t0, rng, size, run=ONE_BYTE_RUN):
    """The same one-byte segments in order: nothing is buffered (the baseline)."""
    _one_byte_flows(w, n, t0, run, range)


def span_storm(n, size):
    return n * 500  # 2,000 listings per second


def flood_storm(w, n, t0, rng, size):
    """An alert storm: n anonymous listings of one bucket, each from a client address of its own
    on a connection of its own, each answered with a listing, so anonymous_list fires once per
    client (its dedup key holds the client)."""
    s = ip4(52, 216, 4, 4)
    body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3."
            b"amazonaws.com/doc/2006-03-01/\"><Name>storm-bucket</Name><KeyCount>1</KeyCount>"
            b"<IsTruncated>false</IsTruncated><Contents><Key>secret.csv</Key><Size>42</Size>"
            b"</Contents></ListBucketResult>")
    for i in range(n):
        t = t0 + i * 500
        c = ip4(10, 200 + (i >> 16 & 31), i >> 8 & 255, i & 255)
        cport = 30000 + i % 30000
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        _handshake(w, t, c, s, cport, 80, cseq, sseq)
        req = (b"GET /?list-type=2 HTTP/1.1\r\nHost: storm-bucket.s3.amazonaws.com\r\n"
               b"User-Agent: storm\r\n\r\n")
        w.add(t + 100, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, PSH_ACK, req))
        resp = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: STORM%011d\r\n"
                b"Content-Type: application/xml\r\nContent-Length: %d\r\n\r\n" % (i, len(body)) +
                body)
        w.add(t + 200, tcp_frame(s, c, 80, cport, sseq + 1, cseq + 1 + len(req), PSH_ACK, resp))
        cseq, sseq = cseq + 1 + len(req), sseq + 1 + len(resp)
        w.add(t + 300, tcp_frame(c, s, cport, 80, cseq, sseq, FIN | ACK))
        w.add(t + 300, tcp_frame(s, c, 80, cport, sseq, cseq + 1, FIN | ACK))
        w.add(t + 300, tcp_frame(c, s, cport, 80, cseq + 1, sseq + 1, ACK))


FLOODS = {
    "syn": (flood_syn, span_syn),
    "established": (flood_established, span_established),
    "ooo_drip": (flood_ooo_drip, span_ooo),
    "chunked": (flood_chunked, span_chunked),
    "pipelined": (flood_pipelined, span_pipelined),
    "spray": (flood_spray, span_spray),
    "descending": (flood_descending, span_one_byte),
    "descending_anchored": (flood_descending_anchored, span_one_byte),
    "one_byte_in_order": (flood_one_byte_in_order, span_one_byte),
    "storm": (flood_storm, span_storm),
    "tls_nokeys": (flood_tls_nokeys, span_tls_nokeys),
}


def generate(flood, out, size="ci", n=None, **params):
    """Writes the flood with the listing spliced in its middle to the binary file object `out`.
    `params` go to the flood's function (the one-byte floods take `run`). Returns (packets,
    bytes)."""
    fn, span_fn = FLOODS[flood]
    n = n if n is not None else SIZES[flood][size]
    span = span_fn(n, size)
    listing_start = read_listing()[0][0]
    t0 = listing_start - span // 2
    w = Writer(out, listing_start)
    rng = random.Random(42)
    fn(w, n, t0, rng, size, **params)
    w.close()
    return w.packets, w.bytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("flood", choices=sorted(FLOODS))
    ap.add_argument("out", help="pcap file to write, - for stdout")
    ap.add_argument("--size", choices=("ci", "stress"), default="ci")
    ap.add_argument("--n", type=int, help="override the size's count")
    ap.add_argument("--run", type=int, help="one-byte floods: segments per flow (default %d)" %
                    ONE_BYTE_RUN)
    args = ap.parse_args()
    params = {"run": args.run} if args.run else {}
    if args.out == "-":
        packets, nbytes = generate(args.flood, sys.stdout.buffer, args.size, args.n, **params)
    else:
        with open(args.out, "wb", buffering=1 << 20) as f:
            packets, nbytes = generate(args.flood, f, args.size, args.n, **params)
    print("%s: %d packets, %d bytes" % (args.flood, packets, nbytes), file=sys.stderr)


if __name__ == "__main__":
    main()
