"""Lifecycle of one end-to-end scenario: servers, live capture, clients, manifest.

What a scenario can rely on:
  * every process it starts runs in its own session with PR_SET_PDEATHSIG, and is stopped (TERM,
    then KILL after a bounded wait) when the scenario ends, fails or is interrupted, so no server
    or capture outlives the runner;
  * every wait and every client command has a timeout;
  * traffic goes to loopback only: the helpers refuse any other address;
  * the manifest (expected.jsonl) lists one line per HTTP request the scenario meant to send, in
    the order it sent them, each verified against the real server's answer as it happens (status,
    error code, listed key count), so a manifest line is both the intention and what the real
    server did.

Python standard library only.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

E2E_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = E2E_DIR.parent.parent
NODE_BIN = E2E_DIR / "node_modules" / ".bin"

# Bounds for everything that waits.
SERVER_READY_TIMEOUT_S = 40.0
CAPTURE_READY_TIMEOUT_S = 10.0
STOP_GRACE_S = 8.0
CLIENT_TIMEOUT_S = 60.0
CURL_MAX_TIME_S = 15

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"

_PR_SET_PDEATHSIG = 1


class ScenarioError(Exception):
    """The scenario's intention did not hold (a server answered differently, a client failed)."""


def _child_setup() -> None:
    # Own session: the whole process tree can be signalled as a group. PDEATHSIG: if the runner is
    # killed outright (SIGKILL, OOM), the kernel still stops its children.
    os.setsid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:
        pass


def _is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        packed = socket.inet_pton(socket.AF_INET, host)
        return packed[0] == 127
    except OSError:
        pass
    try:
        return socket.inet_pton(socket.AF_INET6, host) == socket.inet_pton(socket.AF_INET6, "::1")
    except OSError:
        return False


def free_port(host: str = LOOPBACK_V4) -> int:
    """A currently free TCP port on `host` (the kernel's choice, so parallel scenarios differ)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def clean_env(extra: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for clients: no proxies, no cloud metadata lookups, HOME-independent."""
    env = dict(os.environ)
    for k in list(env):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            del env[k]
    env["NO_PROXY"] = "*"
    env["no_proxy"] = "*"
    # Never reach for 169.254.169.254 to look for credentials or a region.
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    for k in unset:
        env.pop(k, None)
    if extra:
        env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, n: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]  # lower-case names; last value wins
    body: bytes


def s3_error_code(body: bytes) -> str | None:
    m = re.search(rb"<Code>([^<]+)</Code>", body)
    return m.group(1).decode() if m else None


def _strip_ns(tag: str) -> str:
    return tag.split("}", 1)[1] if "}" in tag else tag


def s3_list_count(body: bytes) -> tuple[int, bool, str | None]:
    """(keys + common prefixes, IsTruncated, NextContinuationToken or NextMarker)."""
    root = ET.fromstring(body)
    count = 0
    truncated = False
    token = None
    for child in root:
        tag = _strip_ns(child.tag)
        if tag in ("Contents", "CommonPrefixes", "Version", "DeleteMarker"):
            count += 1
        elif tag == "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
        elif tag in ("NextContinuationToken", "NextMarker"):
            token = child.text
    return count, truncated, token


def azure_list_count(body: bytes) -> tuple[int, bool, str | None]:
    """(blobs + blob prefixes, more pages?, NextMarker) of an EnumerationResults document."""
    root = ET.fromstring(body)
    count = 0
    marker = None
    for el in root.iter():
        tag = _strip_ns(el.tag)
        if tag in ("Blob", "BlobPrefix", "Container"):
            count += 1
        elif tag == "NextMarker":
            marker = el.text or None
    return count, marker is not None, marker


class Harness:
    def __init__(self, scenario: str, out_dir: Path, capture_with: str, bucketwatch: str | None):
        self.scenario = scenario
        self.out = out_dir
        self.capture_with = capture_with
        self.bucketwatch = bucketwatch
        self.out.mkdir(parents=True, exist_ok=True)
        self.logs = self.out / "logs"
        self.logs.mkdir(exist_ok=True)
        self.work = self.out / "work"
        self.work.mkdir(exist_ok=True)
        self.pcap = self.out / "capture.pcap"
        self.procs: list[Proc] = []
        self.capture_ports: list[int] = []
        self.capture_procs: list[Proc] = []
        self.manifest: list[dict[str, Any]] = []
        self.capturing = False
        self.capture_drops = 0
        self.notes: list[str] = []
        # TLS: key logs in the NSS format (given to bucketwatch as --tls-keylog and to tshark as
        # tls.keylog_file) and the captured ports that carry TLS (tshark dissects them as TLS,
        # then HTTP inside).
        self.keylogs: list[Path] = []
        # Key log labels left out of the tshark oracle's copy of a key log (merged_keylog).
        self.oracle_skip: dict[Path, tuple[str, ...]] = {}
        self.tls_ports: list[int] = []
        self.bucketwatch_args: list[str] = []
        # Failures found after the run (finish) that must not stop the capture and ledger checks.
        self.failures: list[str] = []
        self._seq = 0

    # ---------------------------------------------------------------- processes
    def start(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
              cwd: Path | None = None, stop_signal: int = signal.SIGTERM,
              stdout_path: Path | None = None) -> Proc:
        """Starts a server in the background. Its stdout and stderr go to logs/NAME.log, or, with
        stdout_path, stdout is appended to that file alone (HAProxy writes its key log there)."""
        log_path = self.logs / f"{name}.log"
        log = open(log_path, "ab")
        out = open(stdout_path, "ab") if stdout_path else log
        popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=log if stdout_path else subprocess.STDOUT,
                                 env=env or clean_env(), cwd=str(cwd or self.work),
                                 preexec_fn=_child_setup)
        log.close()
        if stdout_path:
            out.close()
        proc = Proc(name, popen, log_path, stop_signal)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc) -> None:
        if proc.alive():
            try:
                os.killpg(proc.popen.pid, proc.stop_signal)
            except ProcessLookupError:
                pass
            try:
                proc.popen.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.popen.wait(timeout=STOP_GRACE_S)
        # Whatever the leader left in its group (helpers it forked) goes too.
        try:
            os.killpg(proc.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout: float = CLIENT_TIMEOUT_S,
            check: bool = True, input_bytes: bytes | None = None, name: str | None = None) -> subprocess.CompletedProcess:
        """Runs a client to completion (bounded), logging its command line and output."""
        label = name or Path(argv[0]).name
        with open(self.logs / "clients.log", "ab") as log:
            log.write(f"$ {shlex.join(argv)}\n".encode())
            try:
                cp = subprocess.run(argv, input=input_bytes, capture_output=True, env=env or clean_env(),
                                    cwd=str(self.work), timeout=timeout, preexec_fn=_child_setup)
            except subprocess.TimeoutExpired as e:
                raise ScenarioError(f"{label} timed out after {timeout}s: {shlex.join(argv)}") from e
            log.write(cp.stdout + cp.stderr + f"[exit {cp.returncode}]\n".encode())
        if check and cp.returncode != 0:
            raise ScenarioError(f"{label} exited {cp.returncode}: {shlex.join(argv)}\n"
                                f"{cp.stderr.decode(errors='replace')[-2000:]}")
        return cp

    # ---------------------------------------------------------------- readiness
    def wait_tcp(self, host: str, port: int, proc: Proc | None = None,
                 timeout: float = SERVER_READY_TIMEOUT_S) -> None:
        if not _is_loopback(host):
            raise ScenarioError(f"refusing non-loopback address {host}")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and not proc.alive():
                raise ScenarioError(f"{proc.name} exited early:\n{proc.log_tail()}")
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(1.0)
                try:
                    s.connect((host.strip("[]"), port))
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise ScenarioError(f"nothing listening on {host}:{port} after {timeout}s"
                            + (f"\n{proc.log_tail()}" if proc else ""))

    # ---------------------------------------------------------------- capture
    def capture_filter(self) -> str:
        if not self.capture_ports:
            raise ScenarioError("no capture ports registered")
        return " or ".join(f"tcp port {p}" for p in sorted(set(self.capture_ports)))

    def start_capture(self) -> None:
        """Starts tcpdump on lo (always: the capture is saved) and, if asked, bucketwatch live."""
        bpf = self.capture_filter()
        # --immediate-mode makes libpcap use fixed-size ring slots of about the loopback MTU (64 KiB),
        # so its default 2 MiB buffer holds only ~30 packets and a burst while tcpdump waits for a
        # CPU is dropped by the kernel; -B 32768 (KiB) gives it ~500.
        tcpdump = self.start("tcpdump", ["tcpdump", "-i", "lo", "-n", "-s", "0", "-B", "32768", "-U",
                                         "--immediate-mode", "-w", str(self.pcap), bpf],
                             stop_signal=signal.SIGINT)
        self.capture_procs.append(tcpdump)
        deadline = time.monotonic() + CAPTURE_READY_TIMEOUT_S
        while "listening on" not in tcpdump.log_tail(5):
            if not tcpdump.alive():
                raise ScenarioError(f"tcpdump failed:\n{tcpdump.log_tail()}")
            if time.monotonic() > deadline:
                raise ScenarioError("tcpdump did not start listening in time")
            time.sleep(0.05)
        if self.capture_with == "bucketwatch":
            bw = self.start("bucketwatch", [self.bucketwatch, "--interface", "lo", "--set", "metrics.listen=", "--bpf", bpf,
                                            "--ledger", str(self.out / "ledger.jsonl"),
                                            "--alerts", str(self.out / "alerts.jsonl"),
                                            *self.bucketwatch_args])
            self.capture_procs.append(bw)
            # The sensor has no readiness signal on its command line; give libpcap time to open
            # the interface and make sure it did not exit on its arguments.
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                if not bw.alive():
                    raise ScenarioError(f"bucketwatch exited at start:\n{bw.log_tail()}")
                time.sleep(0.1)
        self.capturing = True

    def stop_capture(self) -> None:
        if not self.capturing:
            return
        # Let the last segments (FIN/ACK of closing connections) reach the capture.
        time.sleep(0.5)
        for proc in reversed(self.capture_procs):
            self.stop(proc)
        self.capturing = False
        log = (self.logs / "tcpdump.log").read_text(errors="replace")
        m = re.search(r"(\d+) packets? dropped by kernel", log)
        if m and int(m.group(1)) > 0:
            self.capture_drops = int(m.group(1))
            self.notes.append(f"tcpdump: {m.group(1)} packets dropped by kernel: the capture is incomplete")

    def add_keylog(self, path: Path, oracle_skip: tuple[str, ...] = ()) -> Path:
        """Registers an NSS key log that a server or client will write while the capture runs:
        created empty now (owner-only, as key material should be), given to bucketwatch as
        --tls-keylog (it must follow the file) and to the tshark oracle after the run.

        oracle_skip: labels whose lines the oracle's copy leaves out (bucketwatch gets them all).
        tshark decrypts and shows 0-RTT data that the server rejected as if it had been sent,
        while the manifest lists what the server answered; a scenario that keeps the early secret
        of a rejected 0-RTT connection from the oracle must check that data on its own with
        merged_keylog(complete=True)."""
        if self.capturing:
            raise ScenarioError("add_keylog() after start_capture(): bucketwatch would not be given it")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        self.keylogs.append(path)
        if oracle_skip:
            self.oracle_skip[path] = oracle_skip
        self.bucketwatch_args += ["--tls-keylog", str(path)]
        return path

    def merged_keylog(self, complete: bool = False) -> Path | None:
        """All key logs in one file (tshark takes a single tls.keylog_file), or None. The oracle's
        copy (keylog.txt) leaves out the oracle_skip labels; `complete` keeps every line
        (keylog-complete.txt)."""
        if not self.keylogs:
            return None
        merged = self.out / ("keylog-complete.txt" if complete else "keylog.txt")
        fd = os.open(merged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            for path in self.keylogs:
                data = path.read_bytes() if path.exists() else b""
                skip = () if complete else tuple(label.encode() + b" " for label in self.oracle_skip.get(path, ()))
                if skip:
                    data = b"".join(x for x in data.splitlines(keepends=True) if not x.startswith(skip))
                f.write(data if data.endswith(b"\n") or not data else data + b"\n")
        return merged

    # ---------------------------------------------------------------- manifest
    def expect(self, **fields: Any) -> dict[str, Any]:
        """Records one request the scenario sent. Fields absent are not asserted by the checkers."""
        if not self.capturing:
            raise ScenarioError("expect() called while not capturing: the request would be missing")
        self._seq += 1
        line = {"seq": self._seq}
        line.update(fields)
        line.setdefault("origin", "intended")
        self.manifest.append(line)
        return line

    def expect_observed(self, **fields: Any) -> dict[str, Any]:
        """A request read back from the capture (see reconcile.py), not one the scenario intended."""
        self._seq += 1
        line = {"seq": self._seq, **fields, "origin": "capture"}
        self.manifest.append(line)
        return line

    def write_manifest(self) -> Path:
        path = self.out / "expected.jsonl"
        with open(path, "w") as f:
            for line in self.manifest:
                f.write(json.dumps(line, sort_keys=True) + "\n")
        return path

    # ---------------------------------------------------------------- curl
    def curl(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
             data: bytes | None = None, resolve: str | None = None, ipv6: bool = False,
             extra: list[str] | None = None, env: dict[str, str] | None = None) -> HttpResult:
        """One request with curl (a real client), loopback only, bounded in time."""
        parsed = urllib.parse.urlsplit(url)
        target = resolve.rsplit(":", 1)[1] if resolve else parsed.hostname
        if not _is_loopback(target or ""):
            raise ScenarioError(f"refusing non-loopback URL {url}")
        hdr_file = self.work / "curl.headers"
        body_file = self.work / "curl.body"
        argv = ["curl", "-sS", "--max-time", str(CURL_MAX_TIME_S), "--noproxy", "*", "-g",
                "-X", method, "-D", str(hdr_file), "-o", str(body_file), "-w", "%{http_code}"]
        if method == "HEAD":
            argv[argv.index("-X"):argv.index("-X") + 2] = ["-I"]
        if resolve:
            argv += ["--resolve", resolve]
        if ipv6:
            argv += ["-6"]
        for k, v in (headers or {}).items():
            argv += ["-H", f"{k}: {v}"]
        if data is not None:
            data_file = self.work / "curl.data"
            data_file.write_bytes(data)
            argv += ["--data-binary", f"@{data_file}"]
        argv += extra or []
        argv.append(url)
        cp = self.run(argv, timeout=CURL_MAX_TIME_S + 5, name="curl", env=env)
        status = int(cp.stdout.decode().strip() or 0)
        hdrs: dict[str, str] = {}
        for line in hdr_file.read_text(errors="replace").splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        body = body_file.read_bytes() if body_file.exists() else b""
        return HttpResult(status, hdrs, body)

    def check(self, cond: bool, message: str) -> None:
        if not cond:
            raise ScenarioError(message)

    def curl_expect(self, url: str, *, expect: dict[str, Any], list_parser=None,
                    error_parser=None, **curl_kwargs: Any) -> HttpResult:
        """Sends one request with curl, verifies the server answered as intended, records it."""
        res = self.curl(url, **curl_kwargs)
        want_status = expect["status"]
        self.check(res.status == want_status,
                   f"{expect.get('operation')} {url}: status {res.status}, intended {want_status}\n"
                   f"{res.body[:400]!r}")
        if "error_code" in expect:
            got = (error_parser or (lambda r: s3_error_code(r.body)))(res)
            self.check(got == expect["error_code"],
                       f"{expect.get('operation')} {url}: error code {got!r}, intended {expect['error_code']!r}")
        if list_parser is not None and "list_keys" in expect:
            count, truncated, _ = list_parser(res.body)
            self.check(count == expect["list_keys"],
                       f"{expect.get('operation')} {url}: {count} keys listed, intended {expect['list_keys']}")
            if "list_truncated" in expect:
                self.check(truncated == expect["list_truncated"],
                           f"{expect.get('operation')} {url}: truncated={truncated}, intended "
                           f"{expect['list_truncated']}")
        parsed = urllib.parse.urlsplit(url)
        fields = dict(expect)
        fields.setdefault("method", curl_kwargs.get("method", "GET"))
        fields.setdefault("client", "curl")
        fields.setdefault("path", urllib.parse.unquote(parsed.path))
        if parsed.query and "query" not in fields:
            fields["query"] = {k: v for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)}
        self.expect(**fields)
        return res


def progress(msg: str) -> None:
    print(f"[e2e] {msg}", file=sys.stderr, flush=True)
