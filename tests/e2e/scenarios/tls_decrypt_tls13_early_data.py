"""Issue 19: TLS 1.3 0-RTT early data, accepted and rejected. openssl s_client resumes a ticket
from HAProxy (TLS_AES_256_GCM_SHA384, `allow-0rtt`) and sends a GetObject as early data, which
HAProxy accepts and logs CLIENT_EARLY_TRAFFIC_SECRET for; then it sends a NoSuchKey GET as early
data to a listener without `allow-0rtt`, which rejects it, and sends the request again after the
handshake (keys from s_client's own key log, early secret included). The ledger must hold the
accepted early request once and the rejected one never, as on the plaintext twin; tshark must
see both 0-RTT outcomes (EncryptedExtensions, EndOfEarlyData). See tests/e2e/lib/tls_decrypt.py
(run_early_data)."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_early_data(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
