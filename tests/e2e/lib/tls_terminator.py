"""HAProxy (Debian 12's 2.6) terminating TLS in front of a real storage server, writing the keys.

The issue-19 scenarios need a real TLS server that logs its keys the way an organisation's
terminator would. HAProxy runs in the foreground (`-db`) with a config in the scenario's work dir
(never the system service), one frontend per listener, `mode tcp`: TLS ends at HAProxy and the
plaintext bytes go to the backend unchanged, so HTTP/1.1 passes through exactly as the client sent
it, and no ALPN is offered (no h2).

Key log: `tune.ssl.keylog on` and a `log-format` that prints NSS key log lines from
`%[ssl_fc_client_random,hex]` (upper-case hex, which tshark and the sensor must accept) and the
secret fetches: CLIENT_RANDOM + `ssl_fc_session_key` for TLS 1.2; the handshake and traffic
secrets and EXPORTER_SECRET for TLS 1.3. The log goes to `stdout format raw`, which the harness
appends to the key log file, so each connection's keys are in the file a few milliseconds after
its handshake (`option logasap`: the line is written when the backend connection opens, not when
the client leaves). `option dontlognull` keeps readiness probes (connections without a handshake)
out of the key log.

Suites are forced per listener with `ssl-min-ver`/`ssl-max-ver` and `ciphers` (TLS 1.2) or
`ciphersuites` (TLS 1.3). CBC suites: OpenSSL negotiates encrypt-then-MAC whenever the client
offers it; HAProxy 2.6 has no bind option against it, so for a MAC-then-encrypt listener the
process runs with an OPENSSL_CONF whose system_default says `Options = -EncryptThenMac` (libssl
applies it to every SSL_CTX HAProxy makes). Whichever way, the scenario checks what the
ServerHello said with tshark.

A listener may also restrict its key exchange groups (`curves`: a TLS 1.3 client whose only key
share is for another group gets a HelloRetryRequest) and accept TLS 1.3 0-RTT data (`allow-0rtt`),
on tickets from any listener of the process when they share their `tls-ticket-keys`.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from harness import LOOPBACK_V4, Harness, ScenarioError, clean_env, free_port
from servers import Endpoint

HAPROXY = "/usr/sbin/haproxy"

# NSS key log label -> HAProxy sample fetch (hex strings already, see tune.ssl.keylog in the
# HAProxy 2.6 configuration manual). The early traffic secret is only logged by listeners that
# ask for it (Listener.log_early_secret): OpenSSL derives it only for a connection whose 0-RTT
# data the server accepts, and for any other the empty fetch prints "-" where a secret belongs.
TLS13_FETCHES = (
    ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "ssl_fc_client_handshake_traffic_secret"),
    ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "ssl_fc_server_handshake_traffic_secret"),
    ("CLIENT_TRAFFIC_SECRET_0", "ssl_fc_client_traffic_secret_0"),
    ("SERVER_TRAFFIC_SECRET_0", "ssl_fc_server_traffic_secret_0"),
    ("EXPORTER_SECRET", "ssl_fc_exporter_secret"),
)
EARLY_FETCH = ("CLIENT_EARLY_TRAFFIC_SECRET", "ssl_fc_client_early_traffic_secret")


@dataclass(frozen=True)
class Suite:
    """One cipher suite at one TLS version, as the server is forced to negotiate it."""
    version: str  # "1.2" or "1.3" (the ledger's tls.version)
    iana: str  # the IANA name: tshark's and the ledger's tls.cipher
    openssl: str  # OpenSSL's name, for HAProxy's ciphers / ciphersuites
    key: str = "rsa"  # the certificate's key: "rsa" or "ecdsa" (ECDHE-ECDSA suites)
    etm: bool = True  # CBC suites: encrypt-then-MAC allowed (False: MAC-then-encrypt forced)


SUITES = {
    "tls13_aes128gcm": Suite("1.3", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    "tls13_aes256gcm": Suite("1.3", "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    "tls13_chacha20": Suite("1.3", "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
    "tls12_rsa_aes128gcm": Suite("1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
    "tls12_ecdsa_aes128gcm": Suite("1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                   "ECDHE-ECDSA-AES128-GCM-SHA256", key="ecdsa"),
    "tls12_rsa_aes256gcm": Suite("1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"),
    "tls12_ecdsa_aes256gcm": Suite("1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                   "ECDHE-ECDSA-AES256-GCM-SHA384", key="ecdsa"),
    "tls12_rsa_chacha20": Suite("1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                "ECDHE-RSA-CHACHA20-POLY1305"),
    "tls12_ecdsa_chacha20": Suite("1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                  "ECDHE-ECDSA-CHACHA20-POLY1305", key="ecdsa"),
    "tls12_rsa_aes128cbc": Suite("1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"),
    "tls12_rsa_aes128cbc_mte": Suite("1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA",
                                     etm=False),
}

# The names in the certificate: path-style S3 under s3.amazonaws.com (curl, with --resolve, so
# the ClientHello carries an SNI) and 127.0.0.1 (SDKs given an endpoint URL: no SNI for an IP).
CERT_NAMES = ("s3.amazonaws.com", "*.s3.amazonaws.com")


@dataclass
class Cert:
    cert: Path  # PEM certificate (self-signed: also the CA bundle clients are given)
    key: Path
    bundle: Path  # certificate + key, as HAProxy's `crt` wants them


def make_cert(h: Harness, key_type: str = "rsa") -> Cert:
    """A self-signed certificate for CERT_NAMES and IP 127.0.0.1, made by openssl (as stunnel_bulk
    does), before the capture starts."""
    cert, key, bundle = (h.work / f"{key_type}-cert.pem", h.work / f"{key_type}-key.pem",
                         h.work / f"{key_type}-bundle.pem")
    if bundle.exists():
        return Cert(cert, key, bundle)
    newkey = ["-newkey", "rsa:2048"] if key_type == "rsa" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    san = ",".join([f"DNS:{n}" for n in CERT_NAMES] + ["IP:127.0.0.1"])
    h.run(["openssl", "req", "-x509", *newkey, "-nodes", "-days", "2", "-subj", f"/CN={CERT_NAMES[0]}",
           "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)], name="openssl")
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    bundle.chmod(0o600)
    return Cert(cert, key, bundle)


@dataclass
class Listener:
    """One HAProxy frontend: a suite, and whether TLS 1.2 session tickets are offered (without
    them a TLS 1.2 session resumes by session ID).

    curves: the key exchange groups the listener accepts (`curves`, e.g. "P-256"): a TLS 1.3
        client whose ClientHello carries a key share for another group only is sent a
        HelloRetryRequest.
    early_data: accept TLS 1.3 0-RTT data (`allow-0rtt`). The tickets such a listener issues
        let a client send 0-RTT data (their max_early_data); the listener the client presents one
        to decides whether to accept it.
    log_early_secret: also log CLIENT_EARLY_TRAFFIC_SECRET (only for a listener every connection
        of which sends accepted 0-RTT data: see TLS13_FETCHES).
    log_keys: False keeps this listener's keys out of HAProxy's key log (a client logs them)."""
    suite: Suite
    tickets: bool = True
    name: str = ""
    curves: str | None = None
    early_data: bool = False
    log_early_secret: bool = False
    log_keys: bool = True


@dataclass
class TlsEndpoint:
    host: str
    port: int
    suite: Suite
    cert: Cert
    keylog: Path | None

    @property
    def base(self) -> str:
        return f"https://{self.host}:{self.port}"


def _log_format(suite: Suite, early_secret: bool = False) -> str:
    if suite.version == "1.2":
        lines = ["CLIENT_RANDOM %[ssl_fc_client_random,hex] %[ssl_fc_session_key,hex]"]
    else:
        fetches = ((EARLY_FETCH,) if early_secret else ()) + TLS13_FETCHES
        lines = [f"{label} %[ssl_fc_client_random,hex] %[{fetch}]" for label, fetch in fetches]
    # "\n" inside a quoted HAProxy string is a line feed: one log message, several key log lines.
    return "\\n".join(lines)


def _ticket_keys(h: Harness) -> Path:
    """A `tls-ticket-keys` file: three random 48-byte keys (HAProxy wants at least three; the last
    but one encrypts new tickets), so that every listener given it takes the others' tickets."""
    path = h.work / "haproxy-tickets.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(base64.b64encode(os.urandom(48)).decode() + "\n" for _ in range(3)))
    return path


def start_haproxy(h: Harness, backend: Endpoint, listeners: list[Listener], *,
                  keylog: Path | None, shared_tickets: bool = False) -> list[TlsEndpoint]:
    """One HAProxy process with a TLS frontend per listener in front of `backend`, each on a free
    loopback port. With `keylog` (registered with h.add_keylog first), every handshake's keys are
    appended to it as NSS lines (but those of listeners with log_keys False). With
    `shared_tickets`, every listener encrypts its session tickets with the same keys, so a session
    from one resumes on another. The TLS ports are added to the capture and to h.tls_ports; the
    backend's port is the caller's business (usually not captured: it is the plaintext leg)."""
    if not Path(HAPROXY).exists():
        raise ScenarioError(f"{HAPROXY} is missing: run scripts/install-e2e-deps")
    if keylog is not None and keylog not in h.keylogs:
        raise ScenarioError("register the key log with h.add_keylog() before starting HAProxy")
    if len({lst.suite.etm for lst in listeners}) > 1:
        raise ScenarioError("encrypt-then-MAC is per process (OPENSSL_CONF): one HAProxy per setting")
    global_lines = ["global", "    nbthread 1", "    maxconn 256"]
    if keylog is not None:
        # A log line is cut at 1024 bytes by default: TLS 1.3 with a SHA-384 suite and the early
        # secret is six key log lines of about 190 bytes in one message.
        global_lines += ["    tune.ssl.keylog on", "    log stdout len 4096 format raw local0"]
    conf = [*global_lines, "defaults", "    mode tcp", "    timeout connect 5s", "    timeout client 30s",
            "    timeout server 30s", ""]
    tickets = _ticket_keys(h) if shared_tickets else None
    endpoints = []
    for n, lst in enumerate(listeners):
        suite = lst.suite
        cert = make_cert(h, suite.key)
        port = free_port(LOOPBACK_V4)
        tls_ver = "TLSv1.2" if suite.version == "1.2" else "TLSv1.3"
        bind = [f"bind {LOOPBACK_V4}:{port} ssl crt {cert.bundle}", f"ssl-min-ver {tls_ver}",
                f"ssl-max-ver {tls_ver}"]
        bind.append(f"ciphers {suite.openssl}" if suite.version == "1.2" else f"ciphersuites {suite.openssl}")
        if not lst.tickets:
            bind.append("no-tls-tickets")
        if tickets is not None:
            bind.append(f"tls-ticket-keys {tickets}")
        if lst.curves:
            bind.append(f"curves {lst.curves}")
        if lst.early_data:
            bind.append("allow-0rtt")
        if lst.log_early_secret and (suite.version != "1.3" or not lst.early_data):
            raise ScenarioError("log_early_secret needs a TLS 1.3 listener with early_data")
        conf += [f"frontend tls{n}", "    " + " ".join(bind)]
        if keylog is not None and lst.log_keys:
            conf += ["    log global", "    option logasap", "    option dontlognull",
                     f'    log-format "{_log_format(suite, lst.log_early_secret)}"']
        conf += [f"    default_backend store{n}", f"backend store{n}",
                 f"    server s {backend.host.strip('[]')}:{backend.port}", ""]
        endpoints.append(TlsEndpoint(LOOPBACK_V4, port, suite, cert, keylog))
    cfg = h.work / f"haproxy-{endpoints[0].port}.cfg"
    cfg.write_text("\n".join(conf))
    env = clean_env()
    if not listeners[0].suite.etm:
        ossl = h.work / "openssl-no-etm.cnf"
        ossl.write_text("openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                        "system_default = system_default_sect\n[system_default_sect]\n"
                        "Options = -EncryptThenMac\n")
        env["OPENSSL_CONF"] = str(ossl)
    check = h.run([HAPROXY, "-c", "-q", "-f", str(cfg)], env=env, check=False, name="haproxy")
    if check.returncode != 0:
        raise ScenarioError(f"haproxy rejects {cfg}:\n{check.stdout.decode(errors='replace')}"
                            f"{check.stderr.decode(errors='replace')}")
    proc = h.start(f"haproxy-{endpoints[0].port}", [HAPROXY, "-db", "-f", str(cfg)], env=env,
                   stdout_path=keylog)
    for ep in endpoints:
        h.wait_tcp(ep.host, ep.port, proc)
        h.capture_ports.append(ep.port)
        h.tls_ports.append(ep.port)
    return endpoints


def keylog_lines(path: Path) -> list[str]:
    """The key log's lines, for a scenario's own count (each connection must have its keys)."""
    return [x for x in path.read_text(errors="replace").splitlines() if x.strip()] if path.exists() else []
