"""HTTPS in front of a real S3 store, counted from TLS records alone (issue 16).

stunnel (TLS 1.3 or TLS 1.2 only, a self-signed certificate for s3tls-bulk.s3.amazonaws.com and
s3.amazonaws.com made by openssl before the capture) terminates TLS in front of s3rver; only the
stunnel port is captured, so the sensor sees nothing but TLS. Three clients, each its own loopback
address so each is its own activity:

  127.0.0.1  N downloads, one curl process and so one connection each, SNI s3tls-bulk.s3.amazonaws.com
  127.0.0.2  one keep-alive connection with M GETs, same SNI
  127.0.0.3  one keep-alive connection with P path-style GETs (/s3tls-bulk/key), SNI s3.amazonaws.com

Checks (finish): the live sensor's alerts with the default config (no bulk alert for the N
downloads, N < 50; a bulk alert for the keep-alive client; a bucket-unknown bulk alert for the
path-style client), and, on the saved capture, for each client alone (the others trusted):
min_objects = its request count fires once with exactly that many objects, one more stays silent.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness import LOOPBACK_V4, REPO_ROOT, Harness, ScenarioError, free_port
from servers import seed_s3_objects, start_s3rver

BUCKET = "s3tls-bulk"
VHOST = f"{BUCKET}.s3.amazonaws.com"
SERVICE = "s3.amazonaws.com"
N_SINGLE = 25
M_KEEPALIVE = 65
P_PATH_STYLE = 60
OBJECTS = {f"obj{i:02d}": f"object-{i:02d}-data".encode() * (1 + i % 4) for i in range(20)}
CLIENTS = {"single": "127.0.0.1", "keepalive": "127.0.0.2", "pathstyle": "127.0.0.3"}
EXPECTED = {"single": N_SINGLE, "keepalive": M_KEEPALIVE, "pathstyle": P_PATH_STYLE}


def _curl(h: Harness, cert: Path, host: str, port: int, source: str, paths: list[str]) -> None:
    argv = ["curl", "-sS", "--max-time", "60", "--noproxy", "*", "--http1.1", "--cacert", str(cert),
            "--resolve", f"{host}:{port}:{LOOPBACK_V4}", "--interface", source,
            "-w", "%{http_code} %{num_connects}\n"]
    for p in paths:
        argv += ["-o", "/dev/null", f"https://{host}:{port}{p}"]
    out = h.run(argv, name="curl", timeout=90).stdout.decode().split()
    codes, connects = out[0::2], [int(x) for x in out[1::2]]
    if codes != ["200"] * len(paths):
        raise ScenarioError(f"https GETs from {source} to {host}: statuses {codes}")
    if sum(connects) != 1:
        raise ScenarioError(f"curl opened {sum(connects)} connections for {len(paths)} GETs, intended one")


def run(h: Harness, tls_version: str) -> None:
    h.tls_version = tls_version  # for finish()
    cert, key = h.work / "cert.pem", h.work / "key.pem"
    h.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={VHOST}",
           "-addext", f"subjectAltName=DNS:{VHOST},DNS:{SERVICE}", "-keyout", str(key), "-out", str(cert)],
          name="openssl")
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, OBJECTS)
    port = free_port(LOOPBACK_V4)
    conf = h.work / "stunnel.conf"
    conf.write_text(f"foreground = yes\npid =\n[s3]\naccept = {LOOPBACK_V4}:{port}\n"
                    f"connect = {LOOPBACK_V4}:{ep.port}\ncert = {cert}\nkey = {key}\n"
                    f"sslVersionMin = {tls_version}\nsslVersionMax = {tls_version}\n")
    proc = h.start(f"stunnel-{port}", ["stunnel", str(conf)])
    h.wait_tcp(LOOPBACK_V4, port, proc)
    # Only the TLS side: the plaintext leg from stunnel to s3rver is not on the tap.
    h.capture_ports[:] = [port]
    h.start_capture()
    keys = sorted(OBJECTS)
    for i in range(N_SINGLE):
        _curl(h, cert, VHOST, port, CLIENTS["single"], [f"/{keys[i % len(keys)]}"])
    _curl(h, cert, VHOST, port, CLIENTS["keepalive"], [f"/{keys[i % len(keys)]}" for i in range(M_KEEPALIVE)])
    _curl(h, cert, SERVICE, port, CLIENTS["pathstyle"],
          [f"/{BUCKET}/{keys[i % len(keys)]}" for i in range(P_PATH_STYLE)])
    h.notes.append(f"{tls_version}: {N_SINGLE} one-connection downloads, {M_KEEPALIVE} GETs on one connection "
                   f"({VHOST}), {P_PATH_STYLE} path-style GETs on one connection ({SERVICE})")


def _bulk(alerts: list[dict], client: str) -> list[dict]:
    return [a for a in alerts if a["rule"] == "bulk_exfiltration" and a["source"]["ip"] == client]


def _replay(bw: str, pcap: Path, work: Path, client: str, min_objects: int) -> list[dict]:
    others = [c for c in CLIENTS.values() if c != client]
    cfg = work / f"detect-{client}-{min_objects}.yaml"
    cfg.write_text(json.dumps({"detection": {"bulk_exfiltration": {"min_objects": min_objects},
                                             "allowlist": {"trusted_cidrs": others}}}))
    out = work / f"alerts-{client}-{min_objects}.jsonl"
    out.unlink(missing_ok=True)
    subprocess.run([bw, "--read", str(pcap), "--alerts", str(out), "--config", str(cfg), "-q"], check=True,
                   timeout=120)
    return [json.loads(x) for x in out.read_text().splitlines() if x.strip()]


def finish(h: Harness) -> None:
    failures = []
    bw = h.bucketwatch or str(REPO_ROOT / "build" / "bucketwatch")
    if h.capture_with == "bucketwatch":
        alerts = [json.loads(x) for x in (h.out / "alerts.jsonl").read_text().splitlines() if x.strip()]
        if _bulk(alerts, CLIENTS["single"]):
            failures.append(f"live: {N_SINGLE} one-connection downloads raised bulk_exfiltration "
                            f"({_bulk(alerts, CLIENTS['single'])[0]['summary']})")
        keep = _bulk(alerts, CLIENTS["keepalive"])
        if len(keep) != 1 or keep[0].get("storage", {}).get("bucket") != BUCKET or \
                not 50 <= keep[0]["counts"]["objects"] <= M_KEEPALIVE:
            failures.append(f"live: keep-alive client: {keep}")
        path = _bulk(alerts, CLIENTS["pathstyle"])
        if len(path) != 1 or path[0]["storage"].get("endpoint") != SERVICE or \
                path[0]["storage"].get("bucket_visible") is not False or "bucket" in path[0]["storage"] or \
                "bucket not visible" not in path[0]["summary"]:
            failures.append(f"live: path-style client: {path}")
    if not Path(bw).is_file():
        raise ScenarioError(f"{bw} not found: the exact counts are checked by replaying the capture")
    for name, client in CLIENTS.items():
        want = EXPECTED[name]
        fired = _bulk(_replay(bw, h.pcap, h.work, client, want), client)
        objects = [a["counts"]["objects"] for a in fired]
        if objects != [want]:
            failures.append(f"{name} ({client}): min_objects={want} raised objects {objects}, expected [{want}]")
        more = _bulk(_replay(bw, h.pcap, h.work, client, want + 1), client)
        if more:
            failures.append(f"{name} ({client}): min_objects={want + 1} fired ({more[0]['summary']}): "
                            f"more turns than requests")
        if fired:
            h.notes.append(f"{name}: {fired[0]['summary']}")
    if failures:
        raise ScenarioError("; ".join(failures))
