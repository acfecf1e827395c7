"""Adds to the manifest the requests a client library sent on its own (probes, retries).

Only for clients whose exact requests cannot be known beforehand: after the capture is stopped,
the wire is read with tshark (check_capture.read_wire), intended manifest lines are matched first,
and every request left over is classified here and appended with "origin": "capture". Such a line
asserts method, path, operation, auth class and status (all read off the wire), never an error
code or a listing count. The intended lines (the scenario's core assertions) are untouched.
"""

from __future__ import annotations

import sys
import urllib.parse

from harness import E2E_DIR, Harness

sys.path.insert(0, str(E2E_DIR))
import check_capture  # noqa: E402


def s3_operation(method: str, path: str, query: dict[str, str]) -> tuple[str, str | None, str | None]:
    """(operation, bucket, key) of a path-style S3 request."""
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0] or None
    key = parts[1] if len(parts) > 1 and parts[1] else None
    q = set(query)
    if bucket is None:
        return ("ListBuckets" if method == "GET" else f"{method}Service"), None, None
    if key is None:
        if method == "GET":
            for sub, op in (("list-type", "ListObjectsV2"), ("versions", "ListObjectVersions"),
                            ("uploads", "ListMultipartUploads"), ("location", "GetBucketLocation"),
                            ("acl", "GetBucketAcl"), ("policy", "GetBucketPolicy"),
                            ("versioning", "GetBucketVersioning"), ("cors", "GetBucketCors")):
                if sub in q:
                    return op, bucket, None
            return "ListObjects", bucket, None
        op = {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
        if method == "POST" and "delete" in q:
            op = "DeleteObjects"
        return op or f"{method}Bucket", bucket, None
    if method == "GET":
        op = "GetObjectAcl" if "acl" in q else "GetObjectTagging" if "tagging" in q else \
            "ListParts" if "uploadId" in q else "GetObject"
    elif method == "PUT":
        op = "UploadPart" if "partNumber" in q else "PutObject"
    elif method == "DELETE":
        op = "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    elif method == "POST":
        op = "CreateMultipartUpload" if "uploads" in q else "CompleteMultipartUpload"
    else:
        op = "HeadObject" if method == "HEAD" else f"{method}Object"
    return op, bucket, key


def _match(h: Harness) -> tuple[list[dict], list[bool], dict[int, int]]:
    """Wire requests, which of them a manifest line claimed, and manifest line id -> wire index."""
    ports = sorted(set(h.capture_ports) | set(h.tls_ports))
    keylog = h.merged_keylog() if h.tls_ports else None
    wire = check_capture.read_wire("tshark", str(h.pcap), ports, sorted(set(h.tls_ports)),
                                   str(keylog) if keylog else None)
    used = [False] * len(wire)
    index_of: dict[int, int] = {}
    for exp in h.manifest:
        for i, req in enumerate(wire):
            if not used[i] and not check_capture.matches(exp, req):
                used[i] = True
                index_of[id(exp)] = i
                break
    return wire, used, index_of


def _sort_by_wire(h: Harness, index_of: dict[int, int]) -> None:
    # Lines whose request is not on the wire keep their relative place at the end; check_capture
    # reports them.
    h.manifest.sort(key=lambda e: index_of.get(id(e), 1 << 30))
    for n, line in enumerate(h.manifest, 1):
        line["seq"] = n


def order_by_wire(h: Harness) -> None:
    """Renumbers the manifest in the order the requests were on the wire. Clients that use several
    connections at once (aws s3 sync) put requests on the wire in an order of their choosing; the
    ledger check's per-connection order (--ordered) must follow the wire, not the plan. Requests
    in one segment (pipelining) keep their order."""
    _, _, index_of = _match(h)
    _sort_by_wire(h, index_of)


def add_unintended_from_capture(h: Harness, *, client: str, provider: str) -> int:
    wire, used, index_of = _match(h)
    added = 0
    for i, (req, u) in enumerate(zip(wire, used)):
        if u:
            continue
        split = urllib.parse.urlsplit(req["uri"])
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        path = urllib.parse.unquote(split.path)
        operation, bucket, key = s3_operation(req["method"], path, query)
        scheme, akid = check_capture.wire_auth_scheme(req)
        line = {"client": client, "provider": provider, "method": req["method"], "path": path,
                "operation": operation, "bucket": bucket, "key": key,
                "auth": check_capture.wire_auth_class(req), "status": req["status"]}
        if query:
            line["query"] = {k: None for k in query}
        if scheme:
            line["auth_scheme"] = scheme
        if akid:
            line["access_key_id"] = akid
        index_of[id(h.expect_observed(**line))] = i
        added += 1
    if added:
        # Put every line where its request was on the wire, so that the per-connection order the
        # ledger check asserts (--ordered) holds for the added lines too.
        _sort_by_wire(h, index_of)
        h.notes.append(f"{added} request(s) sent by {client} on its own were read from the capture")
    return added
