"""Issue 19: HTTPS storage requests decrypted with key logs, against the same requests in plaintext.

Every tls_decrypt_* scenario runs its clients twice, with the same bytes of intention:

  plaintext   against s3rver A directly (http://), captured;
  TLS         against HAProxy (tls_terminator.py) terminating TLS in front of s3rver B, an
              identical twin (same buckets, same seed), whose port is not captured: the sensor
              sees only TLS there.

so the manifest has two halves that must be equal on every field the ledger carries except the
tls.* ones (finish() checks this and writes plaintext.expected.jsonl and decrypted.expected.jsonl).
TLS lines assert tls_decrypted, tls_established, tls_version, tls_cipher and sni; plaintext lines
assert tls_decrypted false and no tls_version. With --capture-with bucketwatch the sensor runs
with --tls-keylog for each key log (followed while it is written), check_ledger.py must find both
halves, and finish() also compares the ledger's plaintext lines with its decrypted ones
(ledger-comparison.txt). Always: check_capture.py decrypts the capture with tshark and the same
key logs and checks both halves, and finish() checks every TLS handshake in the capture (version,
suite, encrypt-then-MAC, resumption, KeyUpdates) against what the scenario forced.

Clients (each on its own bucket, so their listings do not depend on each other):
  curl    anonymous, path style on s3.amazonaws.com (--resolve: SNI s3.amazonaws.com, provider s3):
          ListObjectsV2 (max-keys 2, truncated), GetObject, HeadObject, NoSuchKey, PutObject
  aws     /usr/bin/aws, SigV4, endpoint https://127.0.0.1 (no SNI): s3api list-objects-v2
          --max-keys 2, s3 cp up (PutObject)
  node    clients/s3_sdk.mjs (@aws-sdk/client-s3): the 13 calls of s3_sdk_js (signed and anonymous)
  boto3   clients/s3_boto3.py (Debian's python3-boto3): 5 signed calls and 1 anonymous
  raw     one connection of raw HTTP/1.1 (openssl s_client for TLS, a socket for plaintext):
          ListObjectsV2, GetObject, HeadObject, NoSuchKey, PutObject, with KeyUpdates or a
          resumed session between them, or a request sent as TLS 1.3 0-RTT data
  azure   clients/azure_blob.mjs (@azure/storage-blob) against Azurite itself, plaintext and
          over Azurite's own HTTPS (node --tls-keylog): the anonymous and SharedKey calls of
          azure_public_anonymous and azure_sdk

TLS features a scenario intends are checked in the capture by tshark with the key logs, and the
scenario fails when one did not happen: HelloRetryRequests (tls_case "hrr"), and 0-RTT data
accepted or rejected by the server (tls_case "early_data"; see check_tls_features).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import E2E_DIR, LOOPBACK_V4, Harness, ScenarioError, clean_env, s3_list_count
from servers import (AZURITE_ACCOUNT, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, Endpoint, seed_s3_objects,
                     start_azurite, start_s3rver)
from sclient import PlainConn, SClientConn, request_bytes
from tls_terminator import SUITES, Listener, TlsEndpoint, keylog_lines, make_cert, start_haproxy

sys.path.insert(0, str(E2E_DIR))
import check_capture  # noqa: E402
import check_ledger  # noqa: E402

AWS = "/usr/bin/aws"
SDK = E2E_DIR / "clients" / "s3_sdk.mjs"
BOTO3 = E2E_DIR / "clients" / "s3_boto3.py"
AWS_NAME = "s3.amazonaws.com"

BUCKETS = {
    "curl": ("curl-data", {"reports/a.csv": b"id,v\n" + b"1,2\n" * 40, "reports/b.csv": b"id,v\n3,4\n",
                           "index.html": b"<html>curl-data</html>\n"}),
    "aws": ("cli-data", {"logs/1.txt": b"one\n" * 10, "logs/2.txt": b"two\n" * 10, "logs/3.txt": b"three\n"}),
    "node": ("sdk-data", {"sdk/seed.bin": bytes(range(256)) * 4}),
    "boto3": ("boto-data", {"boto/seed.txt": b"seeded for boto3\n" * 8, "boto/other.txt": b"other\n"}),
    "raw": ("raw-data", {"obj/a.txt": b"raw a\n" * 20, "obj/b.txt": b"raw b\n", "obj/c.txt": b"raw c\n" * 3}),
}
TLS_FIELDS = ("tls_decrypted", "tls_established", "tls_version", "tls_cipher", "sni")
COMPARED = [f for f in check_ledger.FIELD_MAP if f not in TLS_FIELDS]


@dataclass
class Target:
    """Where one half of a scenario sends its requests."""
    name: str  # "plaintext" or "tls"
    port: int
    scheme: str
    tls: TlsEndpoint | None = None
    keylogs: dict[str, Path] = field(default_factory=dict)  # client -> its SSLKEYLOGFILE
    curl_args: list[str] = field(default_factory=list)  # more curl options for the TLS half

    def marks(self, sni: str | None) -> dict[str, Any]:
        if self.tls is None:
            return {"tls_decrypted": False, "tls_version": None}
        return {"tls_decrypted": True, "tls_established": True, "tls_version": self.tls.suite.version,
                "tls_cipher": self.tls.suite.iana, "sni": sni}

    @property
    def ip_base(self) -> str:  # SDK endpoints: by address, so no SNI
        return f"{self.scheme}://{LOOPBACK_V4}:{self.port}"


def start_twin_s3rvers(h: Harness, clients: list[str]) -> tuple[Endpoint, Endpoint]:
    """(captured plaintext s3rver, backend s3rver behind TLS), same buckets and objects."""
    buckets = [BUCKETS[c][0] for c in clients]
    plain = start_s3rver(h, buckets=buckets)
    backend = start_s3rver(h, buckets=buckets)
    h.capture_ports.remove(backend.port)  # the terminator's plaintext leg is not on the tap
    for ep in (plain, backend):
        for c in clients:
            bucket, objects = BUCKETS[c]
            seed_s3_objects(h, ep, bucket, objects)
    return plain, backend


# ------------------------------------------------------------------------------------- clients
def run_curl(h: Harness, t: Target) -> None:
    bucket, objects = BUCKETS["curl"]
    base = f"{t.scheme}://{AWS_NAME}:{t.port}/{bucket}"
    common = {"provider": "s3", "auth": "anonymous", "bucket": bucket, "client": "curl", "host": AWS_NAME,
              **t.marks(AWS_NAME)}
    kw: dict[str, Any] = {"resolve": f"{AWS_NAME}:{t.port}:{LOOPBACK_V4}"}
    if t.tls:
        kw["extra"] = ["--http1.1", "--cacert", str(t.tls.cert.cert), *t.curl_args]
    if "curl" in t.keylogs:
        kw["env"] = clean_env({"SSLKEYLOGFILE": str(t.keylogs["curl"])})
    h.curl_expect(f"{base}?list-type=2&max-keys=2", list_parser=s3_list_count, **kw,
                  expect={**common, "operation": "ListObjectsV2", "key": None, "status": 200, "error_code": None,
                          "list_keys": 2, "list_truncated": True})
    res = h.curl_expect(f"{base}/reports/a.csv", **kw,
                        expect={**common, "operation": "GetObject", "key": "reports/a.csv", "status": 200,
                                "error_code": None})
    h.check(res.body == objects["reports/a.csv"], "curl GetObject: body differs from the seeded object")
    h.curl_expect(f"{base}/index.html", method="HEAD", **kw,
                  expect={**common, "operation": "HeadObject", "key": "index.html", "status": 200})
    h.curl_expect(f"{base}/reports/missing.csv", **kw,
                  expect={**common, "operation": "GetObject", "key": "reports/missing.csv", "status": 404,
                          "error_code": "NoSuchKey"})
    h.curl_expect(f"{base}/uploads/new.txt", method="PUT", data=b"put anonymously over " + t.name.encode(),
                  headers={"Content-Type": "text/plain"}, **kw,
                  expect={**common, "operation": "PutObject", "key": "uploads/new.txt", "status": 200,
                          "error_code": None})


def run_aws(h: Harness, t: Target) -> None:
    bucket, _ = BUCKETS["aws"]
    cfg = h.work / "aws-config"
    cfg.write_text("[default]\nregion = us-east-1\n")
    env = clean_env({"AWS_ACCESS_KEY_ID": S3RVER_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3RVER_SECRET_KEY,
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(cfg),
                     "AWS_SHARED_CREDENTIALS_FILE": str(h.work / "aws-credentials-none"), "AWS_PAGER": ""},
                    unset=("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"))
    if "aws" in t.keylogs:
        env["SSLKEYLOGFILE"] = str(t.keylogs["aws"])
    tls_args = ["--ca-bundle", str(t.tls.cert.cert)] if t.tls else []
    signed = {"provider": "s3_compatible", "auth": "signed", "auth_scheme": "SigV4",
              "access_key_id": S3RVER_ACCESS_KEY, "bucket": bucket, "client": "aws", **t.marks(None)}

    def aws(*args: str):
        return h.run([AWS, "--endpoint-url", t.ip_base, *tls_args, *args], env=env, name="aws")

    doc = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket, "--max-keys", "2", "--no-paginate").stdout)
    h.check(len(doc.get("Contents", [])) == 2 and doc.get("IsTruncated") is True,
            f"aws list-objects-v2 --max-keys 2 answered {doc}")
    h.expect(**signed, method="GET", path=f"/{bucket}", query={"list-type": "2", "max-keys": "2"},
             operation="ListObjectsV2", key=None, status=200, error_code=None, list_keys=2, list_truncated=True)
    upload = h.work / "aws-upload.txt"
    upload.write_bytes(b"uploaded by aws s3 cp\n" * 4)
    aws("s3", "cp", str(upload), f"s3://{bucket}/up/aws.txt")
    h.expect(**signed, method="PUT", path=f"/{bucket}/up/aws.txt", operation="PutObject", key="up/aws.txt",
             status=200, error_code=None)


# (label, status, fields the client reported, manifest line) for s3_sdk.mjs's calls, as in s3_sdk_js.
def _node_plan(bucket: str) -> list[tuple[str, int, dict, dict]]:
    b, bl = f"/{bucket}", f"/{bucket}/"
    signed = {"auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY}
    anon = {"auth": "anonymous"}
    return [
        ("ListBuckets", 200, {}, {**signed, "method": "GET", "path": "/", "operation": "ListBuckets", "bucket": None,
                                  "key": None, "error_code": None}),
        ("HeadBucket", 200, {}, {**signed, "method": "HEAD", "path": bl, "operation": "HeadBucket", "key": None}),
        ("PutObject", 200, {}, {**signed, "method": "PUT", "path": f"{b}/sdk/upload-1.json", "operation": "PutObject",
                                "key": "sdk/upload-1.json", "error_code": None}),
        ("PutObject", 200, {}, {**signed, "method": "PUT", "path": f"{b}/sdk/upload 2.json", "operation": "PutObject",
                                "key": "sdk/upload 2.json", "error_code": None}),
        ("ListObjectsV2", 200, {"list_keys": 2, "truncated": True},
         {**signed, "method": "GET", "path": bl, "query": {"list-type": "2", "prefix": "sdk/", "max-keys": "2"},
          "operation": "ListObjectsV2", "key": None, "error_code": None, "list_keys": 2, "list_truncated": True}),
        ("ListObjectsV2", 200, {"list_keys": 1, "truncated": False},
         {**signed, "method": "GET", "path": bl,
          "query": {"list-type": "2", "prefix": "sdk/", "max-keys": "2", "continuation-token": None},
          "operation": "ListObjectsV2", "key": None, "error_code": None, "list_keys": 1, "list_truncated": False}),
        ("HeadObject", 200, {"length": 1024}, {**signed, "method": "HEAD", "path": f"{b}/sdk/seed.bin",
                                               "operation": "HeadObject", "key": "sdk/seed.bin"}),
        ("GetObject", 200, {"length": 1024}, {**signed, "method": "GET", "path": f"{b}/sdk/seed.bin",
                                              "operation": "GetObject", "key": "sdk/seed.bin", "error_code": None}),
        ("GetObjectRange", 206, {"length": 16}, {**signed, "method": "GET", "path": f"{b}/sdk/seed.bin",
                                                 "operation": "GetObject", "key": "sdk/seed.bin", "error_code": None,
                                                 "range": True}),
        ("GetObjectMissing", 404, {"error_code": "NoSuchKey"},
         {**signed, "method": "GET", "path": f"{b}/sdk/missing.bin", "operation": "GetObject",
          "key": "sdk/missing.bin", "error_code": "NoSuchKey"}),
        ("DeleteObject", 204, {}, {**signed, "method": "DELETE", "path": f"{b}/sdk/upload-1.json",
                                   "operation": "DeleteObject", "key": "sdk/upload-1.json", "error_code": None}),
        ("AnonymousListObjectsV2", 200, {"list_keys": 2, "truncated": False},
         {**anon, "method": "GET", "path": bl, "query": {"list-type": "2"}, "operation": "ListObjectsV2", "key": None,
          "error_code": None, "list_keys": 2, "list_truncated": False}),
        ("AnonymousGetObject", 200, {"length": 1024},
         {**anon, "method": "GET", "path": f"{b}/sdk/seed.bin", "operation": "GetObject", "key": "sdk/seed.bin",
          "error_code": None}),
    ]


def _check_calls(h: Harness, client: str, got: list[dict], plan: list[tuple[str, int, dict, dict]],
                 common: dict) -> None:
    labels = [g["label"] for g in got]
    h.check(labels == [p[0] for p in plan], f"{client} made calls {labels}")
    for g, (label, status, fields, line) in zip(got, plan):
        h.check(g["status"] == status, f"{client} {label}: status {g['status']}, intended {status}: {g}")
        for k, v in fields.items():
            h.check(g.get(k) == v, f"{client} {label}: {k}={g.get(k)!r}, intended {v!r}")
        h.expect(**{**common, **line, "status": status})


def run_node(h: Harness, t: Target) -> None:
    bucket, _ = BUCKETS["node"]
    env = clean_env({"NODE_EXTRA_CA_CERTS": str(t.tls.cert.cert)} if t.tls else None)
    node = ["node"] + ([f"--tls-keylog={t.keylogs['node']}"] if "node" in t.keylogs else [])
    cp = h.run([*node, str(SDK), "calls", t.ip_base, bucket], env=env, name="s3_sdk.mjs")
    got = [json.loads(x) for x in cp.stdout.decode().splitlines() if x.strip()]
    _check_calls(h, "aws-sdk-js", got, _node_plan(bucket),
                 {"provider": "s3_compatible", "client": "aws-sdk-js", "bucket": bucket, **t.marks(None)})


def run_boto3(h: Harness, t: Target) -> None:
    bucket, objects = BUCKETS["boto3"]
    env = clean_env({"SSLKEYLOGFILE": str(t.keylogs["boto3"])} if "boto3" in t.keylogs else None,
                    unset=("AWS_CA_BUNDLE", "AWS_PROFILE"))
    argv = ["/usr/bin/python3", str(BOTO3), t.ip_base, bucket] + (["--ca-bundle", str(t.tls.cert.cert)] if t.tls else [])
    got = [json.loads(x) for x in h.run(argv, env=env, name="s3_boto3.py").stdout.decode().splitlines() if x.strip()]
    b = f"/{bucket}"
    signed = {"auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY}
    seed_len = len(objects["boto/seed.txt"])
    plan = [
        ("ListObjectsV2", 200, {"list_keys": 2, "truncated": False},
         {**signed, "method": "GET", "path": b, "query": {"list-type": "2", "max-keys": "2"},
          "operation": "ListObjectsV2", "key": None, "error_code": None, "list_keys": 2, "list_truncated": False}),
        ("PutObject", 200, {}, {**signed, "method": "PUT", "path": f"{b}/boto/put.json", "operation": "PutObject",
                                "key": "boto/put.json", "error_code": None}),
        ("HeadObject", 200, {"length": seed_len}, {**signed, "method": "HEAD", "path": f"{b}/boto/seed.txt",
                                                   "operation": "HeadObject", "key": "boto/seed.txt"}),
        ("GetObject", 200, {"length": seed_len}, {**signed, "method": "GET", "path": f"{b}/boto/seed.txt",
                                                  "operation": "GetObject", "key": "boto/seed.txt",
                                                  "error_code": None}),
        ("GetObjectMissing", 404, {"error_code": "NoSuchKey"},
         {**signed, "method": "GET", "path": f"{b}/boto/missing.txt", "operation": "GetObject",
          "key": "boto/missing.txt", "error_code": "NoSuchKey"}),
        ("AnonymousGetObject", 200, {"length": seed_len},
         {"auth": "anonymous", "method": "GET", "path": f"{b}/boto/seed.txt", "operation": "GetObject",
          "key": "boto/seed.txt", "error_code": None}),
    ]
    _check_calls(h, "boto3", got, plan,
                 {"provider": "s3_compatible", "client": "boto3", "bucket": bucket, **t.marks(None)})


RUNNERS = {"curl": run_curl, "aws": run_aws, "node": run_node, "boto3": run_boto3}


def raw_request(t: Target, step: str) -> tuple[str, str, str, bytes]:
    """(method, path, Host, body) of the RAW_REQUESTS request `step` sent to `t`."""
    method, path, _, _, _ = RAW_REQUESTS[step]
    body = b"raw put over " + t.name.encode() if method == "PUT" else b""
    return method, f"/{BUCKETS['raw'][0]}{path}", f"{AWS_NAME}:{t.port}", body


def raw_session(h: Harness, t: Target, conn, steps: list[str]) -> None:
    """Raw HTTP/1.1 on one connection (s_client for TLS, a socket for plaintext). `steps` are
    request names from RAW_REQUESTS, "^name" for the request sent as TLS 1.3 0-RTT data when
    the connection opened (SClientConn early_data; plaintext: the first request), or "K"/"k" for
    a TLS 1.3 KeyUpdate (requested / not)."""
    bucket, objects = BUCKETS["raw"]
    common = {"provider": "s3", "bucket": bucket, "auth": "anonymous", "client": "openssl" if t.tls else "raw",
              "host": AWS_NAME, **t.marks(AWS_NAME)}
    try:
        for step in steps:
            if step in ("K", "k"):
                conn.key_update(step == "K")
                continue
            early = step.startswith("^")
            step = step.lstrip("^")
            method, path, status, line, check = RAW_REQUESTS[step]
            st, _, resp = (conn.early if early else conn.request)(*raw_request(t, step))
            h.check(st == status, f"raw {method} {path}: status {st}, intended {status}: {resp[:300]!r}")
            if check:
                check(h, resp, objects)
            h.expect(**common, **line, method=method, path=f"/{bucket}{path.split('?')[0]}", status=status)
    finally:
        conn.close()


def _check_list(h: Harness, body: bytes, _objects) -> None:
    count, truncated, _ = s3_list_count(body)
    h.check((count, truncated) == (2, True), f"raw ListObjectsV2: {count} keys, truncated={truncated}")


def _check_get(h: Harness, body: bytes, objects) -> None:
    h.check(body == objects["obj/a.txt"], "raw GetObject: body differs from the seeded object")


# name -> (method, path under the bucket, status, manifest fields, response check)
RAW_REQUESTS = {
    "list": ("GET", "?list-type=2&max-keys=2", 200,
             {"operation": "ListObjectsV2", "key": None, "query": {"list-type": "2", "max-keys": "2"},
              "error_code": None, "list_keys": 2, "list_truncated": True}, _check_list),
    "get": ("GET", "/obj/a.txt", 200, {"operation": "GetObject", "key": "obj/a.txt", "error_code": None}, _check_get),
    "head": ("HEAD", "/obj/b.txt", 200, {"operation": "HeadObject", "key": "obj/b.txt"}, None),
    "missing": ("GET", "/obj/none.txt", 404, {"operation": "GetObject", "key": "obj/none.txt",
                                              "error_code": "NoSuchKey"}, None),
    "put": ("PUT", "/obj/put.txt", 200, {"operation": "PutObject", "key": "obj/put.txt", "error_code": None}, None),
}


# ------------------------------------------------------------------------------------- scenarios
def run_suite(h: Harness, case: str, clients: list[str]) -> None:
    """A cipher suite case: HAProxy forced to SUITES[case], its key log from tune.ssl.keylog."""
    suite = SUITES[case]
    h.tls_case = {"suites": {case: suite}}
    plain, backend = start_twin_s3rvers(h, clients)
    keylog = h.add_keylog(h.work / "haproxy.keylog")
    (tls,) = start_haproxy(h, backend, [Listener(suite)], keylog=keylog)
    h.start_capture()
    for target in (Target("plaintext", plain.port, "http"), Target("tls", tls.port, "https", tls)):
        for c in clients:
            RUNNERS[c](h, target)
    h.notes.append(f"{case}: {suite.iana} (TLS {suite.version}), clients {', '.join(clients)}; "
                   f"{len(keylog_lines(keylog))} key log lines from HAProxy")


def run_keyupdate(h: Harness) -> None:
    """TLS 1.3 KeyUpdate in both directions on one connection, between requests."""
    suite = SUITES["tls13_aes256gcm"]
    h.tls_case = {"suites": {"tls13_aes256gcm": suite}, "key_updates": 5}
    plain, backend = start_twin_s3rvers(h, ["raw"])
    keylog = h.add_keylog(h.work / "haproxy.keylog")
    (tls,) = start_haproxy(h, backend, [Listener(suite)], keylog=keylog)
    h.start_capture()
    # K asks the server to answer with its own KeyUpdate, k does not: 3 from the client, 2 from
    # the server, and each request after one is under new keys.
    steps = ["list", "K", "get", "k", "head", "K", "missing", "put"]
    raw_session(h, Target("plaintext", plain.port, "http"), PlainConn(h, LOOPBACK_V4, plain.port), steps)
    raw_session(h, Target("tls", tls.port, "https", tls),
                SClientConn(h, tls.port, servername=AWS_NAME, cafile=tls.cert.cert), steps)


def run_resume(h: Harness) -> None:
    """Session resumption: TLS 1.2 by session ID and by ticket, TLS 1.3 by PSK ticket. Each is a
    full handshake (s_client -sess_out) then a resumed one (-sess_in) whose keys HAProxy logs anew
    (TLS 1.2: the same master secret under the new client random)."""
    s12, s13 = SUITES["tls12_rsa_aes128gcm"], SUITES["tls13_aes128gcm"]
    plain, backend = start_twin_s3rvers(h, ["raw"])
    keylog = h.add_keylog(h.work / "haproxy.keylog")
    by_id, by_ticket, tls13 = start_haproxy(
        h, backend, [Listener(s12, tickets=False), Listener(s12), Listener(s13)], keylog=keylog)
    h.tls_case = {"suites": {"tls12_rsa_aes128gcm": s12, "tls13_aes128gcm": s13},
                  "resumed_ports": {by_id.port: 1, by_ticket.port: 1, tls13.port: 1}}
    h.start_capture()
    plain_t = Target("plaintext", plain.port, "http")
    for ep, first, second, client_opts in ((by_id, ["list"], ["get", "head"], ["-no_ticket"]),
                                           (by_ticket, ["missing"], ["get"], []),
                                           (tls13, ["head"], ["put"], [])):
        sess = h.work / f"session-{ep.port}.pem"
        for steps, opt in ((first, ["-sess_out", str(sess)]), (second, ["-sess_in", str(sess)])):
            raw_session(h, plain_t, PlainConn(h, LOOPBACK_V4, plain.port), steps)
            raw_session(h, Target("tls", ep.port, "https", ep),
                        SClientConn(h, ep.port, servername=AWS_NAME, cafile=ep.cert.cert, extra=[*client_opts, *opt]),
                        steps)
            h.check(sess.exists(), f"s_client wrote no session to {sess}")


def run_client_keylogs(h: Harness) -> None:
    """The clients write the keys (SSLKEYLOGFILE / --tls-keylog), HAProxy logs none: three key
    logs written live, given to the sensor as three --tls-keylog flags."""
    s13, s12 = SUITES["tls13_aes256gcm"], SUITES["tls12_ecdsa_aes256gcm"]
    clients = ["curl", "node", "boto3"]
    plain, backend = start_twin_s3rvers(h, clients)
    ep13, ep12 = start_haproxy(h, backend, [Listener(s13), Listener(s12)], keylog=None)
    keylogs = {c: h.add_keylog(h.work / f"{c}.keylog") for c in clients}
    h.tls_case = {"suites": {"tls13_aes256gcm": s13, "tls12_ecdsa_aes256gcm": s12}}
    h.start_capture()
    plain_t = Target("plaintext", plain.port, "http")
    for c, ep in (("curl", ep13), ("node", ep12), ("boto3", ep13)):
        RUNNERS[c](h, plain_t)
        RUNNERS[c](h, Target("tls", ep.port, "https", ep, {c: keylogs[c]}))
    for c, path in keylogs.items():
        h.check(bool(keylog_lines(path)), f"{c} wrote no keys to {path}")
        h.notes.append(f"{c}: {len(keylog_lines(path))} key log lines")


def run_hrr(h: Harness) -> None:
    """TLS 1.3 HelloRetryRequest: HAProxy accepts the P-256 group only, the clients offer X25519
    first and send a key share for it alone (OpenSSL's clients share a key for their first group),
    so HAProxy asks for a P-256 share and every connection has two ClientHellos. curl (--curves)
    makes five connections, s_client (-groups) one with five requests."""
    suite = SUITES["tls13_aes128gcm"]
    groups = "X25519:P-256"
    plain, backend = start_twin_s3rvers(h, ["curl", "raw"])
    keylog = h.add_keylog(h.work / "haproxy.keylog")
    (tls,) = start_haproxy(h, backend, [Listener(suite, curves="P-256")], keylog=keylog)
    h.tls_case = {"suites": {"tls13_aes128gcm": suite}, "hrr": {tls.port}}
    h.start_capture()
    plain_t = Target("plaintext", plain.port, "http")
    tls_t = Target("tls", tls.port, "https", tls, curl_args=["--curves", groups])
    run_curl(h, plain_t)
    run_curl(h, tls_t)
    steps = ["list", "get", "head", "missing", "put"]
    raw_session(h, plain_t, PlainConn(h, LOOPBACK_V4, plain.port), steps)
    raw_session(h, tls_t, SClientConn(h, tls.port, servername=AWS_NAME, cafile=tls.cert.cert,
                                      extra=["-groups", groups]), steps)


def run_early_data(h: Harness) -> None:
    """TLS 1.3 0-RTT, accepted and rejected. One HAProxy, three listeners sharing their ticket keys
    (TLS_AES_256_GCM_SHA384):

      issue   allow-0rtt: full handshakes (a ListObjectsV2 each) whose ticket (max_early_data
              > 0) the client keeps, one per 0-RTT connection (a ticket is for one use, and
              HAProxy renews none on a resumed connection);
      accept  allow-0rtt, and CLIENT_EARLY_TRAFFIC_SECRET in its key log: the client resumes a
              ticket and sends a GetObject as 0-RTT data, HAProxy answers it, then a HeadObject
              follows under the application keys;
      refuse  no allow-0rtt, HAProxy logs no keys: s_client (-keylogfile, its own key log, early
              secret included) resumes a ticket and sends a NoSuchKey GET as 0-RTT data, which
              HAProxy discards unread; the request is then sent again after the handshake (as a
              browser does), then a PutObject.

    The ledger must hold the accepted early request once and the rejected one not at all: what the
    server answered, as on the plaintext twin. issue and accept are two listeners because the
    early secret fetch of a connection without accepted 0-RTT data is empty, and HAProxy would log
    "-" for it. The oracle is given the refused connection's key log without its early secret (see
    Harness.add_keylog); check_tls_features reads the rejected 0-RTT request with every key."""
    suite = SUITES["tls13_aes256gcm"]
    plain, backend = start_twin_s3rvers(h, ["raw"])
    keylog = h.add_keylog(h.work / "haproxy.keylog")
    client_keylog = h.add_keylog(h.work / "s_client-refused.keylog", oracle_skip=("CLIENT_EARLY_TRAFFIC_SECRET",))
    issue, accept, refuse = start_haproxy(
        h, backend, [Listener(suite, early_data=True),
                     Listener(suite, early_data=True, log_early_secret=True),
                     Listener(suite, log_keys=False)], keylog=keylog, shared_tickets=True)
    h.tls_case = {"suites": {"tls13_aes256gcm": suite},
                  "resumed_ports": {accept.port: 1, refuse.port: 1},
                  "early_data": {accept.port: "accepted", refuse.port: "rejected"}}
    stats = h.out / "bucketwatch-stats.json"
    h.bucketwatch_args += ["--stats-json", str(stats)]
    h.start_capture()
    plain_t = Target("plaintext", plain.port, "http")
    s1, s2 = h.work / "session-1.pem", h.work / "session-2.pem"

    def tls(ep: TlsEndpoint, extra: list[str], early: str | None = None) -> tuple[Target, SClientConn]:
        t = Target("tls", ep.port, "https", ep)
        data = request_bytes(*raw_request(t, early)) if early else None
        return t, SClientConn(h, ep.port, servername=AWS_NAME, cafile=ep.cert.cert, extra=extra, early_data=data)

    for session in (s1, s2):
        raw_session(h, plain_t, PlainConn(h, LOOPBACK_V4, plain.port), ["list"])
        raw_session(h, *tls(issue, ["-sess_out", str(session)]), ["list"])
        h.check(session.exists(), f"s_client wrote no session to {session}")
    raw_session(h, plain_t, PlainConn(h, LOOPBACK_V4, plain.port), ["get", "head"])
    raw_session(h, *tls(accept, ["-sess_in", str(s1)], early="get"), ["^get", "head"])
    raw_session(h, plain_t, PlainConn(h, LOOPBACK_V4, plain.port), ["missing", "put"])
    raw_session(h, *tls(refuse, ["-sess_in", str(s2), "-keylogfile", str(client_keylog)], early="missing"),
                ["missing", "put"])
    lines = [x for x in keylog_lines(keylog) + keylog_lines(client_keylog) if not x.startswith("#")]
    bad = [x.split()[0] for x in lines if len(x.split()) != 3 or x.split()[2] == "-"]
    h.check(not bad, f"key log lines without their secret or cut short: {bad}")
    early = [x for x in keylog_lines(keylog) if x.startswith("CLIENT_EARLY_TRAFFIC_SECRET ")]
    h.check(len(early) == 1, f"HAProxy logged {len(early)} early traffic secrets, intended 1")
    h.tls_case["stats"] = stats


def check_stats(h: Harness, case: dict, n_conn: int) -> list[str]:
    """With bucketwatch and case["stats"] (its --stats-json): every TLS connection in the capture
    was decrypted and none failed. Appends to h.failures; returns notes."""
    path = case.get("stats")
    if path is None or h.capture_with != "bucketwatch":
        return []
    if not path.exists():
        h.failures.append(f"bucketwatch wrote no {path}")
        return []
    tls = json.loads(path.read_text())["tls_decryption"]
    failures = {k: v for k, v in tls["failures"].items() if v}
    if tls["attempts"] != n_conn or tls["decrypted"] != n_conn or failures:
        h.failures.append(f"bucketwatch decrypted {tls['decrypted']} of {tls['attempts']} TLS connections "
                          f"({n_conn} in the capture), failures {failures}")
    # 0-RTT: what the server took was read, what it refused was counted and dropped.
    intended = set(case.get("early_data", {}).values())
    for outcome, key in (("accepted", "early_data_bytes"), ("rejected", "early_data_rejected_bytes")):
        if (outcome in intended) != (tls[key] > 0):
            h.failures.append(f"bucketwatch counted {tls[key]} {key} with early data {sorted(intended)}")
    return [f"bucketwatch: {tls['decrypted']} of {tls['attempts']} TLS connections decrypted, "
            f"{tls['waited_for_keys']} waited for keys, 0-RTT bytes read {tls['early_data_bytes']}, "
            f"refused {tls['early_data_rejected_bytes']}"]


AZURE_CLIENT = E2E_DIR / "clients" / "azure_blob.mjs"
AZ_ACCT = f"/{AZURITE_ACCOUNT}"
AZ_LIST = {"restype": "container", "comp": "list"}
AZ_DENIED = {"status": 403, "error_code": "AuthorizationFailure"}


# (label, status, fields the client reported, manifest line) for azure_blob.mjs's modes, as the
# azure_public_anonymous and azure_sdk scenarios assert them against Azurite 3.37.
def _azure_plan(mode: str) -> list[tuple[str, int, dict, dict]]:
    pc, a = f"{AZ_ACCT}/public-container", AZ_ACCT
    if mode == "anonymous":
        denied = {k: v for k, v in AZ_DENIED.items() if k != "status"}
        return [
            ("ListBlobsContainerLevel", 200, {"list_keys": 3, "truncated": False},
             {"method": "GET", "path": pc, "query": AZ_LIST, "operation": "ListBlobs", "bucket": "public-container",
              "key": None, "error_code": None, "list_keys": 3, "list_truncated": False}),
            ("GetBlobContainerLevel", 200, {"length": 300},
             {"method": "GET", "path": f"{pc}/catalog/b.json", "operation": "GetBlob", "bucket": "public-container",
              "key": "catalog/b.json", "error_code": None}),
            ("GetBlobRangeContainerLevel", 206, {"length": 20},
             {"method": "GET", "path": f"{pc}/catalog/c.json", "operation": "GetBlob", "bucket": "public-container",
              "key": "catalog/c.json", "error_code": None, "range": True}),
            ("ListBlobsBlobLevel", 403, denied,
             {"method": "GET", "path": f"{a}/public-blobs", "query": AZ_LIST, "operation": "ListBlobs",
              "bucket": "public-blobs", "key": None, **denied}),
            ("GetBlobBlobLevel", 200, {"length": 390},
             {"method": "GET", "path": f"{a}/public-blobs/invoices/2026-11.pdf", "operation": "GetBlob",
              "bucket": "public-blobs", "key": "invoices/2026-11.pdf", "error_code": None}),
            ("ListBlobsPrivate", 403, denied,
             {"method": "GET", "path": f"{a}/private", "query": AZ_LIST, "operation": "ListBlobs", "bucket": "private",
              "key": None, **denied}),
            ("GetBlobPrivate", 403, denied,
             {"method": "GET", "path": f"{a}/private/hr/salaries.csv", "operation": "GetBlob", "bucket": "private",
              "key": "hr/salaries.csv", **denied}),
            ("ListContainers", 403, denied,
             {"method": "GET", "path": f"{a}/", "query": {"comp": "list"}, "operation": "ListContainers",
              "bucket": None, "key": None, **denied}),
        ]
    up = f"{pc}/uploads/report.txt"
    upload = {"bucket": "public-container", "key": "uploads/report.txt"}
    return [
        ("ListContainers", 200, {"list_keys": 3},
         {"method": "GET", "path": f"{a}/", "query": {"comp": "list"}, "operation": "ListContainers", "bucket": None,
          "key": None, "error_code": None, "list_keys": 3}),
        ("ListBlobs", 200, {"list_keys": 2, "truncated": True},
         {"method": "GET", "path": pc, "query": {**AZ_LIST, "maxresults": "2"}, "operation": "ListBlobs",
          "bucket": "public-container", "key": None, "error_code": None, "list_keys": 2, "list_truncated": True}),
        ("ListBlobs", 200, {"list_keys": 1, "truncated": False},
         {"method": "GET", "path": pc, "query": {**AZ_LIST, "maxresults": "2", "marker": None},
          "operation": "ListBlobs", "bucket": "public-container", "key": None, "error_code": None, "list_keys": 1,
          "list_truncated": False}),
        ("PutBlob", 201, {}, {"method": "PUT", "path": up, "operation": "PutBlob", **upload, "error_code": None}),
        ("GetBlobProperties", 200, {"length": 140},
         {"method": "HEAD", "path": up, "operation": "GetBlobProperties", **upload}),
        ("GetBlob", 200, {"length": 140}, {"method": "GET", "path": up, "operation": "GetBlob", **upload,
                                           "error_code": None}),
        ("GetBlobRange", 206, {"length": 16},
         {"method": "GET", "path": f"{pc}/catalog/a.json", "operation": "GetBlob", "bucket": "public-container",
          "key": "catalog/a.json", "error_code": None, "range": True}),
        ("GetBlobMissing", 404, {"error_code": "BlobNotFound"},
         {"method": "GET", "path": f"{pc}/catalog/z.json", "operation": "GetBlob", "bucket": "public-container",
          "key": "catalog/z.json", "error_code": "BlobNotFound"}),
        ("DeleteBlob", 202, {}, {"method": "DELETE", "path": up, "operation": "DeleteBlob", **upload,
                                 "error_code": None}),
        ("ListBlobsPrivate", 200, {"list_keys": 1},
         {"method": "GET", "path": f"{a}/private", "query": AZ_LIST, "operation": "ListBlobs", "bucket": "private",
          "key": None, "error_code": None, "list_keys": 1, "list_truncated": False}),
        ("GetBlobPrivate", 200, {"length": 300},
         {"method": "GET", "path": f"{a}/private/hr/salaries.csv", "operation": "GetBlob", "bucket": "private",
          "key": "hr/salaries.csv", "error_code": None}),
    ]


def run_azure(h: Harness, t: Target, mode: str) -> None:
    """One azure_blob.mjs mode against `t`: under Node with --tls-keylog (the key log t.keylogs
    names) and the self-signed certificate trusted (NODE_EXTRA_CA_CERTS) for the TLS half."""
    env = clean_env({"NODE_EXTRA_CA_CERTS": str(t.tls.cert.cert)} if t.tls else None)
    node = ["node"] + ([f"--tls-keylog={t.keylogs['node']}"] if "node" in t.keylogs else [])
    cp = h.run([*node, str(AZURE_CLIENT), mode, f"{t.ip_base}/{AZURITE_ACCOUNT}"], env=env, name="azure_blob.mjs")
    got = [json.loads(x) for x in cp.stdout.decode().splitlines() if x.strip()]
    auth = {"auth": "anonymous"} if mode == "anonymous" else {"auth": "signed", "auth_scheme": "SharedKey"}
    _check_calls(h, f"azure-sdk-js {mode}", got, _azure_plan(mode),
                 {"provider": "azure_blob", "account": AZURITE_ACCOUNT, "client": "azure-sdk-js", **auth,
                  **t.marks(None)})


def run_azurite_node(h: Harness) -> None:
    """@azure/storage-blob under Node against Azurite, plaintext and over Azurite's own HTTPS
    (Node's TLS server, with the certificate tls_terminator makes for 127.0.0.1): two Azurites
    seeded alike, the client's anonymous then SharedKey calls against each. The client is given
    https://127.0.0.1 (no SNI) and writes the key log (node --tls-keylog); no HAProxy. The suite
    is whatever Node negotiates with Node, asserted: TLS 1.3 TLS_AES_256_GCM_SHA384."""
    cert = make_cert(h)
    plain = start_azurite(h)
    tls = start_azurite(h, cert=cert.cert, key=cert.key)
    h.tls_ports.append(tls.port)
    trust = clean_env({"NODE_EXTRA_CA_CERTS": str(cert.cert)})
    for base in (f"{plain.base}/{AZURITE_ACCOUNT}", f"https://{tls.host}:{tls.port}/{AZURITE_ACCOUNT}"):
        h.run(["node", str(AZURE_CLIENT), "seed", base], env=trust, name="azure_blob.mjs")
    keylog = h.add_keylog(h.work / "node.keylog")
    suite = SUITES["tls13_aes256gcm"]
    h.tls_case = {"suites": {"tls13_aes256gcm": suite}, "stats": h.out / "bucketwatch-stats.json"}
    h.bucketwatch_args += ["--stats-json", str(h.tls_case["stats"])]
    h.start_capture()
    plain_t = Target("plaintext", plain.port, "http")
    tls_t = Target("tls", tls.port, "https", TlsEndpoint(tls.host, tls.port, suite, cert, None), {"node": keylog})
    for t in (plain_t, tls_t):
        for mode in ("anonymous", "sharedkey"):
            run_azure(h, t, mode)
    h.check(bool(keylog_lines(keylog)), f"node wrote no keys to {keylog}")
    h.notes.append(f"node: {len(keylog_lines(keylog))} key log lines")


# ------------------------------------------------------------------------------------- checks
def _project(line: dict) -> dict:
    return {f: line[f] for f in COMPARED if f in line}


def _ledger_project(doc: dict) -> dict:
    out = {}
    for f in COMPARED:
        v = check_ledger.get_field(doc, check_ledger.FIELD_MAP[f])
        out[f] = check_ledger.normalise(f, v)
    return out


# RFC 8446 4.1.3: a ServerHello whose random is SHA-256("HelloRetryRequest") is a HelloRetryRequest.
HRR_RANDOM = hashlib.sha256(b"HelloRetryRequest").hexdigest()
EXT_EARLY_DATA = "42"
HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_END_OF_EARLY_DATA, HS_ENCRYPTED_EXTENSIONS, HS_FINISHED = "1", "2", "5", "8", "20"


def _values(obj: Any, key: str) -> list:
    """Every value of `key` under a tshark JSON object, in document order."""
    out: list = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                out += v if isinstance(v, list) else [v]
            else:
                out += _values(v, key)
    elif isinstance(obj, list):
        for x in obj:
            out += _values(x, key)
    return out


def _handshake_messages(obj: Any) -> list[dict]:
    if isinstance(obj, dict):
        if "tls.handshake.type" in obj:
            return [obj]
        return [m for v in obj.values() for m in _handshake_messages(v)]
    if isinstance(obj, list):
        return [m for x in obj for m in _handshake_messages(x)]
    return []


def read_tls_messages(h: Harness, keylog: Path) -> dict[int, dict]:
    """TCP stream -> {"port": the TLS server port, "events": [...]}, in wire order, as tshark reads
    the capture with `keylog`: each handshake message ({"frame", "from": "client"/"server",
    "type", "random", "extensions": [type, ...]}), encrypted ones too once decrypted, and each
    HTTP request tshark read ({"frame", "from", "request": "METHOD URI"})."""
    tls_ports = sorted(set(h.tls_ports))
    ports = sorted(set(h.capture_ports) | set(tls_ports))
    on_tls = " || ".join(f"tcp.port == {p}" for p in tls_ports)
    argv = ["tshark", "-n", "-r", str(h.pcap), *check_capture.decode_args(ports, tls_ports, str(keylog)),
            "-Y", f"(tls.handshake || http.request) && ({on_tls})", "-T", "json", "--no-duplicate-keys",
            "-J", "frame tcp tls http"]
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if cp.returncode != 0:
        raise ScenarioError(f"tshark failed: {cp.stderr.strip()}")
    streams: dict[int, dict] = {}
    for packet in json.loads(cp.stdout or "[]"):
        layers = packet["_source"]["layers"]
        frame = int(_values(layers.get("frame"), "frame.number")[0])
        src, dst = (int(_values(layers["tcp"], k)[0]) for k in ("tcp.srcport", "tcp.dstport"))
        side = "server" if src in tls_ports else "client"
        info = streams.setdefault(int(_values(layers["tcp"], "tcp.stream")[0]),
                                  {"port": src if side == "server" else dst, "events": []})
        for m in _handshake_messages(layers.get("tls")):
            random = (_values(m, "tls.handshake.random") or [""])[0]
            info["events"].append({"frame": frame, "from": side, "type": str(m["tls.handshake.type"]),
                                   "random": random.replace(":", "").lower(),
                                   "extensions": [str(x) for x in _values(m, "tls.handshake.extension.type")]})
        http = layers.get("http")
        for method, uri in zip(_values(http, "http.request.method"), _values(http, "http.request.uri")):
            info["events"].append({"frame": frame, "from": side, "request": f"{method} {uri}"})
    return streams


def _messages(events: list[dict], side: str, hs_type: str) -> list[dict]:
    return [e for e in events if e["from"] == side and e.get("type") == hs_type]


def _hrr_problems(events: list[dict]) -> list[str]:
    """Why a stream's handshake is not one HelloRetryRequest: two ClientHellos, and two
    ServerHellos of which the first carries the HRR random."""
    hellos = _messages(events, "client", HS_CLIENT_HELLO)
    servers = [e["random"] == HRR_RANDOM for e in _messages(events, "server", HS_SERVER_HELLO)]
    problems = []
    if len(hellos) != 2:
        problems.append(f"{len(hellos)} ClientHellos")
    if servers != [True, False]:
        problems.append(f"ServerHellos with the HRR random: {servers}")
    return problems


def _early_data(events: list[dict]) -> dict[str, Any]:
    """What a stream's handshake says of 0-RTT data: the ClientHello offered it, the server's
    EncryptedExtensions accepted it, the client ended it (EndOfEarlyData), and the requests tshark
    decrypted before the client's Finished (early data: sent before the handshake ended)."""
    hello = _messages(events, "client", HS_CLIENT_HELLO)
    ee = _messages(events, "server", HS_ENCRYPTED_EXTENSIONS)
    finished = _messages(events, "client", HS_FINISHED)
    end = finished[0]["frame"] if finished else None
    return {"offered": bool(hello) and EXT_EARLY_DATA in hello[0]["extensions"],
            "accepted": bool(ee) and EXT_EARLY_DATA in ee[0]["extensions"],
            "ended": bool(_messages(events, "client", HS_END_OF_EARLY_DATA)),
            "client_finished": end is not None,
            "early_requests": [e["request"] for e in events if "request" in e and end is not None
                               and e["frame"] < end],
            "requests": [e["request"] for e in events if "request" in e]}


def check_tls_features(h: Harness, case: dict) -> list[str]:
    """The TLS features the scenario intended, as tshark reads the capture with every key logged
    (merged_keylog(complete=True)): one HelloRetryRequest on each connection to a port in
    case["hrr"]; on each port of case["early_data"], 0-RTT data offered and "accepted" (the
    server's EncryptedExtensions carry early_data, the client sent EndOfEarlyData) or "rejected"
    (neither), with exactly one HTTP request in it either way. Returns notes; raises when a
    feature did not happen."""
    if "hrr" not in case and "early_data" not in case:
        return []
    streams = read_tls_messages(h, h.merged_keylog(complete=True))
    notes, problems = [], []
    for port in sorted(case.get("hrr", ())):
        on_port = {n: s for n, s in streams.items() if s["port"] == port}
        problems += [f"stream {n}: {p}" for n, s in on_port.items() for p in _hrr_problems(s["events"])]
        if not on_port:
            problems.append(f"no TLS connection to :{port}")
        notes.append(f"a HelloRetryRequest on each of the {len(on_port)} connections to :{port}")
    for port, outcome in sorted(case.get("early_data", {}).items()):
        on_port = {n: _early_data(s["events"]) for n, s in streams.items() if s["port"] == port}
        if len(on_port) != 1:
            problems.append(f"{len(on_port)} TLS connections to :{port}, intended 1")
        for n, e in on_port.items():
            accepted = outcome == "accepted"
            if not (e["offered"] and e["client_finished"] and e["accepted"] == accepted and e["ended"] == accepted
                    and len(e["early_requests"]) == 1):
                problems.append(f"stream {n} (:{port}): 0-RTT data not {outcome} as intended: {e}")
            notes.append(f"0-RTT on :{port}: offered {e['offered']}, accepted {e['accepted']} (EncryptedExtensions), "
                         f"EndOfEarlyData {e['ended']}, request in early data {e['early_requests']}, "
                         f"all requests {e['requests']}")
    if problems:
        raise ScenarioError(f"intended TLS features missing from the capture: {problems[:4]}")
    return notes


def finish(h: Harness) -> None:
    """Plaintext half == TLS half; every TLS handshake is what was forced; with bucketwatch, its
    plaintext ledger lines == its decrypted ones (written out, failing the run if not)."""
    case = getattr(h, "tls_case", None)
    if case is None:
        return
    plain = [x for x in h.manifest if not x.get("tls_decrypted")]
    tls = [x for x in h.manifest if x.get("tls_decrypted")]
    for name, lines in (("plaintext", plain), ("decrypted", tls)):
        with open(h.out / f"{name}.expected.jsonl", "w") as f:
            for line in lines:
                f.write(json.dumps(line, sort_keys=True) + "\n")
    if [_project(x) for x in plain] != [_project(x) for x in tls]:
        diffs = [f"plaintext {a} != tls {b}" for a, b in zip(map(_project, plain), map(_project, tls)) if a != b]
        raise ScenarioError(f"the two halves differ ({len(plain)} vs {len(tls)} lines): {diffs[:3]}")

    # The handshakes as tshark reads them (with the key logs, so TLS 1.3's are decrypted too).
    keylog = h.merged_keylog()
    tls_ports = sorted(set(h.tls_ports))
    ports = sorted(set(h.capture_ports) | set(tls_ports))
    streams = check_capture.read_tls_streams("tshark", str(h.pcap), ports, tls_ports, str(keylog))
    wanted = {(s.version, s.iana, s.etm) for s in case["suites"].values()}
    bad = [f"stream {n}: {i}" for n, i in streams.items()
           if (i["tls_version"], i["tls_cipher"], i["encrypt_then_mac"] if i["tls_version"] == "1.2"
               and "CBC" in (i["tls_cipher"] or "") else True) not in wanted]
    if not streams or bad:
        raise ScenarioError(f"TLS handshakes other than forced ({wanted}): {bad[:3] or 'none seen'}")
    n_conn = len(streams)
    resumed = sum(1 for i in streams.values() if i["resumed"])
    updates = sum(i["key_updates"] for i in streams.values())
    if "resumed_ports" in case and resumed != sum(case["resumed_ports"].values()):
        raise ScenarioError(f"{resumed} resumed handshakes in the capture, intended "
                            f"{sum(case['resumed_ports'].values())}: {streams}")
    if "key_updates" in case and updates != case["key_updates"]:
        raise ScenarioError(f"{updates} KeyUpdate messages decrypted by tshark, intended {case['key_updates']}")
    h.notes.append(f"tshark: {n_conn} TLS connections ({', '.join(sorted({i['tls_cipher'] for i in streams.values()}))})"
                   f", {resumed} resumed, {updates} KeyUpdates; plaintext and TLS halves: {len(plain)} requests each")
    h.notes += check_tls_features(h, case)
    h.notes += check_stats(h, case, n_conn)

    if h.capture_with != "bucketwatch":
        return
    ledger_path = h.out / "ledger.jsonl"
    docs = check_ledger.load_jsonl(str(ledger_path), "ledger") if ledger_path.exists() else []
    docs.sort(key=lambda d: str(check_ledger.get_field(d, "@timestamp")))
    by_side: dict[str, list[dict]] = {"plaintext": [], "decrypted": []}
    for d in docs:
        port = check_ledger.get_field(d, "destination.port")
        by_side["decrypted" if port in tls_ports else "plaintext"].append(_ledger_project(d))
    with open(h.out / "ledger-comparison.txt", "w") as f:
        f.write(f"plaintext ledger lines: {len(by_side['plaintext'])}, decrypted: {len(by_side['decrypted'])}\n")
        for n in range(max(len(by_side["plaintext"]), len(by_side["decrypted"]))):
            a = by_side["plaintext"][n] if n < len(by_side["plaintext"]) else None
            b = by_side["decrypted"][n] if n < len(by_side["decrypted"]) else None
            f.write(f"{'same' if a == b else 'DIFF'} plaintext={a} decrypted={b}\n")
    if sorted(map(json.dumps, by_side["plaintext"])) != sorted(map(json.dumps, by_side["decrypted"])):
        h.failures.append(f"the decrypted ledger lines differ from the plaintext ones "
                          f"({len(by_side['decrypted'])} vs {len(by_side['plaintext'])}): see "
                          f"{h.out / 'ledger-comparison.txt'}")
