"""The real servers the scenarios talk to, started on loopback on free ports.

s3rver and Azurite come from tests/e2e/node_modules (scripts/install-e2e-deps). GCS has no
packaged emulator: servers/gcs_responder.py replays documented GCS responses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from harness import E2E_DIR, LOOPBACK_V4, NODE_BIN, Harness, ScenarioError, clean_env, free_port

# s3rver accepts exactly this key pair (and any other credential is answered InvalidAccessKeyId).
S3RVER_ACCESS_KEY = "S3RVER"
S3RVER_SECRET_KEY = "S3RVER"

# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class Endpoint:
    host: str  # as it appears in a URL authority ("127.0.0.1" or "[::1]")
    port: int

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


def _require(path: Path) -> None:
    if not path.exists():
        raise ScenarioError(f"{path} is missing: run scripts/install-e2e-deps")


def start_s3rver(h: Harness, *, buckets: list[str], host: str = LOOPBACK_V4,
                 vhost_buckets: bool = True, allow_mismatched_signatures: bool = False) -> Endpoint:
    """s3rver with `buckets` created at start-up (no wire traffic for them)."""
    exe = NODE_BIN / "s3rver"
    _require(exe)
    bind = host.strip("[]")
    port = free_port(bind)
    data = h.work / f"s3rver-{port}"
    data.mkdir()
    argv = [str(exe), "-d", str(data), "-a", bind, "-p", str(port)]
    if not vhost_buckets:
        # On [::1] the Host is "[::1]:port", which s3rver would otherwise take for a bucket name.
        argv.append("--no-vhost-buckets")
    if allow_mismatched_signatures:
        # s3rver 3.7 computes the SigV2 string-to-sign of "/bucket/?delimiter=/" (s3cmd's listing)
        # differently from s3cmd and answers SignatureDoesNotMatch; signatures stay checked for
        # form, and a passive sensor never verifies them anyway.
        argv.append("--allow-mismatched-signatures")
    for b in buckets:
        argv += ["--configure-bucket", b]
    # s3rver 3.x hashes with MD5 through OpenSSL; Node 17+ (OpenSSL 3) needs the legacy provider.
    env = clean_env({"NODE_OPTIONS": "--openssl-legacy-provider"})
    proc = h.start(f"s3rver-{port}", argv, env=env)
    h.wait_tcp(bind, port, proc)
    h.capture_ports.append(port)
    return Endpoint(host if ":" not in bind else f"[{bind}]", port)


def start_azurite(h: Harness, *, cert: Path | None = None, key: Path | None = None) -> Endpoint:
    """Azurite's blob service; with a PEM `cert` and `key`, over its own HTTPS (Node's TLS)."""
    exe = NODE_BIN / "azurite-blob"
    _require(exe)
    port = free_port(LOOPBACK_V4)
    # In memory: nothing to clean up, and Azurite refuses --location together with it. Its
    # working directory is the scenario's work dir all the same (it may write a debug log there).
    # --skipApiVersionCheck: the SDK sends a newer x-ms-version than this Azurite knows.
    # --loose: ignore headers Azurite does not implement instead of failing the request.
    argv = [str(exe), "--blobHost", LOOPBACK_V4, "--blobPort", str(port), "--disableTelemetry",
            "--skipApiVersionCheck", "--loose", "--inMemoryPersistence"]
    if cert is not None:
        argv += ["--cert", str(cert), "--key", str(key)]
    proc = h.start(f"azurite-{port}", argv)
    h.wait_tcp(LOOPBACK_V4, port, proc)
    h.capture_ports.append(port)
    return Endpoint(LOOPBACK_V4, port)


def start_gcs_responder(h: Harness) -> Endpoint:
    port = free_port(LOOPBACK_V4)
    script = E2E_DIR / "servers" / "gcs_responder.py"
    proc = h.start(f"gcs-{port}", [sys.executable, str(script), "--host", LOOPBACK_V4,
                                   "--port", str(port)])
    h.wait_tcp(LOOPBACK_V4, port, proc)
    h.capture_ports.append(port)
    return Endpoint(LOOPBACK_V4, port)


def seed_s3_objects(h: Harness, ep: Endpoint, bucket: str, objects: dict[str, bytes]) -> None:
    """Uploads objects before the capture starts (s3rver takes unsigned PUTs)."""
    if h.capturing:
        raise ScenarioError("seed before start_capture(): seeding is not part of the scenario")
    for key, body in objects.items():
        res = h.curl(f"{ep.base}/{bucket}/{key}", method="PUT", data=body,
                     headers={"Content-Type": "application/octet-stream"})
        if res.status != 200:
            raise ScenarioError(f"seeding {bucket}/{key}: status {res.status}")
