#!/usr/bin/env python3
"""Writes the HTTP request-form captures (issue 16 item 5): one small, deterministic pcap per
case, built like the evasion captures (tests/evasion/make_evasion.py: Ethernet/IPv4/TCP with
correct checksums, a full connection, real-looking S3 answers), each carrying a form some
server accepts: HTTP/0.9, SP inside the target, odd version numbers, repeated Content-Length,
a stream cut by RST, HTTP through a SOCKS 4a/5 proxy, 100-continue, a body read to the close.

  make_http_forms.py OUTDIR [CASE ...]     (no CASE: every case; --list prints the names)

README.md next to this file describes each case and what the server does with it.
"""
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "evasion"))
import make_evasion  # noqa: E402
from make_evasion import (  # noqa: E402
    ACK, DATE, KEYS_A, LIST_A, RST, UA, Capture, Conn, error, get, listing, obj, request,
    request_ids)

PROXY_IP = "10.20.0.9"  # a SOCKS proxy on the client's network
BODY = b"object bytes served to an HTTP/0.9 client\n"


def http09_get(cap):
    # A self-hosted S3-compatible store behind nginx, which (like Apache httpd's default
    # Allow0.9) serves a GET line without a version: no header is read after it, the answer is
    # the object bytes without a head, then the server closes. The store was recognised from
    # an ordinary listing on an earlier connection, so the headless answer needs no headers.
    store = "10.20.0.20"
    c = Conn(cap, 42001, server_ip=store)
    c.handshake()
    c.send(get(LIST_A, host="storage.corp.internal"))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()
    c = Conn(cap, 42002, server_ip=store)
    c.handshake()
    c.send(b"GET /bucket-a/notes.txt\r\n")
    c.reply(BODY)
    c.close(server_first=True)


def http09_headers_node(cap):
    # llhttp (Node: s3rver, Azurite) reads header lines after a GET line without a version and
    # answers with a status line once they end, then closes: the Host names the bucket.
    c = Conn(cap, 42003, server_ip="10.20.0.21", dport=4568)
    c.handshake()
    c.send(b"GET /notes.txt\r\nHost: bucket-a.s3.amazonaws.com\r\nUser-Agent: " +
           UA.encode() + b"\r\n\r\n")
    c.reply(obj(BODY, seed="node09").replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
    c.close(server_first=True)


def http20_node(cap):
    # llhttp takes "HTTP/2.0" in a request line even in strict mode and answers in HTTP/1.1.
    c = Conn(cap, 42004, server_ip="10.20.0.21", dport=4568)
    c.handshake()
    c.send(get("/?list-type=2", host="bucket-a.s3.amazonaws.com").replace(b"HTTP/1.1",
                                                                          b"HTTP/2.0", 1))
    c.reply(listing("bucket-a", KEYS_A).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n",
                                                1))
    c.close(server_first=True)


def space_in_target(cap):
    # nginx before 1.21.1 takes the last token as the version and the rest as the target.
    c = Conn(cap, 42011)
    c.handshake()
    c.send(get("/bucket-a/my report.pdf"))
    c.reply(obj(b"%PDF-1.4 report\n", seed="space"))
    c.close()


def odd_version(cap):
    # "HTTP/1.01" is 1.1 to nginx (the minor is a number): persistent, a second request follows.
    c = Conn(cap, 42021)
    c.handshake()
    c.send(get(LIST_A).replace(b"HTTP/1.1", b"HTTP/1.01", 1))
    c.reply(listing("bucket-a", KEYS_A))
    c.send(get("/bucket-a/exports/customers.csv").replace(b"HTTP/1.1", b"HTTP/1.001", 1))
    c.reply(obj(b"id,name\n1,alice\n", seed="odd"))
    c.close()


def put_ok(seed, body):
    import hashlib
    rid, id2 = request_ids(seed)
    return ("HTTP/1.1 200 OK\r\nx-amz-id-2: %s\r\nx-amz-request-id: %s\r\nDate: %s\r\n"
            'ETag: "%s"\r\nContent-Length: 0\r\nServer: AmazonS3\r\n\r\n'
            % (id2, rid, DATE, hashlib.md5(body).hexdigest())).encode()


def duplicate_cl_same(cap):
    # Two equal Content-Length fields: Go's net/http (MinIO) serves the upload; then a listing.
    c = Conn(cap, 42031)
    c.handshake()
    body = b"hello"
    c.send(request("PUT", "/bucket-a/hello.txt",
                   [("Host", "s3.amazonaws.com"), ("User-Agent", UA), ("Content-Length", "5"),
                    ("Content-Length", "5")]) + body)
    c.reply(put_ok("dupcl", body))
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def duplicate_cl_differ(cap):
    # Differing Content-Length values: every server answers 400 and closes. The bytes behind the
    # short body hide a second request no server reads (request smuggling).
    c = Conn(cap, 42041)
    c.handshake()
    c.send(request("PUT", "/bucket-a/upload.txt",
                   [("Host", "s3.amazonaws.com"), ("User-Agent", UA), ("Content-Length", "3"),
                    ("Content-Length", "48")]) + b"abc" + get("/bucket-b/backup/keys.txt"))
    c.reply(error(400, "Bad Request", "InvalidRequest", "Conflicting Content-Length",
                  "/bucket-a/upload.txt", seed="cl2", extra=[("Connection", "close")]))
    c.close(server_first=True)


def rst_mid_response(cap):
    # The client resets the connection while the object is still coming.
    c = Conn(cap, 42051)
    c.handshake()
    c.send(get("/bucket-a/exports/customers.csv"))
    full = obj(b"x" * 4000, seed="rst")
    c.reply(full[:2000])
    c.frame(True, c.cseq, c.sseq, RST | ACK)


def rst_mid_request(cap):
    # The client resets in the middle of an upload: the request never got an answer.
    c = Conn(cap, 42061)
    c.handshake()
    c.send(request("PUT", "/bucket-a/big.bin",
                   [("Host", "s3.amazonaws.com"), ("User-Agent", UA),
                    ("Content-Length", "100000")]) + b"y" * 1000)
    c.frame(True, c.cseq, c.sseq, RST | ACK)


def socks_conn(cap, sport):
    return Conn(cap, sport, server_ip=PROXY_IP, dport=1080)


def socks5_domain(cap):
    # RFC 1928 without authentication, CONNECT to a domain name; HTTP follows on the connection.
    c = socks_conn(cap, 42071)
    c.handshake()
    c.send(b"\x05\x01\x00")
    c.reply(b"\x05\x00")
    c.send(b"\x05\x01\x00\x03\x10s3.amazonaws.com\x00\x50")
    c.reply(b"\x05\x00\x00\x01\x0a\x14\x00\x09\x9c\x41")
    c.send(get(LIST_A))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def socks5_login_ipv6(cap):
    # RFC 1929 login, CONNECT to an IPv6 address; the client sends greeting, login, request and
    # the HTTP request without waiting (each its own segment).
    c = socks_conn(cap, 42081)
    c.handshake()
    c.send(b"\x05\x01\x02")
    c.send(b"\x01\x05alice\x06s3cret")
    c.send(b"\x05\x01\x00\x04" + bytes.fromhex("2600141f000000000000000000000021") + b"\x00\x50")
    c.send(get(LIST_A, host="bucket-a.s3.dualstack.us-east-1.amazonaws.com").replace(
        b"/bucket-a/", b"/", 1))
    c.reply(b"\x05\x02" + b"\x01\x00" + b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00" +
            listing("bucket-a", KEYS_A))
    c.close()


def socks4a(cap):
    # SOCKS4a: the proxy resolves the name.
    c = socks_conn(cap, 42091)
    c.handshake()
    c.send(b"\x04\x01\x00\x50\x00\x00\x00\x01bob\x00bucket-a.s3.amazonaws.com\x00")
    c.reply(b"\x00\x5a\x00\x00\x00\x00\x00\x00")
    c.send(get("/?list-type=2", host="bucket-a.s3.amazonaws.com"))
    c.reply(listing("bucket-a", KEYS_A))
    c.close()


def socks5_refused(cap):
    # The proxy refuses the CONNECT (host unreachable) and closes: nothing reaches S3.
    c = socks_conn(cap, 42101)
    c.handshake()
    c.send(b"\x05\x01\x00")
    c.reply(b"\x05\x00")
    c.send(b"\x05\x01\x00\x03\x10s3.amazonaws.com\x00\x50")
    c.reply(b"\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00")
    c.close(server_first=True)


def response_until_close(cap):
    # An HTTP/1.0 answer without Content-Length: the body is everything up to the server's FIN.
    c = Conn(cap, 42111)
    c.handshake()
    c.send(request("GET", "/bucket-a/notes.txt", [("Host", "s3.amazonaws.com"),
                                                   ("User-Agent", UA)], version="1.0"))
    c.reply(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nServer: AmazonS3\r\n\r\n" + BODY)
    c.close(server_first=True)


def refused_forms(cap):
    # Request lines a server refuses (400, 405) or, for a cut version, serves: each is still a
    # request the client sent, recorded with the server's answer. Shapes from Zeek's
    # methods.pcap against Google's front end, which served "HTTP/1." as 1.0. (A method alone
    # and "CONNECT /" are in request_forms_test.cc: neither is a storage request, so neither
    # reaches the ledger this test reads.)
    lines = [
        (b"GET /bucket-a/notes.txt HTTP/1.", obj(BODY, seed="cut")),
        (b"DELETE /bucket-a/notes.txt",
         error(400, "Bad Request", "BadRequest", "no version", "/", seed="del")),
        (b"CCM_POST /bucket-a/notes.txt HTTP/1.1",
         error(405, "Method Not Allowed", "MethodNotAllowed", "method", "/", seed="ccm")),
    ]
    for n, (line, answer) in enumerate(lines):
        c = Conn(cap, 42121 + n)
        c.handshake()
        c.send(line + b"\r\nHost: s3.amazonaws.com\r\nUser-Agent: " + UA.encode() + b"\r\n\r\n")
        c.reply(answer.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        c.close(server_first=True)


def answered_after_close(cap):
    # HTTP/1.0 requests without keep-alive announce the close, yet this server (as in
    # suricata-verify http-gap-simple and http-async) keeps reading and answers each one. The
    # capture also lost a segment inside the second answer's body: only that body is short.
    c = Conn(cap, 42131)
    c.handshake()
    for n, key in enumerate(["notes.txt", "report.csv", "keys.txt"]):
        c.send(request("GET", "/bucket-a/" + key, [("Host", "s3.amazonaws.com"),
                                                   ("User-Agent", UA)], version="1.0"))
        answer = obj(BODY * 4, seed="close%d" % n).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
        if n == 1:
            cut = len(answer) - 60
            c.reply(answer[:cut])
            c.sseq += 30  # 30 bytes the capture missed
            c.reply(answer[cut + 30:])
        else:
            c.reply(answer)
    c.close(server_first=True)


SIGNATURE = "7a3c0de5ecre7519ba7a3c0de5ecre7519ba7a3c0de5ecre7519ba7a3c0de5ecre7"


def signature_separators(cap):
    # Presigned GETs to a self-hosted S3-compatible gateway whose query parser splits on ';'
    # as well as '&' and decodes once more before splitting, so "X-Amz-Signature%3D..." is a
    # signature to it. AWS refuses both forms; a gateway may serve them, and either way the
    # signature must not reach the ledger (issue 18 item 9).
    cred = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20231101"
            "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20231101T093000Z&X-Amz-Expires=900"
            "&X-Amz-SignedHeaders=host")
    store = "10.20.0.22"
    c = Conn(cap, 42040, server_ip=store)
    c.handshake()
    c.send(get("/bucket-a/notes.txt?" + cred.replace("&", ";") + ";X-Amz-Signature=" +
               SIGNATURE, host="storage.corp.internal"))
    c.reply(obj(BODY, seed="sig-semicolon"))
    c.send(get("/bucket-a/report.csv?" + cred + "&X-Amz-Signature%3D" + SIGNATURE,
               host="storage.corp.internal"))
    c.reply(obj(BODY, seed="sig-encoded"))
    c.send(get("/bucket-a/keys.txt?prefix=x%26X-Amz-Signature%253D" + SIGNATURE + "&" + cred,
               host="storage.corp.internal"))
    c.reply(obj(BODY, seed="sig-nested"))
    c.close()


def object_answer(body, etag=None, accept_ranges=True, status="200 OK", extra=()):
    # s3rver's answer to an object GET: no x-amz-* header, the object's MD5 as ETag.
    etag = etag or hashlib.md5(body).hexdigest()
    hdrs = ["HTTP/1.1 " + status]
    if accept_ranges:
        hdrs.append("Accept-Ranges: bytes")
    hdrs += ["Content-Type: application/octet-stream",
             "Last-Modified: Wed, 01 Nov 2023 09:30:00 GMT", 'ETag: "%s"' % etag]
    hdrs += list(extra) + ["Content-Length: %d" % len(body), "Date: " + DATE,
                           "Connection: keep-alive"]
    return ("\r\n".join(hdrs) + "\r\n\r\n").encode() + body


def object_digest(cap):
    # Object reads from stores the sensor never saw list or sign (it started after that): the
    # only proof is the body's MD5 in the ETag, with S3's answer shape (issue 17 item 1).
    csv = b"id,name,email\n" + b"".join(b"%d,user%d,u%d@example.com\n" % (i, i, i)
                                        for i in range(40))
    # 1. s3rver: the MD5 matches. Then a ranged read (206, no MD5 to check) and a HEAD on a
    #    new connection: storage too, the server having shown what it is.
    c = Conn(cap, 42050, server_ip="10.20.0.30", dport=4568)
    c.handshake()
    c.send(get("/public-data/export/customers.csv", host="10.20.0.30:4568"))
    c.reply(object_answer(csv))
    c.close()
    c = Conn(cap, 42051, server_ip="10.20.0.30", dport=4568)
    c.handshake()
    c.send(get("/public-data/export/customers.csv", host="10.20.0.30:4568",
               extra=[("Range", "bytes=0-9")]))
    c.reply(object_answer(csv[:10], etag=hashlib.md5(csv).hexdigest(),
                          status="206 Partial Content",
                          extra=["Content-Range: bytes 0-9/%d" % len(csv)]))
    c.send(request("HEAD", "/public-data/export/orders.csv", [("Host", "10.20.0.30:4568")]))
    c.reply(object_answer(b"", etag=hashlib.md5(b"orders").hexdigest())
            .replace(b"Content-Length: 0", b"Content-Length: 6"))
    c.close()
    # 2. The same shape, but the body is not what the ETag says: not proof, not storage.
    c = Conn(cap, 42052, server_ip="10.20.0.31", dport=8080)
    c.handshake()
    c.send(get("/reports-2023/q3.csv", host="10.20.0.31:8080"))
    c.reply(object_answer(csv, etag=hashlib.md5(b"something else").hexdigest()))
    c.close()
    # 3. A web framework that sends the body's MD5 as ETag (Django's ConditionalGetMiddleware)
    #    without Accept-Ranges: not the store's shape.
    page = b"<html><body>dashboard</body></html>\n"
    c = Conn(cap, 42053, server_ip="10.20.0.32", dport=8000)
    c.handshake()
    c.send(get("/dashboard/overview.html", host="10.20.0.32:8000"))
    c.reply(object_answer(page, accept_ranges=False))
    c.close()


CASES = {
    "http09_get": http09_get,
    "http09_headers_node": http09_headers_node,
    "http20_node": http20_node,
    "space_in_target": space_in_target,
    "odd_version": odd_version,
    "duplicate_cl_same": duplicate_cl_same,
    "duplicate_cl_differ": duplicate_cl_differ,
    "rst_mid_response": rst_mid_response,
    "rst_mid_request": rst_mid_request,
    "socks5_domain": socks5_domain,
    "socks5_login_ipv6": socks5_login_ipv6,
    "socks4a": socks4a,
    "socks5_refused": socks5_refused,
    "response_until_close": response_until_close,
    "refused_forms": refused_forms,
    "answered_after_close": answered_after_close,
    "signature_separators": signature_separators,
    "object_digest": object_digest,
}


def write_case(name, path):
    make_evasion.write_case(name, path, CASES)


def main():
    return make_evasion.cases_main(CASES, __doc__)


if __name__ == "__main__":
    sys.exit(main())
