"""Shared helpers of the metrics script tests: free ports, running the sensor with --linger,
fetching and parsing /metrics, and a throwaway Prometheus server."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SKIP = 77  # ctest SKIP_RETURN_CODE


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def skip(message):
    print("SKIP: " + message, file=sys.stderr)
    sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return 0, ""


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    fail("timed out after %ss waiting for %s" % (timeout, what))


def require_linger(binary):
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if "--linger" not in help_text or "--metrics-listen" not in help_text:
        fail("%s has no --linger/--metrics-listen: the metrics integration is missing" % binary)


class Sensor:
    """bucketwatch --read PCAP, serving metrics while it lingers."""

    def __init__(self, binary, pcap, workdir, linger=120, extra=(), preexec_fn=None):
        self.port = free_port()
        self.stats = os.path.join(workdir, "stats.json")
        self.ledger = os.path.join(workdir, "ledger.jsonl")
        self.log = open(os.path.join(workdir, "sensor.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--read", pcap, "--metrics-listen", "127.0.0.1:%d" % self.port,
             "--linger", str(linger), "--stats-json", self.stats, "--ledger", self.ledger,
             *extra], stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        self.url = "http://127.0.0.1:%d" % self.port

    def wait_finished(self, timeout=60):
        """Waits until /healthz says the input ended (all flows drained, counters final)."""
        started = time.time()

        def done():
            if self.proc.poll() is not None:
                fail("sensor exited early (rc %s); see %s" % (self.proc.returncode, self.log.name))
            status, body = http_get(self.url + "/healthz")
            if status == 0 and time.time() - started > 15:
                fail("nothing answers on %s/healthz 15 s after start: the sensor does not serve "
                     "metrics (is the metrics integration missing?)" % self.url)
            return status == 200 and "input finished" in body
        wait_for(done, timeout, "the sensor to finish reading the capture")

    def metrics(self):
        status, body = http_get(self.url + "/metrics")
        if status != 200:
            fail("GET /metrics answered %s" % status)
        return body

    def stop(self):
        """SIGTERM ends the linger; the sensor then writes --stats-json and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("sensor did not stop on SIGTERM")
        self.log.close()
        return self.proc.returncode

    def read_stats(self):
        with open(self.stats) as f:
            return json.load(f)

    def read_ledger(self):
        with open(self.ledger) as f:
            return [json.loads(line) for line in f if line.strip()]


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{'types': {family: type}, 'samples': [(name, {labels}, value)]}"""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            if not m:
                fail("unparsable exposition line: %r" % line)
            labels = dict(LABEL.findall(m.group(3) or ""))
            samples.append((m.group(1), labels, float(m.group(4))))
    return {"types": types, "samples": samples}


def total(parsed, name, **match):
    return sum(v for n, labels, v in parsed["samples"]
               if n == name and all(labels.get(k) == w for k, w in match.items()))


class Prometheus:
    """A real Prometheus (Debian package) in a temp dir, scraping the sensor every second."""

    def __init__(self, workdir, target_port, rule_files=()):
        binary = shutil.which("prometheus")
        if not binary:
            skip("prometheus is not installed (apt-get install prometheus)")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        cfg = os.path.join(workdir, "prometheus.yml")
        rules = "".join("  - %s\n" % os.path.abspath(r) for r in rule_files)
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    + ("rule_files:\n" + rules if rules else "")
                    + "scrape_configs:\n  - job_name: bucketwatch\n"
                      "    scrape_interval: 1s\n    scrape_timeout: 900ms\n"
                      "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.log = open(os.path.join(workdir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(workdir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: http_get(self.url + "/-/ready")[0] == 200, 60, "Prometheus to be ready")

    def query(self, expr):
        """(status, data) of an instant query; status 'error' with the message on a bad query."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        code, body = http_get(url)
        if code == 0:
            fail("Prometheus did not answer %s" % url)
        doc = json.loads(body)
        if doc.get("status") != "success":
            return "error", doc.get("error", body)
        return "success", doc["data"]

    def scalar(self, expr):
        status, data = self.query(expr)
        if status != "success":
            fail("query %s: %s" % (expr, data))
        result = data["result"]
        if not result:
            return None
        return float(result[0]["value"][1])

    def alerts(self):
        code, body = http_get(self.url + "/api/v1/alerts")
        return json.loads(body)["data"]["alerts"] if code == 200 else []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
