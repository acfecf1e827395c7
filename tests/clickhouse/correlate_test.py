#!/usr/bin/env python3
"""`bucketwatch correlate` against a real ClickHouse (issue 20, item 4).

Three sensors each replay one site's capture (fleet_captures.py: one client guesses 8 of 24
bucket names and downloads 20 of 60 objects at every site); none raises bucket_enumeration or
bulk_exfiltration, since each saw a third. Their ledgers go into one ClickHouse with
`bucketwatch ledger-import` (site-0's twice, as a re-sent batch would), and the fleet rules find
what no sensor could:
  - one bucket_enumeration and one bulk_exfiltration alert, webhook-delivered, naming the client,
    the thresholds crossed (20 names, 50 objects) and the three sensors; every row read once;
  - the same run again on the same state: nothing new;
  - scheduled mode reads up to now - settle, and SIGTERM ends it cleanly (exit 0);
  - ClickHouse unreachable: a clear error, exit 1, no crash;
  - the webhook down: the alerts stay in the spool, and the next start delivers them.
Usage: correlate_test.py --bucketwatch PATH
"""
import argparse
import glob
import http.server
import json
import os
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chserver  # noqa: E402
import fleet_captures as fc  # noqa: E402

BUCKETWATCH = None
# The rules' thresholds, written out (the defaults of config/bucketwatch.yaml and DESIGN.md) so
# that the test says which side of them each share sits on; sensors and correlate use the same.
DETECTION = {
    "bucket_enumeration": {"window_seconds": 300, "min_buckets": 20, "min_failure_ratio": 0.5},
    "bulk_exfiltration": {"window_seconds": 600, "min_objects": 50, "min_bytes": 1073741824},
}
SINCE = str(int(fc.T0) - 60)
UNTIL = str(int(fc.T0) + 3600)
SENSORS = ["site-a", "site-b", "site-c"]
FLEET_RULES = {"bucket_enumeration", "bulk_exfiltration"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A webhook on loopback recording every alert POSTed to it."""

    def __init__(self, port):
        self.alerts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.alerts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self):
        with self.lock:
            return list(self.alerts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_config(path, name, spool, webhook_port=None, state_dir=None):
    cfg = {"sensor": {"name": name}, "detection": DETECTION,
           "alerting": {"spool_dir": spool, "drain_timeout_ms": 3000, "sinks": []}}
    if webhook_port:
        cfg["alerting"]["sinks"].append({
            "name": "soc", "type": "webhook", "url": "http://127.0.0.1:%d/hook" % webhook_port,
            "timeout_ms": 2000, "initial_backoff_ms": 50, "max_backoff_ms": 200})
    if state_dir:
        cfg["state"] = {"dir": state_dir}
    with open(path, "w") as f:
        json.dump(cfg, f)  # JSON is YAML


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_until(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


class CorrelateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bw-correlate-")
        cls.ch = chserver.ClickHouseServer(cls.dir)
        cls.ch.start()
        cls.ch.apply_schema()
        cls.sensor_alerts = {}
        cls.ledger_lines = 0
        for site, name in enumerate(SENSORS):
            pcap = os.path.join(cls.dir, "%s.pcap" % name)
            fc.write_site_capture(pcap, site)
            config = os.path.join(cls.dir, "%s.yaml" % name)
            write_config(config, name, os.path.join(cls.dir, "spool-" + name))
            ledger = os.path.join(cls.dir, "%s.jsonl" % name)
            alerts = os.path.join(cls.dir, "%s.alerts.jsonl" % name)
            p = subprocess.run([BUCKETWATCH, "--read", pcap, "--config", config, "--ledger", ledger,
                                "--alerts", alerts, "-q"], capture_output=True, text=True,
                               timeout=120)
            assert p.returncode == 0, p.stderr
            cls.sensor_alerts[name] = read_jsonl(alerts)
            lines = read_jsonl(ledger)
            assert len(lines) == fc.GUESSES_PER_SITE + fc.DOWNLOADS_PER_SITE, len(lines)
            assert {l["observer"]["name"] for l in lines} == {name}
            cls.ledger_lines += len(lines)
            cls.import_ledger(ledger)
            if site == 0:
                cls.import_ledger(ledger)  # a batch sent twice: FINAL reads it once

    @classmethod
    def import_ledger(cls, ledger):
        p = subprocess.run([BUCKETWATCH, "ledger-import", "--ledger", ledger, "--to", cls.ch.url],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.ch.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.case = tempfile.mkdtemp(prefix=self._testMethodName + "-", dir=self.dir)
        self.receivers = []

    def tearDown(self):
        for r in self.receivers:
            r.close()

    def receiver(self, port=None):
        r = Receiver(port or free_port())
        self.receivers.append(r)
        return r

    def config(self, webhook_port, name="fleet"):
        path = os.path.join(self.case, "correlate.yaml")
        write_config(path, name, os.path.join(self.case, "spool"), webhook_port)
        return path

    def correlate(self, config, *args, source=None, timeout=120):
        return subprocess.run([BUCKETWATCH, "correlate", "--source", source or self.ch.url,
                               "--config", config, *args], capture_output=True, text=True,
                              timeout=timeout)

    def once(self, config, state, *args, **kw):
        return self.correlate(config, "--once", "--since", SINCE, "--until", UNTIL, "--state",
                              state, *args, **kw)

    def spooled(self):
        """The text of the spool's alert files (records of alert JSON, group-committed)."""
        text = b""
        for path in glob.glob(os.path.join(self.case, "spool", "*.alert")):
            with open(path, "rb") as f:
                text += f.read()
        return text

    def check_fleet_alerts(self, alerts):
        by_rule = {}
        for a in alerts:
            by_rule.setdefault(a["rule"], []).append(a)
        self.assertEqual(sorted(by_rule), sorted(FLEET_RULES), alerts)
        self.assertEqual(len(by_rule["bucket_enumeration"]), 1)
        self.assertEqual(len(by_rule["bulk_exfiltration"]), 1)
        enum = by_rule["bucket_enumeration"][0]
        bulk = by_rule["bulk_exfiltration"][0]
        for a in (enum, bulk):
            self.assertEqual(a["observer"]["name"], "fleet")
            self.assertEqual(a["source"]["ip"], fc.CLIENT)
            self.assertEqual(a["sensors"], SENSORS)
        # Fired when the threshold was crossed: the 20th distinct name, the 50th object.
        self.assertEqual(enum["counts"]["distinct_buckets"], 20)
        self.assertEqual(enum["counts"]["not_found"], 20)
        self.assertIn("probed 20 bucket names in 5 min", enum["summary"])
        self.assertEqual(bulk["counts"]["objects"], 50)
        self.assertEqual(bulk["storage"]["bucket"], fc.EXFIL_BUCKET)
        self.assertIn("read 50 objects", bulk["summary"])

    def test_no_sensor_alerts_fleet_rule_does_once(self):
        for name, alerts in self.sensor_alerts.items():
            self.assertFalse(FLEET_RULES & {a["rule"] for a in alerts}, (name, alerts))
            # The per-request rule did fire on every sensor: the correlator leaves it to them.
            self.assertIn("anonymous_read", {a["rule"] for a in alerts})
        rx = self.receiver()
        config = self.config(rx.server.server_address[1])
        state = os.path.join(self.case, "correlate.json")
        alerts_file = os.path.join(self.case, "alerts.jsonl")
        p = self.once(config, state, "--alerts", alerts_file, "--page-rows", "7")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Every distinct row once: site-a's second import collapsed under FINAL. Pages of 7 rows
        # make the reading cross many page boundaries.
        self.assertIn("%d rows (0 malformed, skipped)" % self.ledger_lines, p.stderr)
        self.check_fleet_alerts(read_jsonl(alerts_file))
        self.assertTrue(wait_until(lambda: len(rx.received()) == 2), rx.received())
        self.check_fleet_alerts(rx.received())
        self.assertFalse(self.spooled())

        with open(state) as f:
            saved = json.load(f)
        self.assertEqual(saved["ledger_cursor"]["ts_ns"], int(UNTIL) * 10**9)
        self.assertEqual(len(saved["dedup"]), 2)

        # Again on the same state: the cursor is past every row, nothing is read or sent.
        p = self.once(config, state, "--alerts", alerts_file)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 rows", p.stderr)
        time.sleep(0.5)
        self.assertEqual(len(rx.received()), 2)
        self.assertEqual(len(read_jsonl(alerts_file)), 2)

        # A state that lost its cursor but kept its dedup windows reads everything again and
        # still does not page twice.
        del saved["ledger_cursor"]
        with open(state, "w") as f:
            json.dump(saved, f)
        p = self.once(config, state, "--alerts", alerts_file)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("%d rows" % self.ledger_lines, p.stderr)
        self.assertEqual(len(read_jsonl(alerts_file)), 2)

    def test_scheduled_mode_reads_settled_rows_and_stops_on_sigterm(self):
        rx = self.receiver()
        config = self.config(rx.server.server_address[1])
        state = os.path.join(self.case, "correlate.json")
        p = subprocess.Popen([BUCKETWATCH, "correlate", "--source", self.ch.url, "--config", config,
                              "--since", SINCE, "--interval", "1s", "--settle", "120s", "--state",
                              state], stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_until(lambda: len(rx.received()) == 2, 60), rx.received())
            self.check_fleet_alerts(rx.received())
            time.sleep(1.5)  # another round: nothing new
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(rx.received()), 2)
        with open(state) as f:
            cursor = json.load(f)["ledger_cursor"]["ts_ns"]
        # Up to about now - settle: the rows of 2023 are behind it, and it moved with the clock.
        self.assertLess(abs(cursor / 1e9 - (time.time() - 120)), 60)

    def test_clickhouse_unreachable(self):
        config = self.config(None)
        state = os.path.join(self.case, "correlate.json")
        p = self.once(config, state, source="clickhouse://127.0.0.1:%d/bucketwatch" % free_port(),
                      timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("Connection refused", p.stderr)
        self.assertNotIn("terminate", p.stderr)
        # Nothing was read, so nothing was saved: the next run starts where this one did.
        self.assertFalse(os.path.exists(state))

    def test_spool_keeps_alerts_while_webhook_is_down(self):
        port = free_port()
        config = self.config(port)
        state = os.path.join(self.case, "correlate.json")
        p = self.once(config, state)  # nobody listens on the webhook's port
        self.assertEqual(p.returncode, 0, p.stderr)
        for rule in FLEET_RULES:
            self.assertEqual(self.spooled().count(b'"rule":"%s"' % rule.encode()), 1, p.stderr)
        # The webhook is back; the next start (nothing new to read) delivers the spool.
        rx = self.receiver(port)
        p = self.once(config, state)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(wait_until(lambda: len(rx.received()) == 2), rx.received())
        self.check_fleet_alerts(rx.received())
        self.assertFalse(self.spooled())


def main():
    global BUCKETWATCH
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucketwatch", required=True)
    args, rest = parser.parse_known_args()
    BUCKETWATCH = os.path.abspath(args.bucketwatch)
    chserver.require()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
