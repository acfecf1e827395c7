#!/usr/bin/env python3
"""Alert sinks against real receivers, driven through bw_alert_sender (AlertDispatcher).

  webhook   HTTP receiver down for the first attempts, then up (slowly); the sender is SIGKILLed
            mid-delivery and restarted: every alert arrives at the webhook, PagerDuty and Slack
            endpoints, duplicates at most one per sink (the attempt in flight), HMAC verified.
  failing   a receiver answering 500 forever: submission is not slowed, the spool bound holds,
            memory stays small.
  hostile   replies announcing 10^11 bytes or an endless body: delivered on their status, the
            sender neither crashes nor grows.
  syslog    RFC 5424 over UDP and over TCP with octet-counting framing.
  burst     keep-alive (far fewer connections than alerts), a receiver closing idle connections
            (nothing lost or repeated), Alertmanager-like arrays (each alert once), and a critical
            alert submitted behind a spooled backlog arriving first.
  alertmanager  a real prometheus-alertmanager on loopback; alerts read back via /api/v2/alerts
            and amtool.

Usage: sinks_test.py --sender PATH [unittest args]
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

SENDER = None
HMAC_KEY = "test-hmac-key"
RFC5424 = re.compile(
    r"^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) ([!-~]{1,255}) bucketwatch - alert - (\{.*\})$",
    re.S)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=30.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Receiver:
    """A real HTTP server on loopback recording every POST; `status` and `delay` are live.
    With keep_alive it keeps connections open like any HTTP/1.1 server (closing one idle for
    `idle_timeout` seconds, silently, when given); without, it answers "Connection: close"."""

    def __init__(self, port, status=200, delay=0.0, keep_alive=False, idle_timeout=None):
        self.status = status
        self.delay = delay
        self.requests = []
        self.connections = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout

            def setup(self):
                super().setup()
                with outer.lock:
                    outer.connections += 1

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body, "status": outer.status})
                self.send_response(outer.status)
                self.send_header("Content-Length", "2")
                if not keep_alive:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client killed mid-request (the SIGKILL test) is expected

        self.server = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ok(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path and 200 <= r["status"] < 300]

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HostileReceiver:
    """Answers every POST 200 with a reply no sink should trust: a Content-Length of 10^11 and
    one byte, or a chunked body that keeps coming (for at most 2 s per connection)."""

    def __init__(self, mode):
        self.mode = mode
        self.requests = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            while len(body) < length:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                body += chunk
            self.requests += 1
            try:
                if self.mode == "huge_length":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nx")
                    self.stop.wait(1.0)
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    deadline = time.time() + 2
                    while time.time() < deadline and not self.stop.is_set():
                        conn.sendall(b"10000\r\n" + b"z" * 0x10000 + b"\r\n")
            except OSError:
                pass  # the sink closed after the head, as it should

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def write_config(path, spool, sinks, **extra):
    cfg = {"alerting": {"spool_dir": spool, "sinks": sinks}}
    cfg["alerting"].update(extra)
    with open(path, "w") as f:
        json.dump(cfg, f)  # JSON is YAML


def http_sink(name, kind, url, **extra):
    s = {"name": name, "type": kind, "url": url, "initial_backoff_ms": 50,
         "max_backoff_ms": 300, "timeout_ms": 3000}
    s.update(extra)
    return s


class SinksTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bw-sinks-")
        self.spool = os.path.join(self.dir, "spool")
        self.config = os.path.join(self.dir, "alerting.yaml")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            if hasattr(p, "err_file"):
                p.err_file.close()
            if p.stdout:
                p.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def sender(self, *args):
        err = open(os.path.join(self.dir, "sender.%d.err" % len(self.procs)), "w+")
        p = subprocess.Popen([SENDER, "--config", self.config, *args], stdout=subprocess.PIPE,
                             stderr=err, text=True)
        p.err_file = err
        self.procs.append(p)
        return p

    def stderr_of(self, p):
        p.err_file.flush()
        with open(p.err_file.name) as f:
            return f.read()

    def spool_alerts(self):
        if not os.path.isdir(self.spool):
            return []
        return [n for n in os.listdir(self.spool) if n.endswith(".alert")]

    def test_webhook_down_then_up_survives_sigkill(self):
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        write_config(self.config, self.spool, [
            http_sink("hook", "webhook", base + "/hook", hmac_key=HMAC_KEY,
                      headers={"X-Tenant": "soc"}),
            http_sink("pd", "pagerduty", base + "/pd", routing_key="R0UTING"),
            http_sink("slack", "slack", base + "/slack"),
        ])
        total = 120
        first = self.sender("--generate", str(total), "--wait-ms", "60000")
        # Receiver down: every alert must be spooled and the sinks must be failing.
        self.assertTrue(wait_until(lambda: "submitted" in self.stderr_of(first)),
                        self.stderr_of(first))
        self.assertTrue(wait_until(lambda: "delivery failed" in self.stderr_of(first)))
        self.assertEqual(len(self.spool_alerts()), total)
        mode = os.stat(self.spool).st_mode & 0o777
        self.assertEqual(mode, 0o700)
        for name in self.spool_alerts()[:5]:
            self.assertEqual(os.stat(os.path.join(self.spool, name)).st_mode & 0o777, 0o600)

        rx = Receiver(port, delay=0.01)
        try:
            self.assertTrue(wait_until(lambda: len(rx.ok("/hook")) >= 30))
            first.send_signal(signal.SIGKILL)
            first.wait()
            got_before = len(rx.ok("/hook"))
            self.assertLess(got_before, total, "killed too late to test anything")

            second = self.sender("--wait-ms", "60000")
            out, _ = second.communicate(timeout=90)
            self.assertEqual(second.returncode, 0, self.stderr_of(second))
            counters = json.loads(out.strip().splitlines()[-1])
            self.assertEqual(counters["spool"]["alerts"], 0)
            self.assertEqual(self.spool_alerts(), [])

            for path in ("/hook", "/pd", "/slack"):
                bodies = [json.loads(r["body"]) for r in rx.ok(path)]
                if path == "/hook":
                    keys = [b["dedup_key"] for b in bodies]
                elif path == "/pd":
                    keys = [b["dedup_key"] for b in bodies]
                else:
                    keys = [re.search(r"synthetic alert (\d+)", b["text"]).group(1)
                            for b in bodies]
                distinct = set(keys)
                self.assertEqual(len(distinct), total, path)
                # At-least-once: only the attempt in flight at the kill may repeat.
                self.assertLessEqual(len(keys) - len(distinct), 1, path)

            for r in rx.ok("/hook"):
                sig = r["headers"].get("X-Bucketwatch-Signature", "")
                want = "sha256=" + hmac.new(HMAC_KEY.encode(), r["body"], hashlib.sha256).hexdigest()
                self.assertTrue(hmac.compare_digest(sig, want))
                self.assertEqual(r["headers"].get("X-Tenant"), "soc")
                self.assertEqual(r["headers"].get("Content-Type"), "application/json")
            pd = json.loads(rx.ok("/pd")[0]["body"])
            self.assertEqual(pd["routing_key"], "R0UTING")
            self.assertEqual(pd["event_action"], "trigger")
            self.assertIn(pd["payload"]["severity"], ("critical", "error"))
            self.assertEqual(pd["payload"]["source"], "203.0.113.9")
            slack = json.loads(rx.ok("/slack")[0]["body"])
            self.assertIn("anonymous_list", slack["text"])
            self.assertIn("203.0.113.9", json.dumps(slack["blocks"]))
            # No secret in the spool or the logs.
            for p in self.procs:
                log = self.stderr_of(p)
                self.assertNotIn(HMAC_KEY, log)
                self.assertNotIn("R0UTING", log)
        finally:
            rx.close()

    def keys(self, rx, path):
        """Dedup keys of every alert acknowledged at `path`, request by request."""
        out = []
        for r in rx.ok(path):
            body = json.loads(r["body"])
            if isinstance(body, list):
                out.extend(a["annotations"]["dedup_key"] for a in body)
            else:
                out.append(body["dedup_key"])
        return out

    def test_burst_keep_alive_and_idle_close(self):
        # Issue 17: one connection per alert held a sink to ~32 alerts/s. Many alerts, few
        # connections; then a receiver closing idle connections behind the sink's back.
        for idle in (None, 0.05):
            with self.subTest(idle_timeout=idle):
                shutil.rmtree(self.spool, ignore_errors=True)
                port = free_port()
                rx = Receiver(port, keep_alive=True, idle_timeout=idle)
                try:
                    write_config(self.config, self.spool, [
                        http_sink("hook", "webhook", "http://127.0.0.1:%d/hook" % port)])
                    total = 100 if idle is None else 8
                    args = ["--generate", str(total), "--wait-ms", "30000"]
                    if idle is not None:
                        args += ["--submit-interval-ms", "120"]  # each finds its connection closed
                    p = self.sender(*args)
                    out, _ = p.communicate(timeout=60)
                    self.assertEqual(p.returncode, 0, self.stderr_of(p))
                    keys = self.keys(rx, "/hook")
                    self.assertEqual(sorted(keys), sorted("synthetic-%d" % i for i in range(total)))
                    counters = json.loads(out.strip().splitlines()[-1])
                    self.assertEqual(counters["sinks"][0]["failed_attempts"], 0)
                    if idle is None:
                        self.assertLessEqual(rx.connections, 3)
                    else:
                        self.assertGreaterEqual(rx.connections, 2)
                finally:
                    rx.close()

    def test_burst_alertmanager_arrays_and_urgent_first(self):
        # A backlog spooled while the receiver is down (most of it beyond the queue), then one
        # critical alert: it arrives first, and the backlog in arrays of up to 64, each once.
        total = 200
        lines = []
        for i in range(total):
            lines.append(json.dumps({
                "rule": "anonymous_read", "severity": "medium" if i % 2 else "low",
                "summary": "backlog %d" % i, "source": {"ip": "203.0.113.9"},
                "storage": {"provider": "s3", "bucket": "b-%d" % (i % 5)},
                "dedup_key": "backlog-%d" % i}))
        backlog = os.path.join(self.dir, "backlog.jsonl")
        with open(backlog, "w") as f:
            f.write("\n".join(lines) + "\n")
        urgent = os.path.join(self.dir, "urgent.jsonl")
        with open(urgent, "w") as f:
            f.write(json.dumps({"rule": "anonymous_list", "severity": "critical",
                                "summary": "new", "dedup_key": "urgent-1"}) + "\n")
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        write_config(self.config, self.spool, [
            http_sink("am", "alertmanager", base, queue_capacity=100),
            http_sink("hook", "webhook", base + "/hook", queue_capacity=100)])
        first = self.sender("--input", backlog, "--wait-ms", "300", "--drain-ms", "50")
        first.communicate(timeout=60)
        self.assertEqual(first.returncode, 3)  # nobody listening: all spooled
        self.assertGreater(len(self.spool_alerts()), 0)
        second = self.sender("--input", urgent, "--wait-ms", "30000")

        def failures_since_submit(sink):
            log = self.stderr_of(second)
            if "submitted" not in log:
                return 0
            after = log[log.index("submitted"):]
            return len(re.findall(r"alert sink %s \(.*delivery failed" % sink, after))

        # Each sink began an attempt after the critical alert was submitted (the first logged
        # failure after the submit may have been in flight before it): only then does the
        # receiver come up, so nothing of the backlog can have gone before the alert.
        self.assertTrue(wait_until(lambda: failures_since_submit("am") >= 2 and
                                   failures_since_submit("hook") >= 2), self.stderr_of(second))
        rx = Receiver(port, keep_alive=True)
        try:
            start = time.time()
            out, _ = second.communicate(timeout=60)
            self.assertEqual(second.returncode, 0, self.stderr_of(second))
            # http.server writes a reply's head and body apart, without TCP_NODELAY: unless the
            # sink acknowledges the head at once, each reply waits for a delayed ACK (40 ms), and
            # these 201 alerts one by one took 9 s.
            self.assertLess(time.time() - start, 5)
            want = ["backlog-%d" % i for i in range(total)]
            for path in ("/api/v2/alerts", "/hook"):
                keys = self.keys(rx, path)
                self.assertEqual(keys[0], "urgent-1", path)
                self.assertEqual(keys[1:], want, path)
            arrays = [json.loads(r["body"]) for r in rx.ok("/api/v2/alerts")]
            self.assertLessEqual(len(arrays), 6)
            self.assertEqual(max(len(a) for a in arrays), 64)
            self.assertLessEqual(rx.connections, 4)
            self.assertEqual(self.spool_alerts(), [])
        finally:
            rx.close()

    def test_hostile_replies_neither_crash_nor_lose_alerts(self):
        # Issue 18: "Content-Length: 10^11" with one body byte aborted the sender with
        # bad_alloc (Beast reserved the length), and crash-looped it since the spool goes first;
        # an endless chunked body must not hold or grow it either. The head decides: 200 is
        # delivered, the body is never read.
        for mode in ("huge_length", "endless_body"):
            with self.subTest(mode=mode):
                shutil.rmtree(self.spool, ignore_errors=True)
                rx = HostileReceiver(mode)
                try:
                    write_config(self.config, self.spool,
                                 [http_sink("hook", "webhook", "http://127.0.0.1:%d/" % rx.port)])
                    p = self.sender("--generate", "5", "--wait-ms", "30000")
                    out, _ = p.communicate(timeout=60)
                    self.assertEqual(p.returncode, 0, self.stderr_of(p))
                    counters = json.loads(out.strip().splitlines()[-1])
                    self.assertEqual(counters["spool"]["alerts"], 0, self.stderr_of(p))
                    self.assertEqual(self.spool_alerts(), [])
                    self.assertGreaterEqual(rx.requests, 5)
                finally:
                    rx.close()

    def test_failing_receiver_bounds_spool_and_memory(self):
        port = free_port()
        rx = Receiver(port, status=500)
        try:
            write_config(self.config, self.spool,
                         [http_sink("hook", "webhook", "http://127.0.0.1:%d/hook" % port,
                                    queue_capacity=16)],
                         spool_max_alerts=100)
            start = time.time()
            p = self.sender("--generate", "600", "--wait-ms", "4000", "--drain-ms", "100")
            self.assertTrue(wait_until(lambda: "submitted" in self.stderr_of(p), timeout=60))
            submit_seconds = time.time() - start
            with open("/proc/%d/status" % p.pid) as f:
                rss_kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            out, _ = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 3)  # not idle: alerts remain spooled
            c = json.loads(out.strip().splitlines()[-1])
            self.assertEqual(c["submitted"], 600)
            self.assertEqual(c["spool"]["alerts"], 100)
            self.assertEqual(c["spool"]["evicted"], 500)
            self.assertEqual(c["sinks"][0]["delivered"], 0)
            self.assertGreaterEqual(c["sinks"][0]["failed_attempts"], 3)
            self.assertLessEqual(c["sinks"][0]["queue_depth"], 2 * 16)  # urgent lane + queue
            self.assertEqual(c["sinks"][0]["last_status"], 500)
            self.assertEqual(len(self.spool_alerts()), 100)
            self.assertIn("DROPPED", self.stderr_of(p))
            self.assertGreater(rx.count(), 2)
            # Submission is bounded by disk (fsync), never by the failing receiver's retries.
            self.assertLess(submit_seconds, 45)
            self.assertLess(rss_kb, 256 * 1024)
        finally:
            rx.close()

    def test_syslog_udp_and_tcp(self):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(10)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(16)
        tcp_data = bytearray()

        def serve_tcp():
            tcp.settimeout(15)
            try:
                while True:
                    conn, _ = tcp.accept()
                    with conn:
                        while True:
                            chunk = conn.recv(65536)
                            if not chunk:
                                break
                            tcp_data.extend(chunk)
            except OSError:
                pass

        t = threading.Thread(target=serve_tcp, daemon=True)
        t.start()
        write_config(self.config, self.spool, [
            {"name": "udp", "type": "syslog", "host": "127.0.0.1",
             "port": udp.getsockname()[1], "transport": "udp", "hostname": "sensor-1"},
            {"name": "tcp", "type": "syslog", "host": "127.0.0.1",
             "port": tcp.getsockname()[1], "transport": "tcp", "facility": 13},
        ])
        n = 6
        p = self.sender("--generate", str(n))
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, self.stderr_of(p))
        datagrams = [udp.recv(65535).decode() for _ in range(n)]
        udp.close()
        for i, d in enumerate(datagrams):
            m = RFC5424.match(d)
            self.assertIsNotNone(m, d)
            alert = json.loads(m.group(4))
            self.assertEqual(alert["dedup_key"], "synthetic-%d" % i)
            sev = 2 if i % 5 == 0 else 3
            self.assertEqual(int(m.group(1)), 4 * 8 + sev)
            self.assertEqual(m.group(3), "sensor-1")
        self.assertTrue(wait_until(lambda: tcp_data.count(b"bucketwatch - alert") >= n))
        tcp.close()
        # RFC 6587 octet counting: "<len> <msg>" back to back, nothing else.
        frames, pos, data = [], 0, bytes(tcp_data)
        while pos < len(data):
            sp = data.index(b" ", pos)
            length = int(data[pos:sp])
            frames.append(data[sp + 1:sp + 1 + length].decode())
            pos = sp + 1 + length
        self.assertEqual(pos, len(data))
        self.assertEqual(len(frames), n)
        for i, f in enumerate(frames):
            m = RFC5424.match(f)
            self.assertIsNotNone(m, f)
            self.assertEqual(int(m.group(1)) // 8, 13)
            self.assertEqual(json.loads(m.group(4))["dedup_key"], "synthetic-%d" % i)

    def test_alertmanager(self):
        am_bin = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        amtool = shutil.which("amtool")
        if not am_bin or not amtool:
            self.skipTest("prometheus-alertmanager not installed (Debian package "
                          "prometheus-alertmanager)")
        port = free_port()
        am_dir = os.path.join(self.dir, "am")
        os.makedirs(am_dir)
        am_cfg = os.path.join(am_dir, "alertmanager.yml")
        with open(am_cfg, "w") as f:
            f.write("route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
        am = subprocess.Popen([am_bin, "--config.file=" + am_cfg, "--storage.path=" + am_dir,
                               "--web.listen-address=127.0.0.1:%d" % port,
                               "--cluster.listen-address="],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(am)
        url = "http://127.0.0.1:%d" % port

        def ready():
            try:
                return urllib.request.urlopen(url + "/-/ready", timeout=1).status == 200
            except OSError:
                return False

        self.assertTrue(wait_until(ready, timeout=30), "alertmanager did not start")
        write_config(self.config, self.spool, [
            http_sink("am", "alertmanager", url, resolve_timeout_seconds=600,
                      generator_url="http://bucketwatch.example/alerts")])
        p = self.sender("--generate", "3")
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, self.stderr_of(p))

        alerts = json.load(urllib.request.urlopen(url + "/api/v2/alerts", timeout=5))
        self.assertEqual(len(alerts), 3, alerts)
        buckets = sorted(a["labels"]["bucket"] for a in alerts)
        self.assertEqual(buckets, ["bucket-0", "bucket-1", "bucket-2"])
        for a in alerts:
            self.assertEqual(a["labels"]["alertname"], "anonymous_list")
            self.assertEqual(a["labels"]["provider"], "s3")
            self.assertEqual(a["labels"]["source_ip"], "203.0.113.9")
            self.assertIn("synthetic alert", a["annotations"]["summary"])
            self.assertIn('"dedup_key"', a["annotations"]["description"])
            self.assertEqual(a["status"]["state"], "active")
            self.assertEqual(a["generatorURL"], "http://bucketwatch.example/alerts")
        sev = {a["labels"]["bucket"]: a["labels"]["severity"] for a in alerts}
        self.assertEqual(sev["bucket-0"], "critical")
        self.assertEqual(sev["bucket-1"], "high")

        q = subprocess.run([amtool, "--alertmanager.url=" + url, "alert", "query",
                            "alertname=anonymous_list", "bucket=bucket-1", "-o", "json"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(q.returncode, 0, q.stderr)
        got = json.loads(q.stdout)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["labels"]["severity"], "high")


def main():
    global SENDER
    parser = argparse.ArgumentParser()
    parser.add_argument("--sender", required=True)
    args, rest = parser.parse_known_args()
    SENDER = os.path.abspath(args.sender)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
