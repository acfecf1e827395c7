#!/usr/bin/env python3
"""Writes the evasion captures: one small, deterministic pcap per case (Ethernet/IPv4/TCP, correct
IP and TCP checksums unless a case is about a bad one), each a full connection: handshake, the
client's request(s) shaped the way the case says, a real-looking S3 answer (ListBucketResult,
object bytes or an <Error> document, with x-amz-request-id/x-amz-id-2 headers), then FIN.

  make_evasion.py OUTDIR [CASE ...]     (no CASE: every case; --list prints the names)

The cases and what they model are described in README.md next to this file.
"""
import hashlib
import os
import struct
import sys

CLIENT_IP = "10.20.0.5"
S3_IP = "52.216.8.21"  # an address in an S3 range: nothing here depends on it being named
T0_US = 1700000000 * 1000000  # 2023-11-14T22:13:20Z
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
UA = "curl/7.88.1"

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_bytes(text):
    return bytes(int(x) for x in text.split("."))


class Capture:
    """Frames with timestamps 1 ms apart, written as a little-endian microsecond pcap."""

    def __init__(self):
        self.frames = []
        self.t = T0_US
        self.ip_id = 1

    def add(self, frame):
        self.t += 1000
        self.frames.append((self.t, frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, frame in self.frames:
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
                f.write(frame)


class Conn:
    """One TCP connection between the client and a server; tracks both sequence numbers."""

    def __init__(self, cap, sport, server_ip=S3_IP, dport=80, cisn=0x1000, sisn=0x50000000):
        self.cap = cap
        self.c = (ip_bytes(CLIENT_IP), sport)
        self.s = (ip_bytes(server_ip), dport)
        self.cisn, self.sisn = cisn, sisn
        self.cseq, self.sseq = cisn + 1, sisn + 1

    def frame(self, from_client, seq, ack, flags, payload=b"", bad_checksum=False):
        (src, sp), (dst, dp) = (self.c, self.s) if from_client else (self.s, self.c)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                          65535, 0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        ck = checksum(pseudo + tcp)
        if bad_checksum:
            ck ^= 0x5A5A  # wrong, and neither 0 nor the pseudo-header sum an offloading NIC leaves
        tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.cap.ip_id & 0xFFFF, 0x4000,
                         64, 6, 0, src, dst)
        self.cap.ip_id += 1
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        mac_c, mac_s = b"\x02\x00\x00\x00\x00\x05", b"\x02\x00\x00\x00\x00\x01"
        eth = (mac_s + mac_c) if from_client else (mac_c + mac_s)
        self.cap.add(eth + b"\x08\x00" + ip + tcp)

    def handshake(self):
        self.frame(True, self.cisn, 0, SYN)
        self.frame(False, self.sisn, self.cseq, SYN | ACK)
        self.frame(True, self.cseq, self.sseq, ACK)

    def send(self, data, seq=None, advance=True, bad_checksum=False):
        """Client bytes in one segment; `seq` places it anywhere, `advance` moves the stream."""
        self.frame(True, self.cseq if seq is None else seq, self.sseq, PSH | ACK, data,
                   bad_checksum)
        if advance:
            self.cseq += len(data)

    def send_split(self, data, size):
        for i in range(0, len(data), size):
            self.send(data[i:i + size])

    def reply(self, data, mss=1448):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self.frame(False, self.sseq, self.cseq, PSH | ACK, chunk)
            self.sseq += len(chunk)
        self.frame(True, self.cseq, self.sseq, ACK)

    def close(self, server_first=False):
        first, second = (False, True) if server_first else (True, False)
        for side in (first, second):
            seq = self.cseq if side else self.sseq
            self.frame(side, seq, self.sseq if side else self.cseq, FIN | ACK)
            if side:
                self.cseq += 1
            else:
                self.sseq += 1
        self.frame(first, self.cseq if first else self.sseq, self.sseq if first else self.cseq,
                   ACK)


# --- HTTP messages -------------------------------------------------------------------------


def request(method, target, headers=None, version="1.1", body=b"", eol="\r\n"):
    lines = ["%s %s HTTP/%s" % (method, target, version)]
    for name, value in (headers or []):
        lines.append("%s: %s" % (name, value))
    return (eol.join(lines) + eol + eol).encode() + body


def get(target, host="s3.amazonaws.com", extra=()):
    hdrs = ([("Host", host)] if host is not None else []) + [("User-Agent", UA),
                                                              ("Accept", "*/*")]
    return request("GET", target, hdrs + list(extra))


def request_ids(seed):
    h = hashlib.sha256(seed.encode()).digest()
    rid = h[:8].hex().upper()
    id2 = hashlib.sha256(h).hexdigest()[:56]
    return rid, id2


def response(status, reason, body=b"", content_type="application/xml", extra=(), seed="r",
             version="1.1"):
    rid, id2 = request_ids(seed + str(status))
    hdrs = [("x-amz-id-2", id2), ("x-amz-request-id", rid), ("Date", DATE)]
    hdrs += list(extra)
    if body or status >= 200:
        hdrs.append(("Content-Type", content_type))
        hdrs.append(("Content-Length", str(len(body))))
    hdrs.append(("Server", "AmazonS3"))
    head = "HTTP/%s %d %s\r\n" % (version, status, reason)
    head += "".join("%s: %s\r\n" % h for h in hdrs) + "\r\n"
    return head.encode() + body


def listing(bucket, keys):
    items = "".join(
        "<Contents><Key>%s</Key><LastModified>2023-11-01T09:30:00.000Z</LastModified>"
        "<ETag>&quot;%s&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass>"
        "</Contents>" % (k, hashlib.md5(k.encode()).hexdigest(), 1000 + 37 * i)
        for i, k in enumerate(keys))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           "<Name>%s</Name><Prefix></Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys>"
           "<IsTruncated>false</IsTruncated>%s</ListBucketResult>" % (bucket, len(keys), items))
    return response(200, "OK", xml.encode(), extra=[("x-amz-bucket-region", "us-east-1")],
                    seed=bucket)


def error(status, reason, code, message, resource, extra=(), seed="e"):
    rid, id2 = request_ids(seed + code)
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
           "<Resource>%s</Resource><RequestId>%s</RequestId><HostId>%s</HostId></Error>"
           % (code, message, resource, rid, id2))
    return response(status, reason, xml.encode(), extra=extra, seed=seed + code)


def obj(body, seed="o"):
    return response(200, "OK", body, content_type="text/plain",
                    extra=[("ETag", '"%s"' % hashlib.md5(body).hexdigest()),
                           ("Last-Modified", "Wed, 01 Nov 2023 09:30:00 GMT"),
                           ("Accept-Ranges", "bytes")], seed=seed)


KEYS_A = ["reports/2023/q3.pdf", "reports/2023/q4-draft.docx", "exports/customers.csv"]
KEYS_B = ["backup/db.sql.gz", "backup/keys.txt"]
LIST_A = "/bucket-a/?list-type=2"
LIST_B = "/bucket-b/?list-type=2"

# --- cases ---------------------------------------------------------------------------------


def tiny_segments(size):
    def build(cap):
        c = Conn(cap, 41001)
        c.handshake()
        c.send_split(get(LIST_A), size)
        c.reply(listing("bucket-a", KEYS_A))
        c.close()
    return build


def leading_empty_line(cap):
    # An empty line before the request line: servers skip it (RFC 9112 section 2.2 says they
    # SHOULD), so a monitor that classifies the connection by its first bytes must skip it too.
    c = Conn(cap, 41005)
    c.handshake()
    c.send(b"\r\n")
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def overlap_inorder(cap):
    # The first copy is in order and reaches the server; the "retransmit" at the same sequence
    # number says bucket-b. A Linux receiver drops the retransmit (all its bytes are before
    # rcv_nxt), so the server lists bucket-a; the sensor keeps the first copy too and counts
    # the differing one (retransmission_conflicts).
    c = Conn(cap, 41011)
    c.handshake()
    start = c.cseq
    c.send(get(LIST_A))
    c.send(get(LIST_B), seq=start, advance=False)
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def retransmit_same_bytes(cap):
    # Honest retransmissions (no evasion): the request in two segments, then the second one
    # resent as is, then the whole request resent as one coalesced segment (what a sender does
    # after a timeout, tcp_retrans_try_collapse). Same bytes each time: the server lists bucket-a
    # and the sensor must not report a retransmission conflict.
    c = Conn(cap, 41015)
    c.handshake()
    start = c.cseq
    req = get(LIST_A)
    half = len(req) // 2
    c.send(req[:half])
    c.send(req[half:])
    c.send(req[half:], seq=start + half, advance=False)
    c.send(req, seq=start, advance=False)
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def overlap_ofo(variant):
    # The request's first five bytes ("GET /") are held back, so what follows is out of order at
    # the receiver. Copy 1 says bucket-a; copy 2 says bucket-b and is placed per `variant`:
    #  same_range: the same sequence range. Linux tcp_data_queue_ofo: "All the bits are
    #    present. Drop." -> copy 1 stays, the server lists bucket-a.
    #  covering: the same start, two bytes longer (copy 1 stops short of the final CRLF). Linux
    #    replaces copy 1 with copy 2 (rb_replace_node) -> the server lists bucket-b.
    #  later_start: one byte later, the same end. Linux drops copy 2 (all bits present) -> a.
    def build(cap):
        c = Conn(cap, 41021 + ["same_range", "covering", "later_start"].index(variant))
        c.handshake()
        start = c.cseq
        req_a, req_b = get(LIST_A), get(LIST_B)
        if variant == "covering":
            c.send(req_a[5:-2], seq=start + 5, advance=False)
            c.send(req_b[5:], seq=start + 5, advance=False)
        elif variant == "same_range":
            c.send(req_a[5:], seq=start + 5, advance=False)
            c.send(req_b[5:], seq=start + 5, advance=False)
        else:
            c.send(req_a[5:], seq=start + 5, advance=False)
            c.send(req_b[6:], seq=start + 6, advance=False)
        c.send(req_a[:5], seq=start, advance=False)
        c.cseq = start + len(req_a)
        if variant == "covering":
            c.reply(listing("bucket-b", KEYS_B))
        else:
            c.reply(listing("bucket-a", KEYS_A))
        c.close()
    return build


def out_of_window(cap):
    # A fake request 1.5 GiB ahead of the stream: far outside any receive window (and the
    # sensor's 1 GiB reach); the server never sees it. Then the real request.
    c = Conn(cap, 41031)
    c.handshake()
    c.send(get(LIST_B), seq=c.cseq + 0x60000000, advance=False)
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def beyond_receive_window(cap):
    # After a real listing, a fake request 100000 bytes ahead: inside the sensor's 1 GiB reach
    # but beyond the 65535-byte window the server advertised (no window scaling), so Linux drops
    # it (tcp_sequence). The client then resets the connection.
    c = Conn(cap, 41036)
    c.handshake()
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.send(get(LIST_B), seq=c.cseq + 100000, advance=False)
    c.frame(True, c.cseq, c.sseq, RST | ACK)


def bad_checksum(cap):
    # A fake request at the real request's sequence number, with a wrong TCP checksum: the
    # server's stack discards it, then accepts the real request sent next.
    c = Conn(cap, 41041)
    c.handshake()
    start = c.cseq
    c.send(get(LIST_B), seq=start, advance=False, bad_checksum=True)
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def bad_checksum_longer_fake(cap):
    # The fake (bad sum) is longer than the real request that replaces its start: its tail would
    # read as a second, pipelined request. A strong copy replaces the whole weak segment, so the
    # tail goes too; the server's ACK never passes it.
    c = Conn(cap, 41042)
    c.handshake()
    real = get(LIST_A)
    fake = get(LIST_B) + get("/bucket-b/secret.txt")
    assert len(fake) > len(real)
    c.send(fake, seq=c.cseq, advance=False, bad_checksum=True)
    c.send(real)
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def bad_checksum_acked(cap):
    # The only copy of the request carries a wrong sum (as a capture host's garbage sums do), and
    # the server acknowledges and answers it: the receiver accepted good bytes the capture did not
    # keep, so the weak copy is used.
    c = Conn(cap, 41043)
    c.handshake()
    c.send(get(LIST_A), bad_checksum=True)
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def bad_checksum_refused(cap):
    # After a real listing, a fake request with a wrong sum that no copy replaces. The server
    # acknowledges up to its first byte after it was sent, never past it, and closes: it refused
    # it. Discarded at the flow's end.
    c = Conn(cap, 41044)
    c.handshake()
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.send(get(LIST_B), seq=c.cseq, advance=False, bad_checksum=True)
    c.frame(False, c.sseq, c.cseq, ACK)
    c.frame(False, c.sseq, c.cseq, FIN | ACK)
    c.sseq += 1
    c.frame(True, c.cseq, c.sseq, ACK)


def bad_checksum_then_rst(cap):
    # A fake request with a wrong sum, then the client resets the connection before the server
    # acknowledged anything of it: the server never took it. The sensor saw the server ACK the
    # handshake, so a weak range still waiting at the RST is discarded, not used.
    c = Conn(cap, 41046)
    c.handshake()
    c.frame(False, c.sseq, c.cseq, ACK)
    c.send(get(LIST_B), seq=c.cseq, advance=False, bad_checksum=True)
    c.frame(True, c.cseq, c.sseq, RST | ACK)


def bad_checksum_one_sided(cap):
    # A tap that sees only the client's side (asymmetric routing) and a request whose only copy has
    # a wrong sum: no ACK says whether the server took it, so it is used at the flow's end rather
    # than lost (outcome no_response: the answer went another way).
    c = Conn(cap, 41045)
    c.frame(True, c.cisn, 0, SYN)
    c.frame(True, c.cseq, c.sseq, ACK)
    c.send(get(LIST_A), bad_checksum=True)
    c.frame(True, c.cseq, c.sseq, FIN | ACK)


def duplicate_host(same):
    # RFC 9112 section 3.2: more than one Host field line -> 400. S3 refuses it; nothing listed.
    def build(cap):
        c = Conn(cap, 41051 + int(same))
        c.handshake()
        second = "bucket-a.s3.amazonaws.com" if same else "bucket-b.s3.amazonaws.com"
        c.send(request("GET", "/?list-type=2", [("Host", "bucket-a.s3.amazonaws.com"),
                                                ("User-Agent", UA), ("Accept", "*/*"),
                                                ("Host", second)]))
        c.reply(error(400, "Bad Request", "InvalidArgument",
                      "Multiple Host headers are not allowed", "/", seed="duphost",
                      extra=[("Connection", "close")]))
        c.close(server_first=True)
    return build


def absolute_form(cap):
    # RFC 9112 section 3.2.2: the server uses the absolute-form authority and ignores Host.
    c = Conn(cap, 41061)
    c.handshake()
    c.send(request("GET", "http://bucket-b.s3.amazonaws.com/?list-type=2",
                   [("Host", "bucket-a.s3.amazonaws.com"), ("User-Agent", UA),
                    ("Accept", "*/*")]))
    c.reply(listing("bucket-b", KEYS_B))
    c.close()


def odd_header_syntax(cap):
    # Header names in odd case, a tab before values, and bare LF line endings throughout: all
    # legal to a lenient server (RFC 9112 sections 2.2 and 5), so S3 answers.
    c = Conn(cap, 41071)
    c.handshake()
    c.send(b"GET /bucket-a/?list-type=2 HTTP/1.1\nhOsT:\ts3.amazonaws.com\n"
           b"USER-AGENT:\t" + UA.encode() + b"\naccept: */*\n\n")
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def te_and_cl(cap):
    # Transfer-Encoding: chunked and Content-Length together (RFC 9112 section 6.3: TE wins; the
    # server must close after responding). Content-Length covers the chunked body and a second,
    # smuggled request: a sensor trusting Content-Length would never see that request. S3 does
    # not implement chunked uploads without aws-chunked signing: 501, then it closes.
    c = Conn(cap, 41081)
    c.handshake()
    chunked = b"5\r\nhello\r\n0\r\n\r\n"
    smuggled = get("/bucket-b/backup/keys.txt")
    put = request("PUT", "/bucket-a/upload.txt",
                  [("Host", "s3.amazonaws.com"), ("User-Agent", UA),
                   ("Content-Length", str(len(chunked) + len(smuggled))),
                   ("Transfer-Encoding", "chunked")])
    c.send(put + chunked + smuggled)
    c.reply(error(501, "Not Implemented", "NotImplemented",
                  "A header you provided implies functionality that is not implemented",
                  "/bucket-a/upload.txt", seed="te", extra=[("Connection", "close")]))
    c.close(server_first=True)


MAX_START_LINE = 8192  # config/bucketwatch.yaml http.max_start_line
MAX_HEADER_LINE = 8192  # config/bucketwatch.yaml http.max_header_line


def long_uri(extra):
    # A request line of exactly http.max_start_line bytes (or one more), the length in the key.
    # S3 keys stop at 1024 bytes: S3 answers KeyTooLongError.
    def build(cap):
        c = Conn(cap, 41091 + extra)
        c.handshake()
        prefix, suffix = "GET /bucket-a/", " HTTP/1.1"
        key = "k" * (MAX_START_LINE + extra - len(prefix) - len(suffix))
        line = prefix + key + suffix
        assert len(line) == MAX_START_LINE + extra
        c.send_split(line.encode() + b"\r\nHost: s3.amazonaws.com\r\nUser-Agent: " +
                     UA.encode() + b"\r\n\r\n", 1448)
        c.reply(error(400, "Bad Request", "KeyTooLongError", "Your key is too long",
                      "/bucket-a/" + key[:32], seed="longuri%d" % extra))
        c.close()
    return build


def long_header(extra):
    # One header line of exactly http.max_header_line bytes (or one more); S3 allows 8 KiB of
    # headers per request and lists the bucket either way.
    def build(cap):
        c = Conn(cap, 41101 + extra)
        c.handshake()
        name = "x-amz-meta-pad: "
        line = name + "p" * (MAX_HEADER_LINE + extra - len(name))
        assert len(line) == MAX_HEADER_LINE + extra
        c.send_split(b"GET /bucket-a/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n" +
                     line.encode() + b"\r\nUser-Agent: " + UA.encode() + b"\r\n\r\n", 1448)
        c.reply(listing("bucket-a", KEYS_A))
        c.close()
    return build


def url_encoding(cap):
    # One keep-alive connection: %2F in a key (S3 decodes once: key "docs/a.txt"), %252F
    # (decoded once: key "docs%2Fa.txt"), an encoded bucket name in path style (%2D is "-").
    c = Conn(cap, 41111)
    c.handshake()
    c.send(get("/bucket-a/docs%2Fa.txt"))
    c.reply(obj(b"first object\n", seed="enc1"))
    c.send(get("/bucket-a/docs%252Fa.txt"))
    c.reply(obj(b"second object\n", seed="enc2"))
    c.send(get("/bucket%2Da/?list-type=2"))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def http10_no_host(cap):
    # HTTP/1.0 without Host straight to an S3 address: S3 takes the path-style bucket and
    # answers; HTTP/1.0 without keep-alive closes after the response.
    c = Conn(cap, 41121)
    c.handshake()
    c.send(request("GET", LIST_A, [("User-Agent", UA), ("Accept", "*/*")], version="1.0"))
    c.reply(listing("bucket-a", KEYS_A).replace(b"HTTP/1.1 200", b"HTTP/1.0 200", 1))
    c.close(server_first=True)


def expect_continue_pipelined(cap):
    # PUT with Expect: 100-continue; after the interim 100 the client sends the body and, in the
    # same segment, a pipelined listing request. Final PUT response, then the listing.
    c = Conn(cap, 41131)
    c.handshake()
    body = b"hello world"
    c.send(request("PUT", "/bucket-a/notes.txt",
                   [("Host", "s3.amazonaws.com"), ("User-Agent", UA),
                    ("Content-Length", str(len(body))), ("Expect", "100-continue")]))
    c.reply(b"HTTP/1.1 100 Continue\r\n\r\n")
    c.send(body + get(LIST_A))
    rid, id2 = request_ids("put")
    c.reply(("HTTP/1.1 200 OK\r\nx-amz-id-2: %s\r\nx-amz-request-id: %s\r\nDate: %s\r\n"
             'ETag: "%s"\r\nContent-Length: 0\r\nServer: AmazonS3\r\n\r\n'
             % (id2, rid, DATE, hashlib.md5(body).hexdigest())).encode())
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


CASES = {
    "tiny_segments_1byte": tiny_segments(1),
    "tiny_segments_3byte": tiny_segments(3),
    "leading_empty_line": leading_empty_line,
    "overlap_inorder": overlap_inorder,
    "retransmit_same_bytes": retransmit_same_bytes,
    "overlap_ofo_same_range": overlap_ofo("same_range"),
    "overlap_ofo_covering": overlap_ofo("covering"),
    "overlap_ofo_later_start": overlap_ofo("later_start"),
    "out_of_window": out_of_window,
    "beyond_receive_window": beyond_receive_window,
    "bad_checksum": bad_checksum,
    "bad_checksum_longer_fake": bad_checksum_longer_fake,
    "bad_checksum_acked": bad_checksum_acked,
    "bad_checksum_refused": bad_checksum_refused,
    "bad_checksum_one_sided": bad_checksum_one_sided,
    "bad_checksum_then_rst": bad_checksum_then_rst,
    "duplicate_host_same": duplicate_host(True),
    "duplicate_host_different": duplicate_host(False),
    "absolute_form_host": absolute_form,
    "odd_header_syntax": odd_header_syntax,
    "te_and_cl": te_and_cl,
    "long_uri_at_limit": long_uri(0),
    "long_uri_past_limit": long_uri(1),
    "long_header_at_limit": long_header(0),
    "long_header_past_limit": long_header(1),
    "url_encoding": url_encoding,
    "http10_no_host": http10_no_host,
    "expect_continue_pipelined": expect_continue_pipelined,
}


def write_case(name, path, cases=None):
    cap = Capture()
    (cases or CASES)[name](cap)
    cap.write(path)


def cases_main(cases, doc, argv=None):
    """OUTDIR [CASE ...] writes the cases' captures (all without CASE); --list names them."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--list"]:
        print("\n".join(cases))
        return 0
    if not argv:
        print(doc, file=sys.stderr)
        return 2
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    for name in argv[1:] or list(cases):
        if name not in cases:
            print("unknown case %s" % name, file=sys.stderr)
            return 2
        write_case(name, os.path.join(out, name + ".pcap"), cases)
    return 0


def main():
    return cases_main(CASES, __doc__)


if __name__ == "__main__":
    sys.exit(main())
