"""Issue 19: Azurite over its own HTTPS (Node's TLS server) and @azure/storage-blob under Node
writing the key log (node --tls-keylog). Two Azurites seeded alike, one plaintext and one HTTPS;
the SDK client's anonymous calls (public container list and reads, ranged read, refusals) and
SharedKey calls (ListContainers, paged ListBlobs, PutBlob, GetBlobProperties, GetBlob, ranged
GetBlob, BlobNotFound, DeleteBlob, private container) against each. By IP: no SNI. The ledger's
decrypted half must equal its plaintext half, and tshark with the same key log is the oracle.
See tests/e2e/lib/tls_decrypt.py (run_azurite_node)."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_azurite_node(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
