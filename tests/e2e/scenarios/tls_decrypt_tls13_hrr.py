"""Issue 19: TLS 1.3 HelloRetryRequest. HAProxy (TLS_AES_128_GCM_SHA256, keys from its key log)
accepts the P-256 group only; curl (--curves X25519:P-256, five connections) and openssl s_client
(-groups X25519:P-256, one connection with five raw HTTP/1.1 requests) send a key share for X25519
alone, so every handshake has a HelloRetryRequest and a second ClientHello. The same requests in
plaintext make the other half; tshark must see the HelloRetryRequest on every TLS connection. See
tests/e2e/lib/tls_decrypt.py."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_hrr(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
