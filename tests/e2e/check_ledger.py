#!/usr/bin/env python3
"""Checks a bucketwatch ledger against an e2e manifest.

    check_ledger.py EXPECTED.jsonl LEDGER.jsonl [--ordered] [--min-recall F] [--ignore FIELD]...

Each manifest line is one request a scenario sent; each ledger line is one request the sensor
saw (ECS fields, flat "storage.bucket" keys or nested {"storage": {"bucket": ...}} objects).
A ledger line matches a manifest line when every field the manifest line asserts is equal:

    manifest        ledger
    method          http.request.method
    provider        storage.provider
    account         storage.account
    bucket          storage.bucket
    key             storage.key
    operation       storage.operation
    auth            storage.auth.class
    auth_scheme     storage.auth.scheme          (case-insensitive)
    access_key_id   storage.auth.access_key_id
    status          http.response.status_code
    error_code      storage.error_code
    list_keys       storage.list.keys            (a count; a list is compared by its length)
    list_truncated  storage.list.truncated
    tls_decrypted   tls.decrypted                (false, null and absent are the same: plaintext)
    tls_established tls.established
    tls_version     tls.version                  ("1.2", "1.3")
    tls_cipher      tls.cipher                   (IANA name, case-insensitive)
    sni             tls.client.server_name       (case-insensitive)

A manifest field that is absent is not asserted; null asserts that the ledger has no value
(absent, null, "" or, for list_keys, -1). Other manifest fields (path, query, host, client, ...)
serve check_capture.py and are ignored here.

Matching is a multiset, first fit in manifest order, over the ledger sorted by @timestamp (stable).
--ordered also requires that on each connection (source ip/port, destination ip/port) the matched
manifest lines come in the order the scenario sent them (pipelining, keep-alive).
Without --min-recall every manifest line must be matched and every ledger line must match.
With --min-recall F (lossy replays) at least F of the manifest lines must be matched, and still
no ledger line may match nothing. Prints a readable diff; exit 0 on success, 1 on a mismatch,
2 on unreadable input. Python standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any

FIELD_MAP = {
    "method": "http.request.method",
    "provider": "storage.provider",
    "account": "storage.account",
    "bucket": "storage.bucket",
    "key": "storage.key",
    "operation": "storage.operation",
    "auth": "storage.auth.class",
    "auth_scheme": "storage.auth.scheme",
    "access_key_id": "storage.auth.access_key_id",
    "status": "http.response.status_code",
    "error_code": "storage.error_code",
    "list_keys": "storage.list.keys",
    "list_truncated": "storage.list.truncated",
    # Requests decrypted from TLS with a key log (issue 19).
    "tls_decrypted": "tls.decrypted",
    "tls_established": "tls.established",
    "tls_version": "tls.version",
    "tls_cipher": "tls.cipher",
    "sni": "tls.client.server_name",
}
CASE_INSENSITIVE = {"auth_scheme", "method", "tls_cipher", "sni"}
# A plaintext request has no TLS fields at all: "not decrypted" is false, null or absent alike.
ABSENT_IS_FALSE = {"tls_decrypted"}
MAX_DETAILED = 25  # missing lines explained field by field; the rest are counted
_MISSING = object()


def get_field(doc: dict, dotted: str) -> Any:
    """Reads "a.b.c" from a flat key, a nested object, or any mix of the two."""
    if dotted in doc:
        return doc[dotted]
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in doc and isinstance(doc[head], dict):
            return get_field(doc[head], ".".join(parts[i:]))
    return _MISSING


def normalise(field: str, value: Any) -> Any:
    if field in ABSENT_IS_FALSE:
        return value is True or (isinstance(value, str) and value.lower() == "true")
    if value is _MISSING or value is None or value == "":
        return None
    if field == "tls_version":
        return str(value)
    if field == "list_keys":
        if isinstance(value, list):
            return len(value)
        if isinstance(value, (int, float)) and value < 0:
            return None
        return int(value)
    if field == "status":
        return int(value)
    if field in CASE_INSENSITIVE and isinstance(value, str):
        return value.lower()
    return value


def differences(exp: dict, led: dict, ignore: set[str]) -> list[str]:
    diffs = []
    for field, dotted in FIELD_MAP.items():
        if field not in exp or field in ignore:
            continue
        want = normalise(field, exp[field])
        got = normalise(field, get_field(led, dotted))
        if want != got:
            diffs.append(f"{dotted}: ledger {got!r}, expected {want!r}")
    return diffs


def connection(led: dict) -> tuple:
    fields = ("source.ip", "source.port", "destination.ip", "destination.port")
    return tuple(None if (v := get_field(led, f)) is _MISSING else v for f in fields)


def describe_exp(e: dict) -> str:
    parts = [f"#{e.get('seq', '?')}", str(e.get("method", "")), str(e.get("operation", ""))]
    target = "/".join(str(x) for x in (e.get("account"), e.get("bucket"), e.get("key")) if x)
    parts.append(target or "(account)")
    parts.append(f"auth={e.get('auth')}")
    parts.append(f"status={e.get('status')}")
    if e.get("error_code"):
        parts.append(f"error={e['error_code']}")
    if e.get("list_keys") is not None:
        parts.append(f"keys={e['list_keys']}")
    if e.get("tls_decrypted"):
        parts.append(f"tls={e.get('tls_version')}/{e.get('tls_cipher')} sni={e.get('sni')}")
    return " ".join(parts)


def describe_led(i: int, d: dict) -> str:
    def g(f):
        v = get_field(d, f)
        return None if v is _MISSING else v
    target = "/".join(str(x) for x in (g("storage.account"), g("storage.bucket"), g("storage.key")) if x)
    return (f"ledger line {i + 1}: {g('http.request.method')} {g('storage.operation')} {target or '(account)'} "
            f"provider={g('storage.provider')} auth={g('storage.auth.class')} "
            f"status={g('http.response.status_code')} error={g('storage.error_code')} "
            f"keys={g('storage.list.keys')} "
            + (f"tls={g('tls.version')}/{g('tls.cipher')} sni={g('tls.client.server_name')} " if g("tls.decrypted") else "")
            + f"conn={':'.join(str(x) for x in connection(d))}")


def load_jsonl(path: str, what: str) -> list[dict]:
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{what} {path}:{n}: not JSON: {e}") from e
            if not isinstance(doc, dict):
                raise ValueError(f"{what} {path}:{n}: not a JSON object")
            out.append(doc)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("ledger")
    ap.add_argument("--ordered", action="store_true", help="require manifest order on each connection")
    ap.add_argument("--min-recall", type=float, help="fraction of manifest lines that must be matched")
    ap.add_argument("--ignore", action="append", default=[], choices=sorted(FIELD_MAP),
                    help="do not compare this manifest field (repeatable)")
    args = ap.parse_args()
    if args.min_recall is not None and not 0.0 <= args.min_recall <= 1.0:
        ap.error("--min-recall must be within [0, 1]")
    try:
        expected = load_jsonl(args.expected, "manifest")
        ledger = load_jsonl(args.ledger, "ledger")
    except (OSError, ValueError) as e:
        print(f"check_ledger: {e}", file=sys.stderr)
        return 2
    ignore = set(args.ignore)

    # Sort by time so that lines written by several workers come back in wire order; keep file
    # order for equal or missing timestamps.
    order = sorted(range(len(ledger)), key=lambda i: (str(get_field(ledger[i], "@timestamp")), i))
    assigned: dict[int, int] = {}  # ledger index -> manifest index
    used = [False] * len(expected)
    for li in order:
        for mi, exp in enumerate(expected):
            if not used[mi] and not differences(exp, ledger[li], ignore):
                used[mi] = True
                assigned[li] = mi
                break
    unmatched_ledger = [i for i in order if i not in assigned]
    missing = [mi for mi, u in enumerate(used) if not u]

    order_errors = []
    if args.ordered:
        per_conn: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for li in order:
            if li in assigned:
                per_conn[connection(ledger[li])].append((li, assigned[li]))
        for conn, pairs in per_conn.items():
            for (la, ma), (lb, mb) in zip(pairs, pairs[1:]):
                if mb < ma:
                    order_errors.append(f"connection {':'.join(str(x) for x in conn)}: "
                                        f"{describe_exp(expected[mb])} logged after {describe_exp(expected[ma])}")

    matched = len(expected) - len(missing)
    recall = matched / len(expected) if expected else 1.0
    if args.min_recall is None:
        ok = not missing and not unmatched_ledger and not order_errors
    else:
        ok = recall >= args.min_recall and not unmatched_ledger and not order_errors

    status = "ok" if ok else "MISMATCH"
    print(f"check_ledger: {args.ledger}: {status}: {matched}/{len(expected)} expected requests found "
          f"(recall {recall:.3f}), {len(ledger)} ledger lines, {len(unmatched_ledger)} match nothing")
    if missing and (not ok or args.min_recall is not None):
        for n, mi in enumerate(missing):
            if n == MAX_DETAILED:
                print(f"  ... and {len(missing) - n} more missing")
                break
            exp = expected[mi]
            print(f"  - missing from the ledger: {describe_exp(exp)}")
            candidates = [i for i in unmatched_ledger] or list(range(len(ledger)))
            if candidates:
                best = min(candidates, key=lambda i: len(differences(exp, ledger[i], ignore)))
                print(f"      nearest {describe_led(best, ledger[best])}")
                for d in differences(exp, ledger[best], ignore):
                    print(f"        {d}")
    for li in unmatched_ledger:
        print(f"  + matches nothing expected: {describe_led(li, ledger[li])}")
    for err in order_errors:
        print(f"  ! out of order: {err}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
