"""The fleet demo's network: network namespaces it creates and deletes itself, so nothing it
sends touches the host's interfaces.

    bwfN-core   the central services (ClickHouse, Prometheus, two Alertmanagers, the webhook
                receiver); a bridge br0 with 10.77.0.1/24
    bwfN-sK     sensor K: `tap` is the monitoring port (the sensor captures on it; tcpreplay
                plays the mirror into its veth peer `mirror`), `mgmt` (10.77.0.1K/24) is the
                sensor's management link to the core bridge (metrics, ClickHouse, Alertmanager)

N makes the names unique per run, so two runs do not collide.
"""
import os
import subprocess

CORE_ADDR = "10.77.0.1"


def sensor_addr(k):
    return f"10.77.0.{10 + k}"


def run(*cmd):
    subprocess.run(list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class FleetNetwork:
    def __init__(self, sensors, prefix=None):
        self.sensors = sensors
        self.prefix = prefix or f"bwf{os.getpid() % 100000}"
        self.core = f"{self.prefix}-core"
        self.created = []

    def sensor_ns(self, k):
        return f"{self.prefix}-s{k}"

    def exec_in(self, ns):
        return ["ip", "netns", "exec", ns]

    def __enter__(self):
        try:
            self.create()
        except BaseException:
            self.delete()
            raise
        return self

    def __exit__(self, *exc):
        self.delete()

    def create(self):
        run("ip", "netns", "add", self.core)
        self.created.append(self.core)
        run("ip", "-n", self.core, "link", "set", "lo", "up")
        run("ip", "-n", self.core, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.core, "addr", "add", f"{CORE_ADDR}/24", "dev", "br0")
        run("ip", "-n", self.core, "link", "set", "br0", "up")
        for k in range(1, self.sensors + 1):
            ns = self.sensor_ns(k)
            run("ip", "netns", "add", ns)
            self.created.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            # The monitoring port: what tcpreplay plays into `mirror` arrives on `tap`. Captures
            # made on loopback carry 64 KiB frames, hence the MTU.
            run("ip", "-n", ns, "link", "add", "mirror", "type", "veth", "peer", "name", "tap")
            for dev in ("mirror", "tap"):
                run("ip", "-n", ns, "link", "set", dev, "mtu", "65535")
                run("ip", "-n", ns, "link", "set", dev, "up")
            # The management link, its other end on the core's bridge.
            run("ip", "-n", ns, "link", "add", "mgmt", "type", "veth", "peer", "name", f"s{k}",
                "netns", self.core)
            run("ip", "-n", ns, "addr", "add", f"{sensor_addr(k)}/24", "dev", "mgmt")
            run("ip", "-n", ns, "link", "set", "mgmt", "up")
            run("ip", "-n", self.core, "link", "set", f"s{k}", "master", "br0")
            run("ip", "-n", self.core, "link", "set", f"s{k}", "up")

    def delete(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.created = []
