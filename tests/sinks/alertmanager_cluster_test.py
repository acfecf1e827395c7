#!/usr/bin/env python3
"""Alerts in an Alertmanager cluster (issue 20 item 5), with the real binaries.

Two prometheus-alertmanager instances in one cluster on loopback, started with the flags of
deploy/alertmanager/compose-ha.yaml (addresses and ports replaced, shorter gossip and peer
timeouts), routing bucketwatch's alerts as deploy/alertmanager/alertmanager.yml groups them to a
webhook receiver in this script that records every notification. Two `bucketwatch --read`
sensors with different sensor.name replay the same capture at the same time (a duplicated
mirror), each posting to both instances through the sinks of
deploy/alertmanager/bucketwatch-ha-sinks.yaml.

  both up   each instance received every alert from both sensors (its own
            alertmanager_alerts_received_total), both hold the same alerts, one per label set,
            with the sensor's name only in the `observer` annotation; the receiver gets exactly
            one notification per alert group (groups as /api/v2/alerts/groups reports them),
            also after waiting out the second instance's peer timeout.
  one down  the second instance's HTTP port answers nothing (accepts, never replies) and its
            cluster port is closed: the first still notifies each group exactly once, as fast as
            with both up; the sensors' spools keep every alert for the hung instance (markers
            of the first only). When the second instance then starts and joins, a sensor
            started on the same spool delivers the kept alerts to it alone, and the cluster
            still sends no second notification.

A missing alertmanager binary fails the test (it is required in CI).
Usage: alertmanager_cluster_test.py BUCKETWATCH SOURCE_DIR
"""
import glob
import http.server
import json
import os
import random
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import yaml  # Debian: python3-yaml

CAPTURE = "tests/pcap/demo/storage_demo.pcap"
SENSORS = ("tap-a", "tap-b")
PEER_TIMEOUT = 3  # seconds the second instance waits for the first one's notification
GROUP_WAIT = "2s"
_used_ports = set()


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def log(message):
    print(message, flush=True)


def free_port():
    """A port in 27000-27999 free for TCP and UDP on loopback (memberlist gossips over both)."""
    for _ in range(200):
        port = random.randint(27000, 27999)
        if port in _used_ports:
            continue
        try:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        _used_ports.add(port)
        return port
    fail("no free port in 27000-27999")


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    fail("timed out after %ss waiting for %s" % (timeout, what))


class Receiver:
    """Webhook receiver: every notification (the parsed body) with its arrival time."""

    def __init__(self):
        self.notifications = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.notifications.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.port = free_port()
        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self):
        with self.lock:
            return list(self.notifications)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HungServer:
    """Accepts connections and reads them, never answers: an instance that hangs."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.conns.append(conn)

    def close(self):
        self.stop.set()
        time.sleep(0.3)
        for c in self.conns:
            c.close()
        self.sock.close()


class Alertmanager:
    """One instance, started with a compose-ha.yaml service's flags rewritten for loopback."""

    def __init__(self, binary, flags, work, name, web_port, cluster_port, peer_port, config):
        self.name, self.port = name, web_port
        self.url = "http://127.0.0.1:%d" % web_port
        storage = os.path.join(work, name + "-data")
        os.makedirs(storage, exist_ok=True)
        values = {
            "--config.file": config,
            "--storage.path": storage,
            "--web.listen-address": "127.0.0.1:%d" % web_port,
            "--web.external-url": self.url,
            "--cluster.listen-address": "127.0.0.1:%d" % cluster_port,
            "--cluster.advertise-address": "127.0.0.1:%d" % cluster_port,
            "--cluster.peer": "127.0.0.1:%d" % peer_port,
            "--cluster.peer-timeout": "%ds" % PEER_TIMEOUT,
        }
        args = [binary]
        for flag in flags:
            key = flag.split("=", 1)[0]
            if key not in values:
                fail("compose-ha.yaml flag %s has no loopback replacement in this test" % key)
            args.append("%s=%s" % (key, values.pop(key)))
        if values:
            fail("compose-ha.yaml lacks flags %s" % sorted(values))
        # Short gossip: the cluster settles (and instances exchange notification logs) in seconds.
        args += ["--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=1s",
                 "--cluster.settle-timeout=10s", "--log.level=debug"]
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path):
        status, body = http_get(self.url + path)
        if status != 200:
            fail("%s GET %s answered %s (see %s)" % (self.name, path, status, self.log.name))
        return json.loads(body) if path.startswith("/api") else body

    def wait_ready(self, peers):
        def ready():
            if self.proc.poll() is not None:
                fail("%s exited %s; see %s" % (self.name, self.proc.returncode, self.log.name))
            if http_get(self.url + "/-/ready")[0] != 200:
                return False
            cluster = self.get("/api/v2/status")["cluster"]
            return cluster.get("status") == "ready" and len(cluster.get("peers") or []) == peers
        wait_for(ready, 60, "%s to be ready with %d cluster peer(s)" % (self.name, peers))

    def received(self):
        """Alerts posted to it (alertmanager_alerts_received_total, every status)."""
        total = 0.0
        for line in self.get("/metrics").splitlines():
            if line.startswith("alertmanager_alerts_received_total"):
                total += float(line.rsplit(" ", 1)[1])
        return int(total)

    def alerts(self):
        return [a for a in self.get("/api/v2/alerts?active=true&silenced=false&inhibited=false")
                if a["labels"].get("service") == "bucketwatch"]

    def groups(self):
        return [g for g in self.get("/api/v2/alerts/groups")
                if any(a["labels"].get("service") == "bucketwatch" for a in g["alerts"])]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def compose_flags(src):
    with open(os.path.join(src, "deploy/alertmanager/compose-ha.yaml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    if len(services) != 2:
        fail("compose-ha.yaml should run two instances, has %d" % len(services))
    flags = [services[name]["command"] for name in sorted(services)]
    for mine, other in ((flags[0], flags[1]), (flags[1], flags[0])):
        def value(cmd, key):
            return next((f.split("=", 1)[1] for f in cmd if f.startswith(key + "=")), None)
        if value(mine, "--cluster.peer") != value(other, "--cluster.advertise-address"):
            fail("compose-ha.yaml: each instance's --cluster.peer must be the other's "
                 "--cluster.advertise-address")
    return flags


def alertmanager_config(src, work, receiver_port):
    """The shipped route's grouping for service="bucketwatch", with the test's receiver and
    short timings."""
    with open(os.path.join(src, "deploy/alertmanager/alertmanager.yml")) as f:
        shipped = yaml.safe_load(f)
    route = next(r for r in shipped["route"]["routes"]
                 if 'service="bucketwatch"' in r.get("matchers", []))
    config = {
        "route": {
            "receiver": "null", "group_by": shipped["route"]["group_by"],
            "group_wait": GROUP_WAIT, "group_interval": "5m", "repeat_interval": "4h",
            "routes": [{"matchers": ['service="bucketwatch"'], "receiver": "hook",
                        "group_by": route["group_by"]}],
        },
        "receivers": [
            {"name": "null"},
            {"name": "hook", "webhook_configs": [
                {"url": "http://127.0.0.1:%d/notify" % receiver_port, "send_resolved": False}]},
        ],
    }
    path = os.path.join(work, "alertmanager.yml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return path, route["group_by"]


def sensor_config(src, work, name, urls, **alerting):
    """deploy/alertmanager/bucketwatch-ha-sinks.yaml with the instances' loopback URLs."""
    with open(os.path.join(src, "deploy/alertmanager/bucketwatch-ha-sinks.yaml")) as f:
        config = yaml.safe_load(f)
    sinks = config["alerting"]["sinks"]
    if len(sinks) != 2 or any(s["type"] != "alertmanager" for s in sinks):
        fail("bucketwatch-ha-sinks.yaml should have one alertmanager sink per instance")
    for sink, url in zip(sinks, urls):
        sink.update(url=url, timeout_ms=1000, initial_backoff_ms=100, max_backoff_ms=500)
    config["alerting"]["spool_dir"] = os.path.join(work, name + "-spool")
    config["alerting"].update(alerting)
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return path, [s["name"] for s in sinks]


def run_sensors(binary, capture, work, configs, names=SENSORS):
    """Runs the sensors at the same time; their alerts files, by name."""
    procs = {}
    for name in names:
        alerts = os.path.join(work, name + "-alerts.jsonl")
        if os.path.exists(alerts):
            os.remove(alerts)
        log_file = open(os.path.join(work, name + ".log"), "w")
        procs[name] = (subprocess.Popen(
            [binary, "--read", capture, "--config", configs[name], "--alerts", alerts,
             "--metrics-listen", "", "--set", "sensor.name=" + name, "-q"],
            stdout=log_file, stderr=subprocess.STDOUT), alerts, log_file)
    out = {}
    for name, (proc, alerts, log_file) in procs.items():
        try:
            rc = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            fail("sensor %s did not finish in 120 s" % name)
        log_file.close()
        if rc != 0:
            fail("sensor %s exited %d; see %s" % (name, rc, log_file.name))
        with open(alerts) as f:
            out[name] = [json.loads(line) for line in f if line.strip()]
    return out


def check_raised(raised):
    counts = {name: len(a) for name, a in raised.items()}
    keys = {name: sorted(a["dedup_key"] for a in alerts) for name, alerts in raised.items()}
    a, b = SENSORS
    if not counts[a] or keys[a] != keys[b]:
        fail("the two sensors should raise the same alerts: %s" % counts)
    for name, alerts in raised.items():
        if any(x.get("observer", {}).get("name") != name for x in alerts):
            fail("sensor %s's alerts should carry observer.name %s" % (name, name))
    return counts[a]


def check_alertmanager_alerts(ams):
    """Both instances hold the same alerts; nothing per sensor in their labels."""
    label_sets = []
    for am in ams:
        alerts = am.alerts()
        sets = sorted(json.dumps(a["labels"], sort_keys=True) for a in alerts)
        if len(set(sets)) != len(sets):
            fail("%s holds two alerts with one label set" % am.name)
        for a in alerts:
            if set(a["labels"].values()) & set(SENSORS):
                fail("%s: a sensor's name is in the labels %s" % (am.name, a["labels"]))
            if a["annotations"].get("observer") not in SENSORS:
                fail("%s: annotation observer %r is not a sensor's name"
                     % (am.name, a["annotations"].get("observer")))
        label_sets.append(sets)
    if label_sets[0] != label_sets[1] or not label_sets[0]:
        fail("the instances hold different alerts: %d and %d" % tuple(map(len, label_sets)))
    return len(label_sets[0])


def check_notifications(receiver, groups, from_url, quiet):
    """Exactly one notification per group (waiting `quiet` s after the last), all sent by
    `from_url` when given. Returns seconds from the first to the last notification."""
    want = {json.dumps(g["labels"], sort_keys=True) for g in groups}

    def all_notified():
        got = {json.dumps(n["groupLabels"], sort_keys=True) for _, n in receiver.received()}
        return want <= got
    wait_for(all_notified, 30, "a notification for each of the %d groups" % len(want))
    time.sleep(quiet)  # a duplicate would come from the second instance after its peer timeout
    seen = {}
    for _, n in receiver.received():
        key = json.dumps(n["groupLabels"], sort_keys=True)
        seen.setdefault(key, []).append(n)
        if from_url and n["externalURL"] != from_url:
            fail("notification from %s, want only %s" % (n["externalURL"], from_url))
    extra = {k: len(v) for k, v in seen.items() if len(v) != 1 or k not in want}
    if extra:
        fail("want one notification per group, got %s" % extra)
    return len(seen), sorted({n["externalURL"] for _, n in receiver.received()})


def empty_capture(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))


def markers(spool, sink):
    return len(glob.glob(os.path.join(spool, "*.%s.done" % sink)))


def both_up(binary, src, am_bin, flags, base):
    work = os.path.join(base, "both-up")
    os.makedirs(work)
    receiver = Receiver()
    web = [free_port(), free_port()]
    cluster = [free_port(), free_port()]
    config, group_by = alertmanager_config(src, work, receiver.port)
    ams = [Alertmanager(am_bin, flags[i], work, "am%d" % (i + 1), web[i], cluster[i],
                        cluster[1 - i], config) for i in range(2)]
    try:
        for am in ams:
            am.wait_ready(peers=2)
        configs = {}
        for name in SENSORS:
            configs[name], _ = sensor_config(src, work, name, [am.url for am in ams])
        t0 = time.time()
        raised = run_sensors(binary, os.path.join(src, CAPTURE), work, configs)
        ran = time.time() - t0
        n = check_raised(raised)
        for am in ams:
            got = wait_for(lambda: am.received() >= 2 * n and am.received(), 10,
                           "%s to receive %d alerts" % (am.name, 2 * n))
            if got != 2 * n:
                fail("%s received %d alerts, want %d (each sensor's %d, once)"
                     % (am.name, got, 2 * n, n))
        held = check_alertmanager_alerts(ams)
        groups = ams[0].groups()
        notified, senders = check_notifications(receiver, groups, None, PEER_TIMEOUT + 4)
        first = min(t for t, _ in receiver.received()) - t0
        log("ok: both up: 2 sensors raised %d alerts each (%.1f s); each instance received %d "
            "and holds %d (one per label set, observer only in an annotation); %d groups by %s "
            "notified once each, %.2f s after the sensors started (startsAt is the capture's "
            "time, older than group_wait: flushed at once), by %s; none more after the "
            "peer timeout" % (n, ran, 2 * n, held, notified, group_by, first, senders))
    finally:
        for am in ams:
            am.stop()
        receiver.close()


def one_down(binary, src, am_bin, flags, base):
    work = os.path.join(base, "one-down")
    os.makedirs(work)
    receiver = Receiver()
    web = [free_port(), free_port()]
    cluster = [free_port(), free_port()]
    config, _ = alertmanager_config(src, work, receiver.port)
    am1 = Alertmanager(am_bin, flags[0], work, "am1", web[0], cluster[0], cluster[1], config)
    hung = HungServer(web[1])
    am2 = None
    try:
        am1.wait_ready(peers=1)
        urls = [am1.url, "http://127.0.0.1:%d" % web[1]]
        configs, spools = {}, {}
        for name in SENSORS:
            configs[name], sinks = sensor_config(src, work, name, urls, drain_timeout_ms=2000)
            spools[name] = os.path.join(work, name + "-spool")
        t0 = time.time()
        raised = run_sensors(binary, os.path.join(src, CAPTURE), work, configs)
        ran = time.time() - t0
        n = check_raised(raised)
        if am1.received() != 2 * n:
            fail("am1 received %d alerts, want %d" % (am1.received(), 2 * n))
        groups = am1.groups()
        notified, _ = check_notifications(receiver, groups, am1.url, 2)
        first = min(t for t, _ in receiver.received()) - t0
        for name in SENSORS:
            got = (markers(spools[name], sinks[0]), markers(spools[name], sinks[1]))
            if got != (n, 0):
                fail("%s's spool: %d alerts marked delivered to %s and %d to %s, want %d and 0"
                     % (name, got[0], sinks[0], got[1], sinks[1], n))
        log("ok: one instance hung: the other received %d alerts and notified %d groups once "
            "each, %.2f s after the sensors started (they ran %.1f s, 2 s of it waiting on the "
            "hung one); each spool keeps its %d alerts for %s" % (2 * n, notified, first, ran,
                                                                   n, sinks[1]))

        # The second instance comes back and joins; a sensor on the same spool (an empty capture:
        # nothing new) delivers what it kept, to it alone.
        hung.close()
        hung = None
        am2 = Alertmanager(am_bin, flags[1], work, "am2", web[1], cluster[1], cluster[0], config)
        am2.wait_ready(peers=2)
        am1.wait_ready(peers=2)
        empty = os.path.join(work, "empty.pcap")
        empty_capture(empty)
        before = len(receiver.received())
        run_sensors(binary, empty, work, configs, names=SENSORS[:1])
        got = am2.received()
        if got != n or am1.received() != 2 * n:
            fail("after the restart am2 received %d alerts (want %d) and am1 %d (want %d)"
                 % (got, n, am1.received(), 2 * n))
        if markers(spools[SENSORS[0]], sinks[1]) or glob.glob(
                os.path.join(spools[SENSORS[0]], "*.alert")):
            fail("%s's spool still holds alerts after both instances acknowledged them"
                 % SENSORS[0])
        time.sleep(PEER_TIMEOUT + 4)
        if len(receiver.received()) != before:
            fail("the rejoined instance sent %d notification(s) the cluster had already sent"
                 % (len(receiver.received()) - before))
        log("ok: the hung instance restarted and rejoined: %s's spool delivered its %d kept "
            "alerts to it alone (am1 still %d), the spool emptied, and no group was notified "
            "again" % (SENSORS[0], n, 2 * n))
    finally:
        if hung:
            hung.close()
        am1.stop()
        if am2:
            am2.stop()
        receiver.close()


def main():
    binary, src = sys.argv[1], os.path.abspath(sys.argv[2])
    am_bin = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not am_bin:
        fail("prometheus-alertmanager is not installed (Debian package prometheus-alertmanager); "
             "this test is required")
    flags = compose_flags(src)
    base = tempfile.mkdtemp(prefix="bw-amcluster-")
    started = time.time()
    both_up(binary, src, am_bin, flags, base)
    one_down(binary, src, am_bin, flags, base)
    shutil.rmtree(base, ignore_errors=True)
    log("ok: %.1f s" % (time.time() - started))


if __name__ == "__main__":
    main()
