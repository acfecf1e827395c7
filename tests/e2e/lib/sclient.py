"""Raw HTTP/1.1 requests on one connection: through `openssl s_client` (TLS, with KeyUpdate and
session resumption under the scenario's control) or a plain socket (the same bytes in plaintext).

`openssl s_client` reads stdin in chunks and looks at the first byte of each: `K` sends a TLS 1.3
KeyUpdate asking the peer to update too, `k` one that does not, `Q`/`R` quit/renegotiate, and EOF
closes the connection. So requests are written one at a time (each request is one write of less
than PIPE_BUF, read as one chunk; none starts with K, k, Q or R), the response is read whole from
stdout before the next write, and a key update waits for s_client's "KEYUPDATE" on stderr before
anything else is written. `-brief` keeps stdout to the application data (not -quiet: it would
also ignore the command letters).

TLS 1.3 0-RTT: given `early_data` (and a session with -sess_in), s_client sends those bytes as
early data (`-early_data FILE`) with its ClientHello, before the handshake completes; the server's
answer to them, if it accepted them, is the first thing on stdout (`early()` reads it). s_client
never sends rejected early data again: a caller that wants it sent must write it after the
handshake, as a browser would.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import time
from pathlib import Path

from harness import CLIENT_TIMEOUT_S, Harness, Proc, ScenarioError, _child_setup, _is_loopback, clean_env

READ_TIMEOUT_S = 15.0


def request_bytes(method: str, path: str, host: str, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "User-Agent: bucketwatch-e2e-raw/1", "Accept: */*"]
    if method in ("PUT", "POST"):
        head += ["Content-Type: application/octet-stream", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def parse_response(buf: bytes, method: str) -> tuple[int, dict[str, str], bytes, int] | None:
    """(status, headers, body, bytes used) of the first whole response in buf, or None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    start = end + 4
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", start
    if headers.get("transfer-encoding", "").lower() == "chunked":
        pos, body = start, b""
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(buf[pos:eol].split(b";")[0], 16)
            if len(buf) < eol + 2 + size + 2:
                return None
            body += buf[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
            if size == 0:
                return status, headers, body, pos
    length = int(headers.get("content-length", "0"))
    if len(buf) < start + length:
        return None
    return status, headers, buf[start:start + length], start + length


class _Conn:
    def _read_response(self, method: str) -> tuple[int, dict[str, str], bytes]:
        deadline = time.monotonic() + READ_TIMEOUT_S
        while True:
            parsed = parse_response(self.buf, method)
            if parsed:
                status, headers, body, used = parsed
                self.buf = self.buf[used:]
                return status, headers, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise ScenarioError(f"{self.label}: no whole response to {method} after {READ_TIMEOUT_S}s: "
                                    f"{self.buf[:200]!r}")
            chunk = self._recv(left)
            if chunk == b"":
                raise ScenarioError(f"{self.label}: connection closed before the response to {method}")
            if chunk:
                self.buf += chunk


class PlainConn(_Conn):
    """One plaintext connection to a loopback server."""

    def __init__(self, h: Harness, host: str, port: int):
        if not _is_loopback(host):
            raise ScenarioError(f"refusing non-loopback address {host}")
        self.label = f"raw {host}:{port}"
        self.sock = socket.create_connection((host, port), timeout=READ_TIMEOUT_S)
        self.buf = b""
        self.h = h

    def _recv(self, timeout: float) -> bytes | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536)
        except socket.timeout:
            return None

    def request(self, method: str, path: str, host: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        self.sock.sendall(request_bytes(method, path, host, body))
        return self._read_response(method)

    def early(self, method: str, path: str, host: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        """Plaintext has no 0-RTT: the request is sent as the connection's first."""
        return self.request(method, path, host, body)

    def key_update(self, requested: bool) -> None:
        pass  # plaintext: nothing to update

    def close(self) -> None:
        self.sock.close()


class SClientConn(_Conn):
    """One TLS connection made by `openssl s_client` (a real OpenSSL client)."""

    def __init__(self, h: Harness, port: int, *, servername: str, cafile: Path, extra: list[str] = (),
                 name: str = "s_client", early_data: bytes | None = None):
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", servername,
                "-CAfile", str(cafile), "-verify_return_error", "-brief", *extra]
        self.label = f"s_client :{port}"
        self.h = h
        self.early_data = early_data
        if early_data is not None:
            if "-sess_in" not in extra:
                raise ScenarioError("0-RTT data needs a session to resume (-sess_in)")
            early_file = h.work / f"early-data-{port}-{len(h.procs)}.http"
            early_file.write_bytes(early_data)
            argv += ["-early_data", str(early_file)]
        with open(h.logs / "clients.log", "ab") as log:
            log.write(f"$ {' '.join(argv)}\n".encode())
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=clean_env(), cwd=str(h.work), preexec_fn=_child_setup)
        # Registered so that the harness stops it on any exit.
        h.procs.append(Proc(name, self.popen, h.logs / f"{name}.log"))
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.popen.stdout, selectors.EVENT_READ, "out")
        self.sel.register(self.popen.stderr, selectors.EVENT_READ, "err")
        self.buf = b""
        self.err = b""
        self._wait_err(b"CONNECTION ESTABLISHED")

    def _pump(self, timeout: float) -> bytes | None:
        """Reads what is there: stdout is returned, stderr goes to self.err. None: nothing from
        stdout yet; b"": stdout is closed (s_client exited)."""
        out = b""
        closed = False
        for key, _ in self.sel.select(timeout=max(0.0, timeout)):
            data = os.read(key.fileobj.fileno(), 65536)
            if not data:
                self.sel.unregister(key.fileobj)
            if key.data == "err":
                self.err += data
            elif data:
                out += data
            else:
                closed = True
        if out:
            return out
        return b"" if closed else None

    def _recv(self, timeout: float) -> bytes | None:
        return self._pump(min(timeout, 0.5))

    def _wait_err(self, marker: bytes, count: int = 1) -> None:
        deadline = time.monotonic() + READ_TIMEOUT_S
        while self.err.count(marker) < count:
            if time.monotonic() > deadline:
                raise ScenarioError(f"{self.label}: no {marker!r} from s_client after {READ_TIMEOUT_S}s:\n"
                                    f"{self.err.decode(errors='replace')[-1500:]}")
            if self.popen.poll() is not None and not self.sel.get_map():
                raise ScenarioError(f"{self.label}: s_client exited:\n{self.err.decode(errors='replace')[-1500:]}")
            data = self._pump(0.2)
            if data:
                self.buf += data

    def request(self, method: str, path: str, host: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        raw = request_bytes(method, path, host, body)
        if len(raw) >= 4096 or raw[:1] in (b"K", b"k", b"Q", b"R"):
            raise ScenarioError("a request for s_client must be one atomic pipe write not starting with K/k/Q/R")
        self.popen.stdin.write(raw)
        self.popen.stdin.flush()
        return self._read_response(method)

    def early(self, method: str, path: str, host: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        """The answer to the request sent as 0-RTT data when the connection opened, which must be
        this one."""
        if self.early_data != request_bytes(method, path, host, body):
            raise ScenarioError(f"{self.label}: {method} {path} is not the early data this connection sent")
        self.early_data = None  # answered once
        return self._read_response(method)

    def key_update(self, requested: bool) -> None:
        """TLS 1.3 KeyUpdate from the client; `requested` asks the server to update its keys too."""
        seen = self.err.count(b"KEYUPDATE")
        self.popen.stdin.write(b"K\n" if requested else b"k\n")
        self.popen.stdin.flush()
        self._wait_err(b"KEYUPDATE", seen + 1)

    def close(self) -> None:
        """EOF on stdin: s_client sends close_notify and exits (bounded)."""
        try:
            self.popen.stdin.close()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + CLIENT_TIMEOUT_S
        while self.popen.poll() is None and time.monotonic() < deadline:
            self._pump(0.2)
        with open(self.h.logs / "clients.log", "ab") as log:
            log.write(self.err + f"[exit {self.popen.poll()}]\n".encode())
        if self.popen.poll() is None:
            raise ScenarioError(f"{self.label}: s_client did not exit after EOF")
