"""Issue 19: session resumption. `openssl s_client` makes a full handshake (-sess_out) and then a
resumed one (-sess_in) to three HAProxy listeners: TLS 1.2 by session ID (no-tls-tickets, client
-no_ticket), TLS 1.2 by session ticket, TLS 1.3 by PSK ticket. HAProxy logs each connection's
keys (for a resumed TLS 1.2 session: the session's master secret under the new client random).
Raw HTTP/1.1 requests on each connection, the same ones in plaintext for the other half.
See tests/e2e/lib/tls_decrypt.py."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_resume(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
