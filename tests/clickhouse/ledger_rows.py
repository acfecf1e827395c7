"""The central ledger's rows computed from ledger lines in Python, independently of the C++ row
formatter (sensor/clickhouse/ledger_row.cc), from deploy/clickhouse/schema.sql's column comments;
and the rows ClickHouse holds, read back in the same form for comparison."""
import calendar
import datetime
import hashlib
import json
import re

CHAIN_RE = re.compile(rb',"log":\{"prev_sha256":"[0-9a-f]{64}"\}\}$')

COLUMNS = ["date", "time", "ts_ns", "duration_ns", "observer_name", "observer_hostname",
           "source_ip", "source_port", "destination_ip", "destination_port", "community_id",
           "http_method", "http_request_bytes", "http_status", "http_response_bytes",
           "http_response_body_bytes", "has_body_bytes", "url_domain", "url_path", "url_query",
           "user_agent", "tls_decrypted", "tls_version", "tls_cipher", "tls_server_name",
           "provider", "account", "bucket", "object_key", "operation", "auth_class",
           "auth_scheme", "access_key_id", "outcome", "error_code", "range_request",
           "list_keys", "list_truncated", "sample_keys", "missing_bytes", "line_sha256"]
INT_COLUMNS = {"time", "ts_ns", "duration_ns", "source_port", "destination_port",
               "http_request_bytes", "http_status", "http_response_bytes",
               "http_response_body_bytes", "has_body_bytes", "tls_decrypted", "range_request",
               "list_keys", "list_truncated", "missing_bytes"}


def line_hash(line):
    """hex SHA-256 of the ledger line (bytes, no newline) without its hash-chain field."""
    stripped = CHAIN_RE.sub(b"}", line)
    return hashlib.sha256(stripped).hexdigest()


def parse_ts_ns(text):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", text)
    assert m, text
    secs = calendar.timegm(datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").timetuple())
    frac = (m.group(2) or "").ljust(9, "0")
    return secs * 1_000_000_000 + int(frac)


def expected_row(line):
    j = json.loads(line)
    g = lambda *path, default="": _get(j, path, default)
    ts = parse_ts_ns(j["@timestamp"])
    response = g("http", "response", default=None)
    tls_dec = bool(g("tls", "decrypted", default=False))
    lst = g("storage", "list", default=None)
    return {
        "date": datetime.datetime.utcfromtimestamp(ts // 10**9).strftime("%Y-%m-%d"),
        "time": ts // 10**9,
        "ts_ns": ts,
        "duration_ns": g("event", "duration", default=0),
        "observer_name": g("observer", "name"),
        "observer_hostname": g("observer", "hostname"),
        "source_ip": g("source", "ip"),
        "source_port": g("source", "port", default=0),
        "destination_ip": g("destination", "ip"),
        "destination_port": g("destination", "port", default=0),
        "community_id": g("network", "community_id"),
        "http_method": g("http", "request", "method"),
        "http_request_bytes": g("http", "request", "bytes", default=0),
        "http_status": g("http", "response", "status_code", default=0),
        "http_response_bytes": g("http", "response", "bytes", default=0),
        "http_response_body_bytes": g("http", "response", "body", "bytes", default=0),
        "has_body_bytes": int(response is not None and "bytes" in response.get("body", {})),
        "url_domain": g("url", "domain"),
        "url_path": g("url", "path"),
        "url_query": g("url", "query"),
        "user_agent": g("user_agent", "original"),
        "tls_decrypted": int(tls_dec),
        "tls_version": g("tls", "version") if tls_dec else "",
        "tls_cipher": g("tls", "cipher") if tls_dec else "",
        "tls_server_name": g("tls", "client", "server_name"),
        "provider": g("storage", "provider"),
        "account": g("storage", "account"),
        "bucket": g("storage", "bucket"),
        "object_key": g("storage", "key"),
        "operation": g("storage", "operation"),
        "auth_class": g("storage", "auth", "class"),
        "auth_scheme": g("storage", "auth", "scheme"),
        "access_key_id": g("storage", "auth", "access_key_id"),
        "outcome": g("storage", "outcome"),
        "error_code": g("storage", "error_code"),
        "range_request": int(bool(g("storage", "range", default=False))),
        "list_keys": lst["keys"] if lst is not None else -1,
        "list_truncated": int(bool(lst.get("truncated", False))) if lst is not None else 0,
        "sample_keys": lst.get("sample_keys", []) if lst is not None else [],
        "missing_bytes": int(bool(g("storage", "missing_bytes", default=False))),
        "line_sha256": line_hash(line),
    }


def _get(j, path, default):
    for p in path:
        if not isinstance(j, dict) or p not in j:
            return default
        j = j[p]
    return j


def normalise(row):
    """A row as ClickHouse's JSONEachRow output gives it (64-bit integers quoted, DateTime as
    text) into the form expected_row() computes."""
    out = {}
    for c in COLUMNS:
        v = row[c]
        if c == "time":
            v = calendar.timegm(datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S").timetuple())
        elif c in INT_COLUMNS:
            v = int(v)
        out[c] = v
    return out


def read_ledger(path):
    with open(path, "rb") as f:
        return [l.rstrip(b"\n") for l in f if l.strip()]


def rows_final(ch, table="bucketwatch.ledger"):
    text = ch.query(f"SELECT * FROM {table} FINAL ORDER BY line_sha256 FORMAT JSONEachRow")
    return [normalise(json.loads(l)) for l in text.splitlines() if l.strip()]


def compare(expected, actual, check, what):
    """Every column of every row; `expected` and `actual` keyed by line_sha256."""
    check(len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}")
    mismatches = 0
    for h, row in expected.items():
        got = actual.get(h)
        if got is None:
            check(False, f"{what}: no row for line {h}")
            mismatches += 1
        else:
            for c in COLUMNS:
                if got[c] != row[c]:
                    check(False, f"{what}: line {h[:12]} column {c}: {got[c]!r} != {row[c]!r}")
                    mismatches += 1
        if mismatches > 20:
            break
