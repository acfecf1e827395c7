#!/usr/bin/env python3
"""Hostile input for TLS decryption (issue 19), through the real sensor: wrong keys, key logs
with garbage, connections whose keys never come, and records cut by snaplen or by loss.

  tls_hostile_test.py BUCKETWATCH WORKDIR CASE     (--list: the case names)

Each case writes fresh captures with make_tls_captures.py (real OpenSSL sessions in memory, the
client's own key log; three anonymous S3 requests on one keep-alive connection), bends the
capture or the key log the way the case says, replays it with `--read --tls-keylog` and checks
the stats JSON (`tls_decryption`, `http`, `reassembly`), the ledger, the flow log, and where the
case is about what a connection without keys still shows, the alerts of the same capture
replayed without a key log (an encrypted flow to an S3 name is summarised by its turns; with
`detection.bulk_exfiltration.min_objects=3` its three turns raise bulk_exfiltration). The key log
cases also read the Prometheus exposition the sensor serves while it lingers after the replay
(malformed key log lines by reason are not in the stats JSON).

Cases:
  control_tls12/13       all keys: three decrypted ledger lines, the requests tshark decrypts
                         from the same capture and key log (the capture is what the test claims)
  wrong_keys_tls12/13    the right client random, every secret wrong: bad_record_mac, no ledger
                         line, flow record and alerts as without a key log
  wrong_app_keys_tls13   handshake secrets right, traffic secrets wrong: bad_record_mac after the
                         handshake was read
  no_matching_key        three connections, keys logged for one: the other two wait, are parked
                         when they close and given up (no_keys); ledger from the first only,
                         the others' alerts as without a key log
  garbage_keylog         binary junk, wrong lengths, non-hex, missing and extra fields, an
                         overlong line and half a line at EOF around a valid upper-case line
                         (HAProxy's) and a valid CRLF block: each refused line counted by
                         reason, the valid ones decrypt
  snaplen_200_tls12/13   editcap -s 200: the ClientHello itself is cut, nothing to decrypt,
                         nothing counted as an attempt
  snaplen_cut_tls12/13   editcap -s 1300: the handshake and the first answer fit, the object's
                         full segments do not: gap, the server's later records (intact) stay
                         unread, the client's requests are still read
  loss_server_tls12/13   one segment of the object's answer missing: as above
  loss_client_tls12/13   the segment with the second request missing: the client direction
                         stops, the server's answers are still read (unmatched responses)
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import make_evasion as ev  # noqa: E402
import make_tls_captures as tc  # noqa: E402
import run_evasion  # noqa: E402

BULK_AT_3 = "detection.bulk_exfiltration.min_objects=3"
# What each exchange of make_tls_captures.EXCHANGES becomes in the ledger when all is read.
LEDGER = {
    "list-a": {"url.path": "/bucket-a/", "url.query": "list-type=2", "storage.bucket": "bucket-a",
               "storage.operation": "ListObjectsV2", "storage.list.keys": 3},
    "object": {"url.path": "/bucket-a/exports/customers.csv", "storage.bucket": "bucket-a",
               "storage.key": "exports/customers.csv", "storage.operation": "GetObject"},
    "list-b": {"url.path": "/bucket-b/", "url.query": "list-type=2", "storage.bucket": "bucket-b",
               "storage.operation": "ListObjectsV2", "storage.list.keys": 2},
}
FAILURES = ["no_handshake", "unsupported_version", "unsupported_suite", "renegotiation", "no_keys",
            "bad_keys", "bad_record_mac", "bad_record", "gap", "buffer_overflow"]


class Problems(list):
    def expect(self, what, got, want):
        if got != want:
            self.append("%s: expected %s, got %s" % (what, json.dumps(want), json.dumps(got)))


def field(line, path):
    return run_evasion.ledger_path(line, path)


class Result:
    def __init__(self, work, stats, ledger, flows, alerts, metrics):
        self.work, self.stats, self.ledger, self.flows, self.alerts = work, stats, ledger, flows, alerts
        self.metrics = metrics

    def tls(self, key):
        return run_evasion.dig(self.stats, "tls_decryption." + key)


def replay(binary, pcap, keylog, work, name, metrics=False):
    """Replays `pcap` (with `keylog` unless None) into work/name/; returns a Result."""
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    paths = {k: os.path.join(out, k) for k in ("ledger.jsonl", "stats.json", "flows.jsonl",
                                                 "alerts.jsonl", "sensor.log")}
    args = [binary, "--read", pcap, "--ledger", paths["ledger.jsonl"], "--stats-json",
            paths["stats.json"], "--flow-log", paths["flows.jsonl"], "--alerts",
            paths["alerts.jsonl"], "--set", BULK_AT_3, "-q"]
    if keylog:
        os.chmod(keylog, 0o600)  # the sensor refuses a key log others may read
        args += ["--tls-keylog", keylog]
    exposition = {}
    with open(paths["sensor.log"], "w") as log:
        if not metrics:
            rc = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT, timeout=120).returncode
        else:
            rc, exposition = linger(args, log)
    if rc != 0:
        raise SystemExit("%s: sensor exit code %d; see %s" % (name, rc, paths["sensor.log"]))

    def lines(key):
        p = paths[key]
        return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
    return Result(out, json.load(open(paths["stats.json"])), lines("ledger.jsonl"),
                  lines("flows.jsonl"), lines("alerts.jsonl"), exposition)


def linger(args, log):
    """Runs the sensor serving metrics, reads the exposition once the replay finished."""
    for _ in range(3):  # a port taken between free_port() and the bind is retried
        port = run_evasion.free_port()
        proc = subprocess.Popen(args + ["--metrics-listen", "127.0.0.1:%d" % port, "--linger",
                                        "60"], stdout=log, stderr=subprocess.STDOUT)
        url = "http://127.0.0.1:%d" % port
        exposition = None
        deadline = time.time() + 60
        try:
            while time.time() < deadline and proc.poll() is None:
                status, body = run_evasion.http_get(url + "/healthz")
                if status == 200 and "input finished" in body:
                    status, text = run_evasion.http_get(url + "/metrics")
                    if status == 200:
                        exposition = run_evasion.parse_exposition(text)
                    break
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if exposition is not None:
            return proc.returncode, exposition
    raise SystemExit("the sensor did not serve its metrics after the replay")


# --- what every case checks --------------------------------------------------------------------


def check_tls(p, r, attempts, decrypted, waited=0, parked=0, **failures):
    p.expect("tls_decryption.attempts", r.tls("attempts"), attempts)
    p.expect("tls_decryption.decrypted", r.tls("decrypted"), decrypted)
    p.expect("tls_decryption.waited_for_keys", r.tls("waited_for_keys"), waited)
    p.expect("tls_decryption.parked", r.tls("parked"), parked)
    for reason in FAILURES:  # every reason not named must stay 0
        p.expect("tls_decryption.failures." + reason, r.tls("failures." + reason),
                 failures.get(reason, 0))


def check_ledger(p, r, want, session=None, port=None):
    """`want`: (exchange, status or None for no answer) per ledger line, in order. Every line
    must be one of the exchanges, decrypted, with what that exchange carries: nothing else
    (no garbage) reaches the ledger."""
    lines = [l for l in r.ledger if port is None or field(l, "source.port") == port]
    p.expect("ledger lines%s" % ("" if port is None else " from port %d" % port), len(lines),
             len(want))
    for i, (line, (name, status)) in enumerate(zip(lines, want)):
        at = "ledger[%d]" % i
        p.expect(at + " url.domain", field(line, "url.domain"), "s3.amazonaws.com")
        p.expect(at + " http.request.method", field(line, "http.request.method"), "GET")
        for key, value in LEDGER[name].items():
            if status is None and key == "storage.list.keys":
                continue  # a listing is counted from its answer
            p.expect(at + " " + key, field(line, key), value)
        p.expect(at + " http.response.status_code", field(line, "http.response.status_code"), status)
        p.expect(at + " storage.outcome", field(line, "storage.outcome"),
                 "success" if status == 200 else "no_response")
        p.expect(at + " tls.decrypted", field(line, "tls.decrypted"), True)
        p.expect(at + " tls.client.server_name", field(line, "tls.client.server_name"), tc.SNI)
        if session:
            p.expect(at + " tls.version", field(line, "tls.version"), session.version)
            p.expect(at + " tls.cipher", field(line, "tls.cipher"), session.cipher)


def flow_of(r, port):
    flows = [f for f in r.flows if field(f, "source.port") == port]
    return flows[0] if len(flows) == 1 else None


def flow_without_tls(r, port):
    """The flow record less its `tls` object (what decryption came to), which only a sensor with
    key logs writes: the rest must be as without a key log."""
    f = flow_of(r, port)
    return None if f is None else {k: v for k, v in f.items() if k != "tls"}


def check_flow_tls(p, r, port, **want):
    f = flow_of(r, port)
    p.expect("flow record %d tls" % port, None if f is None else f.get("tls"), want)


def check_flow(p, r, port, sni=tc.SNI, http_requests=0, gaps=(0, 0)):
    f = flow_of(r, port)
    if f is None:
        p.append("flow log: no single record for client port %d" % port)
        return
    p.expect("flow %d app_layer" % port, field(f, "flow.app_layer"), "tls")
    p.expect("flow %d server_name" % port, field(f, "flow.server_name"), sni)
    p.expect("flow %d http_requests" % port, field(f, "flow.http_requests"), http_requests)
    p.expect("flow %d gaps (to_server, to_client)" % port,
             (field(f, "flow.to_server.gaps"), field(f, "flow.to_client.gaps")), gaps)


def alerts_of(r, client_ip):
    return [a for a in r.alerts if field(a, "source.ip") == client_ip]


def check_as_without_keys(p, r, plain, client_ip):
    """The encrypted summary of a connection not decrypted raises what it raises without a key
    log: the same bulk_exfiltration (objects = turns), nothing more, nothing less."""
    want = alerts_of(plain, client_ip)
    if not any(field(a, "rule") == "bulk_exfiltration" and field(a, "encrypted") for a in want):
        p.append("no-key-log replay: no encrypted bulk_exfiltration for %s (the case proves "
                 "nothing)" % client_ip)
    p.expect("alerts for %s (as without a key log)" % client_ip, alerts_of(r, client_ip), want)


# --- captures ----------------------------------------------------------------------------------


class Case:
    def __init__(self, work):
        self.work = work
        os.makedirs(work, exist_ok=True)
        self.sessions = {}

    def session(self, version, name=None):
        """A fresh session of `version`; its key log is work/<name>.keylog."""
        name = name or version
        keylog = os.path.join(self.work, name + ".keylog")
        if os.path.exists(keylog):
            os.remove(keylog)
        s = tc.conversation(version, keylog, self.work)
        s.keylog = keylog
        s.lines = tc.keylog_lines(keylog)
        self.sessions[name] = s
        return s

    def capture(self, name, conns):
        """conns: (session, client port, client ip, drop) -> work/<name>.pcap."""
        cap = ev.Capture()
        for session, port, ip, drop in conns:
            tc.write_connection(cap, session, port, drop, client_ip=ip)
        path = os.path.join(self.work, name + ".pcap")
        cap.write(path)
        return path

    def keylog(self, name, lines, raw=None):
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(raw if raw is not None else "".join(l + "\n" for l in lines).encode())
        return path


def wrong(line):
    label, random, secret = line.split()
    return "%s %s %02x%s" % (label, random, int(secret[:2], 16) ^ 0xFF, secret[2:])


def tshark_requests(pcap, keylog):
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tls.keylog_file:" + keylog, "-Y",
                          "http.request", "-T", "fields", "-e", "http.request.uri"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit("tshark failed: " + out.stderr)
    return out.stdout.split()


# --- cases -------------------------------------------------------------------------------------

PORT = 41443
OK3 = [("list-a", 200), ("object", 200), ("list-b", 200)]


def control(version):
    def run(binary, c, p):
        s = c.session(version)
        pcap = c.capture(version, [(s, PORT, None, None)])
        r = replay(binary, pcap, s.keylog, c.work, "sensor")
        check_tls(p, r, attempts=1, decrypted=1)
        check_ledger(p, r, OK3, s)
        check_flow(p, r, PORT, http_requests=3)
        p.expect("http.errors (nonzero)",
                 {k: v for k, v in r.stats["http"]["errors"].items() if v}, {})
        p.expect("tshark's requests with the same key log", tshark_requests(pcap, s.keylog),
                 [ev.LIST_A, "/bucket-a/exports/customers.csv", ev.LIST_B])
    return run


def wrong_keys(version, app_only=False):
    def run(binary, c, p):
        s = c.session(version)
        pcap = c.capture(version, [(s, PORT, None, None)])
        handshake = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET")
        lines = [l if app_only and l.startswith(handshake) else wrong(l) for l in s.lines]
        r = replay(binary, pcap, c.keylog("wrong.keylog", lines), c.work, "sensor")
        plain = replay(binary, pcap, None, c.work, "no-keylog")
        # With the handshake keys right, the server's handshake records authenticate: the
        # connection counts as decrypted (records read under logged keys) and still fails.
        check_tls(p, r, attempts=1, decrypted=1 if app_only else 0, bad_record_mac=1)
        check_ledger(p, r, [])
        p.expect("http.requests", r.stats["http"]["requests"], 0)
        p.expect("http.responses", r.stats["http"]["responses"], 0)
        check_flow(p, r, PORT)
        check_flow_tls(p, r, PORT, decrypted=app_only, version=s.version, cipher=s.cipher,
                       decrypt_failure="bad_record_mac")
        p.expect("flow record (as without a key log)", flow_without_tls(r, PORT),
                 flow_without_tls(plain, PORT))
        check_as_without_keys(p, r, plain, ev.CLIENT_IP)
    return run


def no_matching_key(binary, c, p):
    a, b, d = c.session("tls13", "a"), c.session("tls12", "b"), c.session("tls13", "c")
    ips = {"a": ev.CLIENT_IP, "b": "10.20.0.6", "c": "10.20.0.7"}
    pcap = c.capture("three", [(a, 41001, ips["a"], None), (b, 41002, ips["b"], None),
                               (d, 41003, ips["c"], None)])
    # The key log holds the first connection's keys and other connections' (not captured).
    other = c.session("tls12", "elsewhere")
    r = replay(binary, pcap, c.keylog("some.keylog", a.lines + other.lines), c.work, "sensor")
    plain = replay(binary, pcap, None, c.work, "no-keylog")
    check_tls(p, r, attempts=3, decrypted=1, waited=2, parked=2, no_keys=2)
    check_ledger(p, r, OK3, a, port=41001)
    p.expect("ledger lines (all)", len(r.ledger), 3)
    for port, ip, s in ((41002, ips["b"], b), (41003, ips["c"], d)):
        check_flow(p, r, port)
        # Parked until the wait ran out: the flow log line is written then, and says so.
        check_flow_tls(p, r, port, decrypted=False, version=s.version, cipher=s.cipher,
                       decrypt_failure="no_keys")
        p.expect("flow record %d (as without a key log)" % port, flow_without_tls(r, port),
                 flow_without_tls(plain, port))
        check_as_without_keys(p, r, plain, ip)


def garbage_keylog(binary, c, p):
    a, b, d = c.session("tls12", "a"), c.session("tls13", "b"), c.session("tls13", "c")
    pcap = c.capture("three", [(a, 41001, None, None), (b, 41002, "10.20.0.6", None),
                               (d, 41003, "10.20.0.7", None)])
    (a_line,) = a.lines
    label, random, secret = a_line.split()
    junk = [
        bytes(range(256)).replace(b"\n", b"") + b"\xff\xfe\x00",  # binary junk
        ("CLIENT_RANDOM %s %s" % (random, secret[:-1])).encode(),  # odd length secret
        ("CLIENT_RANDOM %s %s" % (random[:-2], secret)).encode(),  # 31-byte random
        ("CLIENT_RANDOM %s %s" % (random, secret[:64])).encode(),  # 32-byte master secret
        ("CLIENT_RANDOM %szz %s" % (random[:-2], secret)).encode(),  # non-hex random
        ("CLIENT_RANDOM %s %sgg" % (random, secret[:-2])).encode(),  # non-hex secret
        ("CLIENT_RANDOM %s" % random).encode(),  # missing field
        ("CLIENT_RANDOM %s %s extra" % (random, secret)).encode(),  # extra field
        b"SERVER_RANDOM " + random.encode() + b" " + secret.encode(),  # unknown label
        b"CLIENT_RANDOM " + b"a" * 600,  # overlong
        b"# a comment",
        b"",
    ]
    valid_upper = ("%s %s %s" % (label, random.upper(), secret.upper())).encode()
    crlf = b"".join(l.encode() + b"\r\n" for l in b.lines)
    half = d.lines[0].encode()
    # The last line is cut halfway through its secret: the file ends without a newline.
    raw = b"\n".join(junk[:6]) + b"\n" + valid_upper + b"\n" + crlf + b"\n".join(junk[6:]) + \
        b"\n" + b"".join(l.encode() + b"\n" for l in d.lines[1:]) + half[:len(half) - 40]
    r = replay(binary, pcap, c.keylog("garbage.keylog", [], raw), c.work, "sensor", metrics=True)
    # Connection c: its first line (the one cut) is SERVER_HANDSHAKE_TRAFFIC_SECRET, the others
    # are there; the server's handshake records wait for a key that never comes.
    check_tls(p, r, attempts=3, decrypted=2, waited=1, parked=1, no_keys=1)
    check_ledger(p, r, OK3, a, port=41001)
    check_ledger(p, r, OK3, b, port=41002)
    p.expect("ledger lines (all)", len(r.ledger), 6)
    m = r.metrics
    malformed = {k.split('"')[1]: int(v) for k, v in m.items()
                 if k.startswith("bucketwatch_tls_keylog_malformed_lines_total{")}
    p.expect("malformed key log lines by reason", malformed, {
        "unknown_label": 2,  # SERVER_RANDOM, and the binary junk's first field
        "missing_field": 1, "extra_field": 1, "bad_random_length": 1, "bad_secret_length": 3,
        "bad_hex": 2, "overlong": 1})
    # Valid: a's upper-case line, b's five (CRLF), c's four after its cut first one.
    p.expect("bucketwatch_tls_keys_loaded_total", m.get("bucketwatch_tls_keys_loaded_total"),
             1.0 + 5 + 4)
    # Lines read: the junk (less the overlong one, counted apart), the valid ones, the half line.
    p.expect("bucketwatch_tls_keylog_lines_total", m.get("bucketwatch_tls_keylog_lines_total"),
             float(len(junk) - 1 + 1 + 5 + 4 + 1))


def snaplen(version, size):
    def run(binary, c, p):
        s = c.session(version)
        full = c.capture(version, [(s, PORT, None, None)])
        pcap = os.path.join(c.work, "cut.pcap")
        subprocess.run(["editcap", "-s", str(size), full, pcap], check=True, capture_output=True)
        r = replay(binary, pcap, s.keylog, c.work, "sensor")
        p.expect("reassembly.gaps > 0", r.stats["reassembly"]["gaps"] > 0, True)
        if size < 300:
            # The ClientHello (and every frame with data) is cut: no client random to look up,
            # so no attempt; the connection is TLS without a name, as without a key log.
            check_tls(p, r, attempts=0, decrypted=0)
            p.expect("app.tls_flows", r.stats["app"]["tls_flows"], 1)
            p.expect("app.tls_client_hellos", r.stats["app"]["tls_client_hellos"], 0)
            check_ledger(p, r, [])
            f = flow_of(r, PORT)
            p.expect("flow app_layer", f and field(f, "flow.app_layer"), "tls")
            p.expect("flow server_name", f and field(f, "flow.server_name"), None)
            return
        # 1300: the handshake (< 900 bytes a frame) and the first answer (1233) fit; each of the
        # object's four full segments (1502) is cut. The server direction stops at its first
        # gap: the last answer (1002 bytes, intact) is never decrypted; requests still are.
        check_tls(p, r, attempts=1, decrypted=1, gap=1)
        check_ledger(p, r, [("list-a", 200), ("object", None), ("list-b", None)], s)
        check_flow(p, r, PORT, http_requests=3, gaps=(0, 4))
        p.expect("http.responses", r.stats["http"]["responses"], 1)
    return run


def loss(version, direction):
    def run(binary, c, p):
        s = c.session(version)
        if direction == "server":
            drop = lambda label, index: label == "response object" and index == 2  # noqa: E731
        else:
            drop = lambda label, index: label == "request object"  # noqa: E731
        pcap = c.capture(version, [(s, PORT, None, drop)])
        r = replay(binary, pcap, s.keylog, c.work, "sensor")
        check_tls(p, r, attempts=1, decrypted=1, gap=1)
        p.expect("reassembly.gaps", r.stats["reassembly"]["gaps"], 1)
        if direction == "server":
            # The object's record is incomplete, and nothing after it in that direction is read.
            check_ledger(p, r, [("list-a", 200), ("object", None), ("list-b", None)], s)
            check_flow(p, r, PORT, http_requests=3, gaps=(0, 1))
            p.expect("http.responses", r.stats["http"]["responses"], 1)
        else:
            # The client direction stops at the hole: the third request (captured whole) is not
            # read either; the server's answers still are, and match no request.
            check_ledger(p, r, [("list-a", 200)], s)
            check_flow(p, r, PORT, http_requests=1, gaps=(1, 0))
            p.expect("http.responses", r.stats["http"]["responses"], 3)
            p.expect("http.errors.unmatched_response",
                     r.stats["http"]["errors"]["unmatched_response"], 2)
    return run


CASES = {
    "control_tls12": control("tls12"),
    "control_tls13": control("tls13"),
    "wrong_keys_tls12": wrong_keys("tls12"),
    "wrong_keys_tls13": wrong_keys("tls13"),
    "wrong_app_keys_tls13": wrong_keys("tls13", app_only=True),
    "no_matching_key": no_matching_key,
    "garbage_keylog": garbage_keylog,
    "snaplen_200_tls12": snaplen("tls12", 200),
    "snaplen_200_tls13": snaplen("tls13", 200),
    "snaplen_cut_tls12": snaplen("tls12", 1300),
    "snaplen_cut_tls13": snaplen("tls13", 1300),
    "loss_server_tls12": loss("tls12", "server"),
    "loss_server_tls13": loss("tls13", "server"),
    "loss_client_tls12": loss("tls12", "client"),
    "loss_client_tls13": loss("tls13", "client"),
}


def main():
    if sys.argv[1:2] == ["--list"]:
        print("\n".join(CASES))
        return 0
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work, case = sys.argv[1:]
    started = time.time()
    c = Case(os.path.join(os.path.abspath(work), case))
    p = Problems()
    CASES[case](binary, c, p)
    if p:
        print("evasion.tls_%s FAILED (work files in %s)" % (case, c.work))
        for line in p:
            print("  " + line)
        return 1
    print("evasion.tls_%s: ok in %.1f s" % (case, time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
