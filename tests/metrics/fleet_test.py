#!/usr/bin/env python3
"""A fleet in a real Prometheus (issue 20 item 6): deploy/prometheus/fleet.yml, with its
file-based service discovery pointed at two real sensors (`bucketwatch --read --linger`, metrics
on loopback) and its rule files loaded (every `for:` cut to 2 s, intervals to 1 s). Checks:
  1. both targets are up, each with the `sensor` and `site` labels of its targets-file entry, and
     bucketwatch_sensor_info keeps the sensor's own name under `sensor` (honor_labels: no
     exported_sensor);
  2. the fleet recording rules and the dashboard's fleet-row queries return one series per
     sensor, named by sensor;
  3. one sensor stopped: BucketwatchDown fires naming it; its entry removed from the targets
     file: BucketwatchSensorVanished fires naming it (and BucketwatchDown clears); every entry
     removed: BucketwatchNoSensors fires.
A missing prometheus fails the test (it is required in CI).
Usage: fleet_test.py BUCKETWATCH PCAP SOURCE_DIR
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics_lib  # noqa: E402
from metrics_lib import Sensor, fail, http_get, require_linger, wait_for  # noqa: E402

import yaml  # noqa: E402  (Debian: python3-yaml)

SENSORS = {"tap-a": "fra", "tap-b": "ams"}
_used = set()


def port_in_range():
    """A free loopback port in 27000-27999 (the range this test keeps to)."""
    for _ in range(200):
        port = random.randint(27000, 27999)
        if port in _used:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _used.add(port)
        return port
    fail("no free port in 27000-27999")


metrics_lib.free_port = port_in_range  # the sensors' metrics ports too


def shorten_for(rules_path, out_path):
    with open(rules_path) as f:
        rules = yaml.safe_load(f)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "2s"
    with open(out_path, "w") as f:
        yaml.safe_dump(rules, f)
    return out_path


def write_targets(path, sensors):
    """The targets file as an operator writes it; replaced atomically (Prometheus watches it)."""
    entries = [{"targets": ["127.0.0.1:%d" % s.port],
                "labels": {"sensor": name, "site": SENSORS[name]}} for name, s in sensors.items()]
    with open(path + ".tmp", "w") as f:
        yaml.safe_dump(entries, f)
    os.rename(path + ".tmp", path)


class Prometheus:
    def __init__(self, binary, config, work):
        self.port = port_in_range()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(work, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                fail("prometheus exited %s; see %s" % (self.proc.returncode, self.log.name))
            return http_get(self.url + "/-/ready")[0] == 200
        wait_for(ready, 60, "Prometheus to be ready")

    def query(self, expr):
        code, body = http_get(self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        doc = json.loads(body) if code else {}
        if doc.get("status") != "success":
            fail("query %s: %s" % (expr, doc.get("error", code)))
        return doc["data"]["result"]

    def firing(self, alertname):
        code, body = http_get(self.url + "/api/v1/alerts")
        alerts = json.loads(body)["data"]["alerts"] if code == 200 else []
        return [a["labels"] for a in alerts
                if a["labels"]["alertname"] == alertname and a["state"] == "firing"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def dashboard_fleet_exprs(source):
    with open(os.path.join(source, "deploy/grafana/bucketwatch-dashboard.json")) as f:
        dashboard = json.load(f)
    panels = dashboard["panels"]
    start = next(i for i, p in enumerate(panels)
                 if p["type"] == "row" and p["title"] == "Fleet overview")
    out = []
    for p in panels[start + 1:]:
        if p["type"] == "row":
            break
        for t in p.get("targets", []):
            out.append((p["title"], t["expr"].replace("$__rate_interval", "1m")
                        .replace("$__range", "5m").replace("$instance", ".*")))
    if len(out) < 6:
        fail("the dashboard's fleet overview row has %d queries, want >= 6" % len(out))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    if "sensor" not in variables or "bucketwatch_sensor_info" not in variables["sensor"]["definition"]:
        fail("the dashboard has no `sensor` variable from bucketwatch_sensor_info")
    return out


def main():
    binary, pcap, source = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    require_linger(binary)
    prom_bin = shutil.which("prometheus")
    if not prom_bin:
        fail("prometheus is not installed (Debian package prometheus); this test is required")
    started = time.time()
    work = tempfile.mkdtemp(prefix="bw-fleet-")
    deploy = os.path.join(source, "deploy/prometheus")
    with open(os.path.join(deploy, "fleet.yml")) as f:
        config = yaml.safe_load(f)
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "bucketwatch")
    if not job.get("file_sd_configs"):
        fail("fleet.yml's bucketwatch job has no file_sd_configs")

    sensors, prom = {}, None
    dead = port_in_range()  # nothing listens here
    try:
        for name in SENSORS:
            d = os.path.join(work, name)
            os.makedirs(d)
            # A webhook nobody answers: alerts wait in the spool, the backlog the rules watch.
            cfg = os.path.join(d, "sensor.yaml")
            with open(cfg, "w") as f:
                json.dump({"alerting": {"spool_dir": os.path.join(d, "spool"),
                                        "drain_timeout_ms": 200,
                                        "sinks": [{"name": "soc", "type": "webhook",
                                                   "url": "http://127.0.0.1:%d/" % dead,
                                                   "timeout_ms": 500}]}}, f)
            sensors[name] = Sensor(binary, pcap, d, linger=120,
                                   extra=["-q", "--config", cfg, "--set", "sensor.name=" + name])
        for s in sensors.values():
            s.wait_finished()

        # fleet.yml as shipped, pointed at this test's targets file and rule copies, at 1 s.
        targets = os.path.join(work, "targets")
        os.makedirs(targets)
        targets_file = os.path.join(targets, "bucketwatch-sensors.yml")
        write_targets(targets_file, sensors)
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        config.pop("alerting", None)
        config["rule_files"] = [shorten_for(os.path.join(deploy, r), os.path.join(work, r))
                                for r in config["rule_files"]]
        job.update(scrape_interval="1s", scrape_timeout="900ms")
        job["file_sd_configs"] = [{"files": [os.path.join(targets, "*.yml")],
                                   "refresh_interval": "1s"}]
        config_path = os.path.join(work, "fleet.yml")
        with open(config_path, "w") as f:
            yaml.safe_dump(config, f)
        prom = Prometheus(prom_bin, config_path, work)

        # --- 1. both up, named by the targets file; the sensor's own name kept
        def both_up():
            got = {(r["metric"].get("sensor"), r["metric"].get("site"), r["value"][1])
                   for r in prom.query('up{job="bucketwatch"}')}
            return got == {(n, site, "1") for n, site in SENSORS.items()}
        wait_for(both_up, 30, "both sensors up with their sensor and site labels")
        info = prom.query("bucketwatch_sensor_info")
        if sorted(r["metric"].get("sensor") for r in info) != sorted(SENSORS) or any(
                "exported_sensor" in r["metric"] for r in info):
            fail("bucketwatch_sensor_info should name each sensor under `sensor` once: %s"
                 % [r["metric"] for r in info])
        print("ok: both sensors up in Prometheus through file_sd, labelled %s" % SENSORS)

        # --- 2. per-sensor series: recording rules and the dashboard's fleet row
        def per_sensor(expr):
            return sorted(r["metric"].get("sensor", "") for r in prom.query(expr))
        checked = []
        fleet_rules = os.path.join(deploy, "bucketwatch-fleet.rules.yml")
        with open(fleet_rules) as f:
            records = [r["record"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]
                       if "record" in r]
        for expr in records:
            wait_for(lambda: per_sensor(expr) == sorted(SENSORS), 20,
                     "recording rule %s for both sensors (got %s)" % (expr, per_sensor(expr)))
            checked.append(expr)
        for title, expr in dashboard_fleet_exprs(source):
            got = per_sensor(expr)
            if got != sorted(SENSORS):
                fail("dashboard panel %r: one series per sensor wanted, got %s for %s"
                     % (title, got, expr))
            checked.append(title)
        packets = {r["metric"]["sensor"]: float(r["value"][1])
                   for r in prom.query("sum by (sensor) (bucketwatch_capture_packets_total)")}
        if len(set(packets.values())) != 1 or not list(packets.values())[0]:
            fail("both sensors read the same capture: packets %s" % packets)
        print("ok: %d recording rules and %d fleet-row panel queries give one series per sensor"
              % (len(records), len(checked) - len(records)))

        # --- 3. a sensor stops, then leaves discovery, then every sensor does
        t = time.time()
        sensors["tap-b"].proc.send_signal(signal.SIGTERM)
        sensors["tap-b"].proc.wait(timeout=30)
        down = wait_for(lambda: prom.firing("BucketwatchDown"), 20, "BucketwatchDown for tap-b")
        if [d.get("sensor") for d in down] != ["tap-b"]:
            fail("BucketwatchDown should name tap-b only: %s" % down)
        print("ok: tap-b stopped: BucketwatchDown fired for it alone in %.1f s" % (time.time() - t))

        t = time.time()
        write_targets(targets_file, {"tap-a": sensors["tap-a"]})
        gone = wait_for(lambda: prom.firing("BucketwatchSensorVanished"), 20,
                        "BucketwatchSensorVanished for tap-b")
        if [(g.get("sensor"), g.get("site")) for g in gone] != [("tap-b", "ams")]:
            fail("BucketwatchSensorVanished should name tap-b (ams) only: %s" % gone)
        wait_for(lambda: not prom.firing("BucketwatchDown"), 20,
                 "BucketwatchDown to clear once tap-b left discovery")
        if prom.firing("BucketwatchNoSensors"):
            fail("BucketwatchNoSensors fired while tap-a is still a target")
        print("ok: tap-b removed from the targets file: BucketwatchSensorVanished named it in "
              "%.1f s (up == 0 no longer can)" % (time.time() - t))

        t = time.time()
        write_targets(targets_file, {})
        wait_for(lambda: prom.firing("BucketwatchNoSensors"), 20, "BucketwatchNoSensors")
        vanished = sorted(g.get("sensor") for g in wait_for(
            lambda: len(prom.firing("BucketwatchSensorVanished")) == 2
            and prom.firing("BucketwatchSensorVanished"), 20, "both sensors vanished"))
        print("ok: every entry removed: BucketwatchNoSensors fired in %.1f s; vanished: %s"
              % (time.time() - t, vanished))
    finally:
        for s in sensors.values():
            if s.proc.poll() is None:
                s.stop()
        if prom:
            prom.stop()
    shutil.rmtree(work, ignore_errors=True)
    print("ok: %.1f s" % (time.time() - started))


if __name__ == "__main__":
    main()
