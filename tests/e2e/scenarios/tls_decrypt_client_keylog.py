"""Issue 19: key logs written by the clients while the capture runs, HAProxy logging none: curl
(SSLKEYLOGFILE) and boto3 (botocore's SSLKEYLOGFILE) over TLS 1.3 TLS_AES_256_GCM_SHA384, the
Node @aws-sdk/client-s3 (node --tls-keylog) over TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384. Three
files, lower-case hex, each given to the sensor as its own --tls-keylog and followed live.
See tests/e2e/lib/tls_decrypt.py."""

import tls_decrypt
from harness import Harness


def run(h: Harness) -> None:
    tls_decrypt.run_client_keylogs(h)


def finish(h: Harness) -> None:
    tls_decrypt.finish(h)
