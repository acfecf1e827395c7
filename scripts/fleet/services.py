"""The fleet demo's central services, each a plain process with its files in the run's
directory: two Alertmanagers in one cluster, Prometheus, and a webhook receiver that counts the
notifications the Alertmanagers send. Every wait is bounded.
"""
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def wait_until(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(interval)
    return False


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


class Process:
    """A child in its own process group, its output in `log`."""

    def __init__(self, name, argv, log, env=None):
        self.name = name
        self.log = log
        self.out = open(log, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=env)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


class Receiver:
    """The SOC's end: counts what the Alertmanagers deliver (one POST per notification)."""

    def __init__(self, host, port):
        self.notifications = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                note = json.loads(body or b"{}")
                note["received_at"] = time.time()
                with lock:
                    outer.notifications.append(note)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self):
        """(alertname, bucket/source, status) of every alert in every notification."""
        out = []
        for n in list(self.notifications):
            for a in n.get("alerts", []):
                out.append(a)
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


ALERTMANAGER_CONFIG = """route:
  receiver: soc
  group_by: [alertname, rule, provider, account, bucket, source_ip]
  group_wait: 2s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: soc
    webhook_configs:
      - url: http://{receiver}/notify
        send_resolved: false
"""


def start_alertmanagers(binary, workdir, host, receiver, ports=(9093, 9094),
                        cluster_ports=(9193, 9194)):
    """Two Alertmanagers gossiping as one cluster; each peers with the other."""
    config = os.path.join(workdir, "alertmanager.yml")
    with open(config, "w") as f:
        f.write(ALERTMANAGER_CONFIG.format(receiver=receiver))
    procs = []
    for i, (port, cport) in enumerate(zip(ports, cluster_ports)):
        peer = cluster_ports[1 - i]
        data = os.path.join(workdir, f"alertmanager{i + 1}")
        os.makedirs(data, exist_ok=True)
        procs.append(Process(f"alertmanager{i + 1}", [
            binary, f"--config.file={config}", f"--storage.path={data}",
            f"--web.listen-address={host}:{port}",
            f"--cluster.listen-address={host}:{cport}",
            f"--cluster.advertise-address={host}:{cport}",
            f"--cluster.peer={host}:{peer}",
            "--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=2s",
            "--cluster.settle-timeout=5s",
            "--log.level=warn"], os.path.join(workdir, f"alertmanager{i + 1}.log")))
    for port in ports:
        def ready(port=port):
            status = http_json(f"http://{host}:{port}/api/v2/status")
            return len(status.get("cluster", {}).get("peers", [])) == len(ports)
        if not wait_until(ready, 60):
            raise RuntimeError(f"alertmanager on {host}:{port} did not join its cluster")
    return procs


def start_prometheus(binary, workdir, host, port, targets, rule_files=()):
    """Prometheus scraping the sensors through file-based discovery, as deploy/prometheus does
    for a fleet. `targets`: [(address, {labels})]."""
    sd = os.path.join(workdir, "sensors.json")
    with open(sd, "w") as f:
        json.dump([{"targets": [addr], "labels": labels} for addr, labels in targets], f)
    rules = []
    for path in rule_files:
        dest = os.path.join(workdir, os.path.basename(path))
        shutil.copyfile(path, dest)
        rules.append(dest)
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
        if rules:
            f.write("rule_files:\n" + "".join(f"  - {r}\n" for r in rules))
        f.write("scrape_configs:\n  - job_name: bucketwatch\n    file_sd_configs:\n"
                f"      - files: [{sd}]\n        refresh_interval: 5s\n")
    proc = Process("prometheus", [
        binary, f"--config.file={config}", f"--storage.tsdb.path={workdir}/prometheus-data",
        f"--web.listen-address={host}:{port}", "--log.level=warn"],
        os.path.join(workdir, "prometheus.log"))
    if not wait_until(lambda: urllib.request.urlopen(f"http://{host}:{port}/-/ready",
                                                     timeout=2).status == 200, 60):
        raise RuntimeError("prometheus did not start")
    return proc


def prometheus_query(host, port, expr):
    url = f"http://{host}:{port}/api/v1/query?query=" + urllib.request.quote(expr)
    return http_json(url)["data"]["result"]
