"""Issue 19: HTTPS through HAProxy forced to one suite (tls12_rsa_aes128cbc), the keys
from HAProxy's key log, against the same requests in plaintext. See tests/e2e/lib/tls_decrypt.py
and tests/e2e/lib/tls_terminator.py."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_suite(h, "tls12_rsa_aes128cbc", ["curl", "node"])


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
