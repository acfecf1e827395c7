"""Issue 19: TLS 1.3 KeyUpdate in both directions. One `openssl s_client` connection through
HAProxy (TLS_AES_256_GCM_SHA384, keys from HAProxy's key log) carries five raw HTTP/1.1 requests
with KeyUpdates between them: K (update_requested: HAProxy answers with its own), k, K — five
KeyUpdate messages, each request after one under new keys. The same requests on one plaintext
connection make the other half. See tests/e2e/lib/tls_decrypt.py and lib/sclient.py."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_keyupdate(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
