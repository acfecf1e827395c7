"""Detection scenario (issue 16): TLS 1.2 through stunnel in front of s3rver; turns counted from
TLS records must equal the requests (N one-connection downloads, M GETs on one keep-alive
connection) and path-style HTTPS to s3.amazonaws.com must raise a bucket-unknown bulk alert.
See tests/e2e/lib/stunnel_bulk.py. The manifest is empty: no HTTP request is visible.
"""

import stunnel_bulk
from harness import Harness


def run(h: Harness) -> None:
    stunnel_bulk.run(h, "TLSv1.2")


def finish(h: Harness) -> None:
    stunnel_bulk.finish(h)
