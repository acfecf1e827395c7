#!/usr/bin/env python3
"""A small local stand-in for Google Cloud Storage, for the gcs_responder scenario.

No GCS emulator is packaged for this machine, so this server replays the responses Google
documents for the XML API (https://cloud.google.com/storage/docs/xml-api) and the JSON API
(https://cloud.google.com/storage/docs/json_api): listings (XML ListBucketResult with
max-keys/marker/NextMarker; JSON objects.list with maxResults/pageToken/nextPageToken),
objects.get metadata and alt=media downloads (ranged too), buckets.get, and the error documents
(XML <Error><Code>NoSuchKey|NoSuchBucket|AccessDenied</Code>; JSON {"error": {"code", "message",
"errors": [{"reason": "notFound"|"forbidden"|"authError"}]}}), with the response headers GCS
sends (x-guploader-uploadid, x-goog-generation, x-goog-metageneration, x-goog-hash,
x-goog-stored-content-length, x-goog-storage-class, Server: UploadServer).

Access model: bucket public-gcs-data is readable by allUsers; locked-gcs-data needs a credential:
`Authorization: Bearer ya29.e2e-test-token`, a GOOG4-HMAC-SHA256 Authorization header with access
id GOOG1E2ETESTACCESSID, or a V4 signed URL (X-Goog-Signature). Signatures are NOT verified
(a passive sensor never can either): their presence and access id decide. Any other bucket does
not exist. Serves loopback only; HTTP/1.1 keep-alive. Python standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUFFIX = "storage.googleapis.com"
BEARER_TOKEN = "ya29.e2e-test-token"
HMAC_ACCESS_ID = "GOOG1E2ETESTACCESSID"
XML_DECL = "<?xml version='1.0' encoding='UTF-8'?>"

BUCKETS: dict[str, dict] = {
    "public-gcs-data": {
        "public": True,
        "objects": {
            "index.html": (b"<html><body>public gcs</body></html>\n", "text/html"),
            "logo.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png"),
            "reports/2024.csv": (b"year,total\n2024,1\n" * 10, "text/csv"),
            "reports/2025.csv": (b"year,total\n2025,2\n" * 10, "text/csv"),
            "reports/2026.csv": (b"year,total\n2026,3\n" * 10, "text/csv"),
        },
    },
    "locked-gcs-data": {
        "public": False,
        "objects": {"secret.txt": (b"top secret\n" * 5, "text/plain")},
    },
}


def generation(bucket: str, name: str) -> int:
    return 1700000000000000 + int(hashlib.sha256(f"{bucket}/{name}".encode()).hexdigest()[:6], 16)


def object_resource(bucket: str, name: str) -> dict:
    data, ctype = BUCKETS[bucket]["objects"][name]
    gen = generation(bucket, name)
    quoted = urllib.parse.quote(name, safe="")
    return {
        "kind": "storage#object",
        "id": f"{bucket}/{name}/{gen}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{quoted}",
        "mediaLink": f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{quoted}?generation={gen}&alt=media",
        "name": name,
        "bucket": bucket,
        "generation": str(gen),
        "metageneration": "1",
        "contentType": ctype,
        "storageClass": "STANDARD",
        "size": str(len(data)),
        "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
        "etag": "CJ" + base64.b64encode(str(gen).encode()).decode()[:10],
        "timeCreated": "2026-11-01T09:00:00.000Z",
        "updated": "2026-11-01T09:00:00.000Z",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "UploadServer"
    sys_version = ""

    def log_message(self, fmt, *args):  # one line per request in the server log
        sys.stderr.write(f"{self.command} {self.path} -> {fmt % args}\n")

    # ------------------------------------------------------------------ plumbing
    def send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-GUploader-UploadID", "ABPtcPp" + hashlib.sha1(self.path.encode()).hexdigest()[:40])
        self.send_header("Cache-Control", "private, max-age=0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def xml_error(self, status: int, code: str, message: str, details: str = "") -> None:
        body = f"{XML_DECL}<Error><Code>{code}</Code><Message>{message}</Message>"
        if details:
            body += f"<Details>{details}</Details>"
        self.send(status, (body + "</Error>").encode(), "application/xml; charset=UTF-8")

    def json_error(self, status: int, reason: str, message: str, extra: dict | None = None) -> None:
        err = {"message": message, "domain": "global", "reason": reason, **(extra or {})}
        body = json.dumps({"error": {"code": status, "message": message, "errors": [err]}}, indent=2)
        headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'} if status == 401 else None
        self.send(status, body.encode(), "application/json; charset=UTF-8", headers)

    def send_media(self, bucket: str, name: str) -> None:
        data, ctype = BUCKETS[bucket]["objects"][name]
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        headers = {
            "x-goog-generation": str(generation(bucket, name)),
            "x-goog-metageneration": "1",
            "x-goog-stored-content-encoding": "identity",
            "x-goog-stored-content-length": str(len(data)),
            "x-goog-hash": f"md5={md5}",
            "x-goog-storage-class": "STANDARD",
            "Accept-Ranges": "bytes",
        }
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
            if start > end:
                self.xml_error(416, "InvalidRange", "The requested range cannot be satisfied.")
                return
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self.send(206, data[start:end + 1], ctype, headers)
            return
        self.send(200, data, ctype, headers)

    # ------------------------------------------------------------------ access
    def credential(self, query: dict[str, str]) -> str | None:
        """"bearer", "hmac", "signed-url", "invalid" or None (anonymous)."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return "bearer" if auth[7:].strip() == BEARER_TOKEN else "invalid"
        m = re.match(r"GOOG4-HMAC-SHA256 Credential=([^/]+)/", auth)
        if m:
            return "hmac" if m.group(1) == HMAC_ACCESS_ID else "invalid"
        if auth:
            return "invalid"
        if "X-Goog-Signature" in query and query.get("X-Goog-Algorithm", "").startswith("GOOG4-"):
            return "signed-url"
        return None

    def allowed(self, bucket: str, query: dict[str, str]) -> tuple[bool, str | None]:
        cred = self.credential(query)
        if cred == "invalid":
            return False, "invalid"
        return BUCKETS[bucket]["public"] or cred is not None, cred

    # ------------------------------------------------------------------ routing
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0].lower()
        if not host.endswith(SUFFIX):
            self.xml_error(400, "InvalidURI", "Couldn't parse the specified URI.")
            return
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        path = split.path
        vhost_bucket = host[: -len(SUFFIX) - 1] if host != SUFFIX else None
        if vhost_bucket is None and (path.startswith("/storage/v1/") or path.startswith("/download/storage/v1/")):
            self.json_api(path, query)
        else:
            self.xml_api(vhost_bucket, path, query)

    def json_api(self, path: str, query: dict[str, str]) -> None:
        m = re.fullmatch(r"(/download)?/storage/v1/b/([^/]+)(?:/o(?:/(.+))?)?", path)
        if not m:
            self.json_error(404, "notFound", "Not Found")
            return
        download, bucket, obj_path = m.group(1), m.group(2), m.group(3)
        listing = obj_path is None and path.rstrip("/").endswith("/o")
        name = urllib.parse.unquote(obj_path) if obj_path else None
        if bucket not in BUCKETS:
            self.json_error(404, "notFound", "The specified bucket does not exist.")
            return
        ok, cred = self.allowed(bucket, query)
        if cred == "invalid":
            self.json_error(401, "authError", "Invalid Credentials",
                            {"locationType": "header", "location": "Authorization"})
            return
        if not ok:
            perm = "storage.objects.list" if listing else "storage.objects.get" if name else "storage.buckets.get"
            what = f"bucket {bucket}" if not name else f"object {bucket}/{name}"
            self.json_error(403, "forbidden", f"Anonymous caller does not have {perm} access to the Google Cloud "
                            f"Storage {what}. Permission '{perm}' denied on resource (or it may not exist).")
            return
        if name is None and not listing:  # buckets.get
            body = {"kind": "storage#bucket", "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
                    "id": bucket, "name": bucket, "projectNumber": "123456789012", "metageneration": "1",
                    "location": "US", "storageClass": "STANDARD", "etag": "CAE=",
                    "timeCreated": "2026-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z",
                    "locationType": "multi-region"}
            self.send(200, json.dumps(body, indent=2).encode(), "application/json; charset=UTF-8")
            return
        if listing:
            prefix = query.get("prefix", "")
            names = sorted(n for n in BUCKETS[bucket]["objects"] if n.startswith(prefix))
            start = int(base64.b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
            size = max(1, min(int(query.get("maxResults", "1000")), 1000))
            page = names[start:start + size]
            body = {"kind": "storage#objects", "items": [object_resource(bucket, n) for n in page]}
            if start + size < len(names):
                body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
            self.send(200, json.dumps(body, indent=2).encode(), "application/json; charset=UTF-8")
            return
        if name not in BUCKETS[bucket]["objects"]:
            self.json_error(404, "notFound", f"No such object: {bucket}/{name}")
            return
        if download or query.get("alt") == "media":
            self.send_media(bucket, name)
        else:
            self.send(200, json.dumps(object_resource(bucket, name), indent=2).encode(),
                      "application/json; charset=UTF-8")

    def xml_api(self, vhost_bucket: str | None, path: str, query: dict[str, str]) -> None:
        parts = urllib.parse.unquote(path).lstrip("/")
        if vhost_bucket:
            bucket, name = vhost_bucket, parts or None
        else:
            bucket, _, name = parts.partition("/")
            name = name or None
        if not bucket:
            self.xml_error(400, "MissingSecurityHeader", "Your request was missing a required header.",
                           "Authorization")
            return
        if bucket not in BUCKETS:
            self.xml_error(404, "NoSuchBucket", "The specified bucket does not exist.")
            return
        ok, cred = self.allowed(bucket, query)
        if cred == "invalid":
            self.xml_error(403, "InvalidSecurity", "The provided security credentials are not valid.")
            return
        if not ok:
            perm = "storage.objects.get" if name else "storage.objects.list"
            what = f"object {bucket}/{name}" if name else f"bucket {bucket}"
            self.xml_error(403, "AccessDenied", "Access denied.",
                           f"Anonymous caller does not have {perm} access to the Google Cloud Storage {what}. "
                           f"Permission '{perm}' denied on resource (or it may not exist).")
            return
        if name is None:
            prefix = query.get("prefix", "")
            marker = query.get("marker", "")
            size = max(1, min(int(query.get("max-keys", "1000")), 1000))
            names = sorted(n for n in BUCKETS[bucket]["objects"] if n.startswith(prefix) and n > marker)
            page = names[:size]
            truncated = len(names) > size
            body = [f"{XML_DECL}<ListBucketResult xmlns='http://doc.s3.amazonaws.com/2006-03-01'>",
                    f"<Name>{bucket}</Name><Prefix>{prefix}</Prefix><Marker>{marker}</Marker>"]
            if truncated:
                body.append(f"<NextMarker>{page[-1]}</NextMarker>")
            body.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
            for n in page:
                data, _ = BUCKETS[bucket]["objects"][n]
                body.append(f"<Contents><Key>{n}</Key><Generation>{generation(bucket, n)}</Generation>"
                            f"<MetaGeneration>1</MetaGeneration><LastModified>2026-11-01T09:00:00.000Z</LastModified>"
                            f"<ETag>\"{hashlib.md5(data).hexdigest()}\"</ETag><Size>{len(data)}</Size></Contents>")
            body.append("</ListBucketResult>")
            self.send(200, "".join(body).encode(), "application/xml; charset=UTF-8")
            return
        if name not in BUCKETS[bucket]["objects"]:
            self.xml_error(404, "NoSuchKey", "The specified key does not exist.", f"No such object: {bucket}/{name}")
            return
        self.send_media(bucket, name)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print("gcs_responder serves loopback only", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"gcs_responder listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
