#!/usr/bin/env python3
"""Tiny HTTP/1.1 server used to record the base captures in tests/pcap/captures/.

python3 -m http.server closes the connection after every response; this one speaks
HTTP/1.1 with keep-alive so a single curl command produces several requests on one TCP
connection. Object bodies are generated deterministically in memory so recordings are
reproducible byte for byte (apart from timestamps, ports and the Date header).

  GET/HEAD /<bucket>/<name>       fixed-size objects (1 KiB .. 200 KiB), Content-Length
  GET      /chunked/<n>           a body of n bytes sent with Transfer-Encoding: chunked
  PUT      /<bucket>/<name>       reads the Content-Length body and answers 201 with its size
"""
import argparse
import hashlib
import http.server
import socket
import socketserver

SIZES = {
    "small-1k.txt": 1024,
    "medium-16k.bin": 16 * 1024,
    "large-64k.bin": 64 * 1024,
    "huge-200k.bin": 200 * 1024,
}


def body_of(name: str, size: int) -> bytes:
    # Printable, position-dependent content: reassembly mistakes show up as visible diffs.
    seed = hashlib.sha256(name.encode()).hexdigest().encode()
    line_len = 64
    out = bytearray()
    n = 0
    while len(out) < size:
        out += b"%08d %s\n" % (n, seed[: line_len - 10])
        n += 1
    return bytes(out[:size])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bucketwatch-test/1.0"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # keep the recorder's output readable
        pass

    def _object(self):
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 2 and parts[1] in SIZES:
            return body_of(parts[1], SIZES[parts[1]])
        return None

    def _send_plain(self, code, text, head=False):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _serve(self, head):
        if self.path.startswith("/chunked/"):
            try:
                total = int(self.path[len("/chunked/"):])
            except ValueError:
                total = 0
            data = body_of("chunked", total)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if head:
                return
            # Uneven chunk sizes, so chunk boundaries never line up with TCP segments.
            pos, step = 0, 1
            while pos < len(data):
                piece = data[pos : pos + step * 333]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                pos += len(piece)
                step += 1
            self.wfile.write(b"0\r\n\r\n")
            return
        body = self._object()
        if body is None:
            self._send_plain(404, "no such object\n", head)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length) if length > 0 else b""
        self.send_response(201)
        self.send_header("ETag", '"%s"' % hashlib.md5(data).hexdigest())
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    cls = Server6 if ":" in args.bind else Server
    with cls((args.bind, args.port), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
