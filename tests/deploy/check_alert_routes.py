#!/usr/bin/env python3
"""Every alert the sensor's own `alertmanager` sink sends reaches a person through the shipped
Alertmanager configuration (issue 17 item 4).

  check_alert_routes.py SOURCE_DIR BUCKETWATCH          exit 77 (skip) without amtool

Replays every detection scenario (tests/pcap/detect/*) through the sensor with an
`alertmanager` sink pointed at a local receiver, twice: with the sink's default labels and with
the README's copy-paste example (its `labels:` as written). Each label set the receiver gets is
routed with `amtool config routes test` against deploy/alertmanager/alertmanager.yml: critical
and high must reach PagerDuty and Slack, everything else Slack, and never `default-null`.
"""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

RULES = {"anonymous_list", "anonymous_read", "bucket_enumeration", "bulk_exfiltration"}


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/api/v2/alerts":
            Receiver.received.extend(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def readme_labels(src):
    """The `labels:` of the README's alertmanager sink example, as a dict."""
    text = open(os.path.join(src, "README.md")).read()
    block = re.search(r"type: alertmanager\n(?:      .*\n)*?      labels:.*\n((?:        .*\n)+)",
                      text)
    if not block:
        raise SystemExit("FAIL: README's alertmanager sink example has no labels: block")
    return dict(re.match(r"\s+(\w+):\s*(\S+)", line).groups()
                for line in block.group(1).splitlines())


def replay(binary, scenario_dir, url, labels, work):
    expected = json.load(open(os.path.join(scenario_dir, "expected_alerts.json")))
    sink = {"name": "am", "type": "alertmanager", "url": url, "timeout_ms": 2000}
    if labels is not None:
        sink["labels"] = labels
    config = {"alerting": {"spool_dir": os.path.join(work, "spool"), "sinks": [sink]}}
    if "detection" in expected:
        config["detection"] = expected["detection"]
    path = os.path.join(work, "config.yaml")
    with open(path, "w") as f:
        json.dump(config, f)  # JSON is YAML
    shutil.rmtree(os.path.join(work, "spool"), ignore_errors=True)
    subprocess.run([binary, "--read", os.path.join(scenario_dir, "capture.pcap"), "--config",
                    path, "-q"], check=True, timeout=60, stdout=subprocess.DEVNULL)
    return set(expected.get("expect", {}))


def route(config, labels):
    out = subprocess.run(["amtool", "config", "routes", "test", "--config.file", config] +
                         ["%s=%s" % kv for kv in sorted(labels.items())],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, binary = sys.argv[1:]
    if not shutil.which("amtool"):
        print("SKIP: amtool not installed (apt-get install prometheus-alertmanager)")
        return 77
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    detect = os.path.join(src, "tests", "pcap", "detect")
    am_config = os.path.join(src, "deploy", "alertmanager", "alertmanager.yml")
    problems, checked = [], 0
    with tempfile.TemporaryDirectory() as work:
        for variant, labels in (("default labels", None), ("README labels", readme_labels(src))):
            Receiver.received = []
            expected_rules = set()
            for name in sorted(os.listdir(detect)):
                d = os.path.join(detect, name)
                if os.path.exists(os.path.join(d, "expected_alerts.json")):
                    expected_rules |= replay(binary, d, url, labels, work)
            got = {}
            for alert in Receiver.received:
                got[json.dumps(alert["labels"], sort_keys=True)] = alert["labels"]
            rules = {l.get("alertname") for l in got.values()}
            if expected_rules - rules or not expected_rules >= RULES:
                problems.append("%s: rules expected %s, the sink sent %s" % (
                    variant, sorted(expected_rules), sorted(rules)))
            for labels_seen in got.values():
                want = ("soc-pagerduty,soc-slack"
                        if labels_seen.get("severity") in ("critical", "high") else "soc-slack")
                have = route(am_config, labels_seen)
                checked += 1
                if have != want:
                    problems.append("%s: %s routes to %r, want %r" % (
                        variant, json.dumps(labels_seen, sort_keys=True), have, want))
    server.shutdown()
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: %d label sets from the sensor's alertmanager sink, every rule, routed to a person"
          % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
