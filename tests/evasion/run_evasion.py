#!/usr/bin/env python3
"""Runs one evasion case: writes its capture (make_evasion.py), replays it through the sensor,
and compares the ledger and the anomaly counters with tests/evasion/expected/<case>.json.

  run_evasion.py BUCKETWATCH WORKDIR CASE [--update]

Counters come from two places: --stats-json (decode drops, reassembly, app, ledger) and the
Prometheus exposition the sensor serves while it lingers after the replay (HTTP parse errors by
reason, which the stats JSON does not carry). --update rewrites the expected file from this
run; review the diff before committing it.

Expected file:
  ledger: one object per ledger line, in order; keys are dotted paths into the line, a null
          value means the field must be absent, and a string longer than 160 characters is
          written and compared as {"len": N, "prefix": P, "sha256": H}.
  stats:  dotted path into the stats JSON -> value; "decode.drops" is compared as a whole.
  http_parse_errors: reason -> count; every reason not listed must be 0.
  metrics: other exposition samples ("name" or 'name{label="v"}') -> value.
"""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import make_evasion  # noqa: E402

LEDGER_FIELDS = [
    "http.request.method", "http.response.status_code", "url.domain", "url.path", "url.query",
    "storage.provider", "storage.account", "storage.bucket", "storage.key", "storage.operation",
    "storage.auth.class", "storage.outcome", "storage.error_code", "storage.list.keys",
    "storage.missing_bytes",
]
STATS_FIELDS = [
    "decode.drops", "packets.tcp", "flows.created", "reassembly.segments",
    "reassembly.out_of_order_segments", "reassembly.retransmissions", "reassembly.overlaps",
    "reassembly.overlap_conflicts", "reassembly.retransmission_conflicts", "reassembly.gaps", "reassembly.out_of_window",
    "reassembly.weak_segments", "reassembly.weak_replaced", "reassembly.weak_used",
    "reassembly.weak_discarded", "reassembly.weak_controls_ignored",
    "app.http_flows", "app.storage_requests", "app.non_storage_http",
    "app.object_digest_matches", "app.object_digest_mismatches", "ledger.lines",
]
METRIC_FIELDS = [
    "bucketwatch_http_requests_total", "bucketwatch_http_responses_total",
    "bucketwatch_http_transactions_total", "bucketwatch_http_resyncs_total",
    "bucketwatch_reassembly_retransmission_conflicts_total",
]
LONG = 160  # strings longer than this are stored as length + digest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return 0, ""


def dig(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def ledger_path(line, path):
    """Ledger lines nest ECS fields ({"storage": {"auth": {"class": ...}}}); some writers flatten
    them. Accept both."""
    if path in line:
        return line[path]
    return dig(line, path)


def parse_exposition(text):
    samples = {}
    for raw in text.splitlines():
        if not raw or raw.startswith("#"):
            continue
        m = re.match(r"^(\S+?(?:\{.*\})?)\s+(\S+)$", raw)
        if m:
            samples[m.group(1)] = float(m.group(2))
    return samples


class EarlyExit(Exception):
    pass


def run_sensor(binary, pcap, work):
    """The replay; a port taken between free_port() and the sensor's bind is retried."""
    for attempt in range(3):
        try:
            return run_sensor_once(binary, pcap, work)
        except EarlyExit as e:
            if attempt == 2:
                raise SystemExit(str(e))


def run_sensor_once(binary, pcap, work):
    ledger = os.path.join(work, "ledger.jsonl")
    stats = os.path.join(work, "stats.json")
    for p in (ledger, stats):
        if os.path.exists(p):
            os.remove(p)
    port = free_port()
    log = open(os.path.join(work, "sensor.log"), "w")
    proc = subprocess.Popen(
        [binary, "--read", pcap, "--ledger", ledger, "--stats-json", stats, "-q",
         "--metrics-listen", "127.0.0.1:%d" % port, "--linger", "60"],
        stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    exposition = None
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                raise EarlyExit("sensor exited early (rc %s); see %s" % (proc.returncode,
                                                                          log.name))
            status, body = http_get(url + "/healthz")
            if status == 200 and "input finished" in body:
                status, exposition = http_get(url + "/metrics")
                if status != 200:
                    raise SystemExit("GET /metrics answered %s" % status)
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the sensor did not finish the replay within 30 s")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    if proc.returncode != 0:
        raise SystemExit("sensor exit code %d; see %s" % (proc.returncode, log.name))
    lines = [json.loads(l) for l in open(ledger)] if os.path.exists(ledger) else []
    return lines, json.load(open(stats)), parse_exposition(exposition)


def summarise(value):
    if isinstance(value, str) and len(value) > LONG:
        return {"len": len(value), "prefix": value[:24],
                "sha256": hashlib.sha256(value.encode()).hexdigest()}
    return value


def observe(lines, stats, samples):
    ledger = []
    for line in lines:
        ledger.append({f: summarise(ledger_path(line, f)) for f in LEDGER_FIELDS})
    errors = {}
    for key, value in samples.items():
        m = re.match(r'^bucketwatch_http_parse_errors_total\{reason="([^"]+)"\}$', key)
        if m and value:
            errors[m.group(1)] = int(value)
    return {
        "ledger": ledger,
        "stats": {f: dig(stats, f) for f in STATS_FIELDS},
        "http_parse_errors": errors,
        "metrics": {m: int(samples.get(m, 0)) for m in METRIC_FIELDS},
    }


def compare(expected, got):
    problems = []
    want_ledger, got_ledger = expected.get("ledger", []), got["ledger"]
    if len(want_ledger) != len(got_ledger):
        problems.append("ledger: expected %d line(s), got %d" % (len(want_ledger),
                                                                  len(got_ledger)))
    for i, (w, g) in enumerate(zip(want_ledger, got_ledger)):
        for field, value in w.items():
            if value != g.get(field):  # long strings are compared by length and digest
                problems.append("ledger[%d] %s: expected %s, got %s" % (
                    i, field, json.dumps(value), json.dumps(g.get(field))))
    for path, value in expected.get("stats", {}).items():
        actual = got["stats"].get(path)
        if value != actual:
            problems.append("stats %s: expected %s, got %s" % (path, json.dumps(value),
                                                              json.dumps(actual)))
    want_errors = expected.get("http_parse_errors", {})
    for reason in sorted(set(want_errors) | set(got["http_parse_errors"])):
        w, g = want_errors.get(reason, 0), got["http_parse_errors"].get(reason, 0)
        if w != g:
            problems.append("http parse error %s: expected %d, got %d" % (reason, w, g))
    for name, value in expected.get("metrics", {}).items():
        if got["metrics"].get(name) != value:
            problems.append("metric %s: expected %s, got %s" % (name, value,
                                                               got["metrics"].get(name)))
    return problems


def run_case(group, write_case, expected_dir, extra_problems=None, doc=None, argv=None):
    """The command line both case groups share: BUCKETWATCH WORKDIR CASE [--update]. Writes the
    case's capture with write_case(case, path), replays it and compares with
    expected_dir/<case>.json (or rewrites that file with --update); extra_problems(pcap, got)
    may add checks of its own."""
    argv = sys.argv[1:] if argv is None else argv
    args = [a for a in argv if not a.startswith("--")]
    update = "--update" in argv
    if len(args) != 3:
        print(doc or __doc__, file=sys.stderr)
        return 2
    binary, work, case = args
    work = os.path.join(work, case)
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, case + ".pcap")
    write_case(case, pcap)
    started = time.time()
    got = observe(*run_sensor(binary, pcap, work))
    exp_path = os.path.join(expected_dir, case + ".json")
    if update:
        old = json.load(open(exp_path)) if os.path.exists(exp_path) else {}
        out = {"case": case, "server_sees": old.get("server_sees", ""),
               "verdict": old.get("verdict", ""),
               **{k: old[k] for k in ("not_storage",) if k in old}, **got}
        os.makedirs(expected_dir, exist_ok=True)
        with open(exp_path, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print("%s: wrote %s" % (case, exp_path))
        return 0
    expected = json.load(open(exp_path))
    problems = compare(expected, got)
    if extra_problems:
        problems += extra_problems(pcap, got)
    if problems:
        print("%s.%s FAILED (%s)" % (group, case, expected.get("server_sees", "")))
        for p in problems:
            print("  " + p)
        print("observed (for --update review):\n" + json.dumps(got, indent=2))
        return 1
    print("%s.%s: ok in %.1f s: %s; sensor: %s" % (group, case, time.time() - started,
                                                  expected.get("server_sees", ""),
                                                  expected.get("verdict", "")))
    return 0


def main():
    return run_case("evasion", make_evasion.write_case, os.path.join(HERE, "expected"))


if __name__ == "__main__":
    sys.exit(main())
