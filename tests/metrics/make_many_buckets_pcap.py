#!/usr/bin/env python3
"""Writes a capture of N anonymous and signed S3/Azure/GCS requests, each from a distinct client
address to a distinct bucket/container and key, for the label-cardinality test.

Every connection is a complete TCP conversation (handshake, one request, one response, FINs)
so the sensor's reassembly and HTTP dissection run exactly as on real traffic.
Usage: make_many_buckets_pcap.py OUT.pcap [N]
"""
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
        self.t = 1_700_000_000.0

    def frame(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          5 << 4, flags, 65535, 0, 0) + payload
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                         ip4(src), ip4(dst))
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        pkt = eth + ip + tcp
        self.t += 0.0002
        sec = int(self.t)
        usec = int((self.t - sec) * 1e6)
        self.f.write(struct.pack("<IIII", sec, usec, len(pkt), len(pkt)) + pkt)

    def conversation(self, client, server, sport, dport, request, response):
        c_isn, s_isn = 1000, 50000
        SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
        self.frame(client, server, sport, dport, c_isn, 0, SYN)
        self.frame(server, client, dport, sport, s_isn, c_isn + 1, SYN | ACK)
        self.frame(client, server, sport, dport, c_isn + 1, s_isn + 1, ACK)
        self.frame(client, server, sport, dport, c_isn + 1, s_isn + 1, PSH | ACK, request)
        self.frame(server, client, dport, sport, s_isn + 1, c_isn + 1 + len(request), PSH | ACK,
                   response)
        c_end, s_end = c_isn + 1 + len(request), s_isn + 1 + len(response)
        self.frame(client, server, sport, dport, c_end, s_end, FIN | ACK)
        self.frame(server, client, dport, sport, s_end, c_end + 1, FIN | ACK)
        self.frame(client, server, sport, dport, c_end + 1, s_end + 1, ACK)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    w = Writer(out)
    for i in range(n):
        client = "10.%d.%d.%d" % (1 + (i >> 16) % 200, (i >> 8) & 255, 1 + (i & 127))
        sport = 20000 + (i % 40000)
        kind = i % 6
        body = b"object-%d" % i
        if kind == 0:  # anonymous S3 GetObject, path style
            req = (b"GET /bucket-%d/secret/key-%d.csv HTTP/1.1\r\nHost: s3.amazonaws.com\r\n"
                   b"User-Agent: curl/8.0\r\nAccept: */*\r\n\r\n" % (i, i))
            resp = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: R%d\r\nx-amz-id-2: X%d\r\n"
                    b"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % (i, i, len(body))) + body
            server = "52.216.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        elif kind == 1:  # anonymous S3 ListObjectsV2, virtual-hosted style, denied
            req = (b"GET /?list-type=2&prefix=p%d HTTP/1.1\r\nHost: bkt-%d.s3.us-east-1.amazonaws.com\r\n"
                   b"User-Agent: scanner/%d\r\n\r\n" % (i, i, i))
            err = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            resp = (b"HTTP/1.1 403 Forbidden\r\nx-amz-request-id: R%d\r\nContent-Type: application/xml\r\n"
                    b"Content-Length: %d\r\n\r\n" % (i, len(err))) + err
            server = "52.217.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        elif kind == 2:  # signed S3 GetObject (SigV4), distinct access key ids
            req = (b"GET /data-%d/k%d HTTP/1.1\r\nHost: s3.eu-west-1.amazonaws.com\r\n"
                   b"x-amz-date: 20240101T000000Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
                   b"Authorization: AWS4-HMAC-SHA256 Credential=AKIA%012d/20240101/eu-west-1/s3/aws4_request, "
                   b"SignedHeaders=host;x-amz-date, Signature=%064d\r\n\r\n" % (i, i, i, i))
            resp = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: R%d\r\nContent-Length: %d\r\n\r\n"
                    % (i, len(body))) + body
            server = "52.218.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        elif kind == 3:  # anonymous Azure ListBlobs on a distinct account and container
            req = (b"GET /cont%d?restype=container&comp=list HTTP/1.1\r\nHost: acct%d.blob.core.windows.net\r\n"
                   b"x-ms-version: 2021-08-06\r\n\r\n" % (i, i))
            xml = (b"<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ContainerName=\"x\">"
                   b"<Blobs><Blob><Name>f%d.txt</Name></Blob></Blobs><NextMarker /></EnumerationResults>" % i)
            resp = (b"HTTP/1.1 200 OK\r\nx-ms-request-id: %d\r\nx-ms-version: 2021-08-06\r\n"
                    b"Content-Type: application/xml\r\nContent-Length: %d\r\n\r\n" % (i, len(xml))) + xml
            server = "20.60.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        elif kind == 4:  # anonymous GCS objects.get, not found
            req = (b"GET /storage/v1/b/gbucket-%d/o/obj%d?alt=media HTTP/1.1\r\nHost: storage.googleapis.com\r\n\r\n"
                   % (i, i))
            err = b'{"error":{"code":404,"message":"No such object"}}'
            resp = (b"HTTP/1.1 404 Not Found\r\nx-guploader-uploadid: U%d\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % (i, len(err))) + err
            server = "142.250.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        else:  # S3 request with an odd method the recogniser names "Unknown": folds to "other"
            req = (b"PROPFIND /weird-%d/x%d HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n" % (i, i))
            resp = (b"HTTP/1.1 405 Method Not Allowed\r\nx-amz-request-id: R%d\r\nContent-Length: 0\r\n\r\n" % i)
            server = "52.219.%d.%d" % ((i >> 8) & 255, 1 + (i & 127))
        w.conversation(client, server, sport, 80, req, resp)
    w.f.close()


if __name__ == "__main__":
    main()
