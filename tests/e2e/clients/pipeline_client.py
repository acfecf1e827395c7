#!/usr/bin/env python3
"""A raw-socket HTTP/1.1 client that pipelines: it writes every request of its plan in one go on
one connection, then reads the responses in order (curl does not pipeline).

    pipeline_client.py HOST PORT PLAN.json

PLAN.json: [{"method": "GET", "target": "/b?list-type=2", "headers": {"Range": "bytes=0-3"}}, ...]
Prints one JSON line per response: {"status", "headers" (lower-case), "body_b64"}. Loopback
only; every read is bounded by a timeout and by a size cap. Python standard library only.
"""

import base64
import json
import socket
import sys

TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 8 << 20
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Reader:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""
        self.total = 0

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed mid-response")
        self.total += len(chunk)
        if self.total > MAX_RESPONSE_BYTES:
            raise ValueError("responses exceed the size cap")
        self.buf += chunk

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_response(r: Reader, method: str) -> dict:
    while True:
        status_line = r.line().decode("latin-1")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        while True:
            line = r.line()
            if not line:
                break
            k, v = line.decode("latin-1").split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if 100 <= status < 200:
            continue  # interim response; the final one follows
        break
    body = b""
    if method == "HEAD" or status in (204, 304):
        pass
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        for _ in range(100000):
            size = int(r.line().split(b";")[0], 16)
            if size == 0:
                while r.line():
                    pass
                break
            body += r.exactly(size)
            r.exactly(2)
    elif "content-length" in headers:
        body = r.exactly(int(headers["content-length"]))
    return {"status": status, "headers": headers, "body_b64": base64.b64encode(body).decode()}


def main() -> int:
    host, port, plan_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if host.strip("[]") not in LOOPBACK:
        print(f"refusing non-loopback host {host}", file=sys.stderr)
        return 2
    with open(plan_path) as f:
        plan = json.load(f)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    authority = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    wire = b""
    for i, req in enumerate(plan):
        headers = {"Host": authority, "User-Agent": "bucketwatch-e2e-pipeline/1", **req.get("headers", {})}
        if i == len(plan) - 1:
            headers["Connection"] = "close"
        wire += f"{req['method']} {req['target']} HTTP/1.1\r\n".encode()
        wire += b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n"
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT_S)
        s.connect((host, port))
        s.sendall(wire)  # every request before any response: pipelined
        r = Reader(s)
        for req in plan:
            print(json.dumps(read_response(r, req["method"])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
