"""A real ClickHouse server (Debian's clickhouse-server 18.16) for tests: a plain process with
its config, data and logs in a temporary directory, on free loopback ports, stopped by the test.

    with ClickHouseServer(tmpdir) as ch:          # started, schema not applied
        ch.apply_schema()                         # deploy/clickhouse/schema.sql
        ch.query("SELECT count() FROM bucketwatch.ledger FINAL")  -> "12\n"

`ch.url` is the sensor's clickhouse:// form. In CI the server must exist: `require()` exits 1
(not skipped) when it does not, since scripts/install-deps installs it.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER = "/usr/sbin/clickhouse-server"
CLIENT = "/usr/bin/clickhouse-client"
SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(SOURCE_DIR, "deploy", "clickhouse", "schema.sql")


def require():
    for tool in (SERVER, CLIENT):
        if not os.access(tool, os.X_OK):
            print(f"FAIL: {tool} missing (apt-get install clickhouse-server clickhouse-client)")
            sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """<yandex>
  <logger><level>warning</level><log>{dir}/server.log</log><errorlog>{dir}/server.err.log</errorlog>
    <console>0</console></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <interserver_http_port>{interserver_port}</interserver_http_port>
  <listen_host>{host}</listen_host>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <timezone>UTC</timezone>
  {extra}
</yandex>
"""


class ClickHouseServer:
    def __init__(self, workdir, name="ch", extra_config="", http_port=None, tcp_port=None,
                 host="127.0.0.1"):
        self.host = host
        self.dir = os.path.join(workdir, name)
        self.http_port = http_port or free_port()
        self.tcp_port = tcp_port or free_port()
        self.interserver_port = free_port()
        self.extra_config = extra_config
        self.proc = None

    @property
    def url(self):
        return f"clickhouse://{self.host}:{self.http_port}/bucketwatch"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=60):
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG.format(dir=self.dir, host=self.host, http_port=self.http_port, tcp_port=self.tcp_port,
                                  interserver_port=self.interserver_port, extra=self.extra_config))
        self.out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen([SERVER, f"--config-file={self.dir}/config.xml"],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clickhouse-server exited {self.proc.returncode}: "
                                   + self.log_tail())
            try:
                if self.query("SELECT 1").strip() == "1":
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise RuntimeError("clickhouse-server did not answer in time: " + self.log_tail())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill(self):
        """Stops the server at once (SIGKILL), as a crash or a power cut would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def log_tail(self, n=20):
        for name in ("server.err.log", "stdout.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    lines = f.readlines()[-n:]
                if lines:
                    return "".join(lines)
        return "(no log)"

    def query(self, sql, data=None, timeout=60):
        """Runs `sql` over HTTP; with `data`, `sql` is the query string and `data` the body."""
        if data is None:
            url = f"http://{self.host}:{self.http_port}/"
            body = sql.encode()
        else:
            url = f"http://{self.host}:{self.http_port}/?query=" + urllib.parse.quote(sql)
            body = data if isinstance(data, bytes) else data.encode()
        req = urllib.request.Request(url, data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"ClickHouse: {e.read().decode(errors='replace').strip()}") from None

    def apply_schema(self, path=SCHEMA):
        """Runs a schema file (several statements) with clickhouse-client --multiquery."""
        with open(path, "rb") as f:
            subprocess.run([CLIENT, "--host", self.host, "--port", str(self.tcp_port),
                            "--multiquery"], stdin=f, check=True, timeout=60)
