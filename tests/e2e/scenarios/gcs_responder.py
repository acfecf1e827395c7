"""Google Cloud Storage by real curl requests against servers/gcs_responder.py.

No GCS emulator is packaged here, so this scenario's server is a local responder that replays
the responses Google documents (see its docstring); the clients and the wire are real: curl sends
the requests with the GCS host names in the Host header (or --resolve), over loopback.

JSON API (storage.googleapis.com/storage/v1): objects.list paged with maxResults=2 and
pageToken/nextPageToken (3 pages), objects.get metadata, objects.get alt=media whole and ranged,
the /download/ media path, buckets.get, objects.get of a missing object (404 notFound), an
anonymous objects.list of a private bucket (403 forbidden), the same with a Bearer token (200),
and with a wrong token (401 authError).
XML API: objects.list by vhost name (<bucket>.storage.googleapis.com), objects.list path style
with max-keys and marker, objects.get, NoSuchKey, AccessDenied, NoSuchBucket (a name probe), a
V4 signed URL (X-Goog-Signature) and a GOOG4-HMAC-SHA256 signed request made by curl itself.
"""

import json
import urllib.parse

from harness import Harness, s3_error_code, s3_list_count
from servers import start_gcs_responder

PUB = "public-gcs-data"
LOCKED = "locked-gcs-data"
GCS = {"provider": "gcs", "client": "curl"}
ANON = {**GCS, "auth": "anonymous"}
HOST = "storage.googleapis.com"
TOKEN = "ya29.e2e-test-token"
HMAC_ID = "GOOG1E2ETESTACCESSID"


def json_reason(res) -> str | None:
    try:
        return json.loads(res.body)["error"]["errors"][0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def json_list(body: bytes):
    doc = json.loads(body)
    n = len(doc.get("items", [])) + len(doc.get("prefixes", []))
    return n, "nextPageToken" in doc, doc.get("nextPageToken")


def run(h: Harness) -> None:
    ep = start_gcs_responder(h)
    base = ep.base
    h.start_capture()
    hh = {"Host": HOST}
    j = {"error_parser": json_reason, "headers": hh}

    # JSON API, paged listing.
    url = f"{base}/storage/v1/b/{PUB}/o?maxResults=2"
    res = h.curl_expect(url, list_parser=json_list, **j,
                        expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": PUB, "key": None,
                                "status": 200, "error_code": None, "list_keys": 2, "list_truncated": True})
    token = json.loads(res.body)["nextPageToken"]
    res = h.curl_expect(f"{url}&pageToken={urllib.parse.quote(token)}", list_parser=json_list, **j,
                        expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": PUB, "key": None,
                                "status": 200, "error_code": None, "list_keys": 2, "list_truncated": True})
    token = json.loads(res.body)["nextPageToken"]
    h.curl_expect(f"{url}&pageToken={urllib.parse.quote(token)}", list_parser=json_list, **j,
                  expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": PUB, "key": None,
                          "status": 200, "error_code": None, "list_keys": 1, "list_truncated": False})

    obj = "reports/2026.csv"
    q = urllib.parse.quote(obj, safe="")
    res = h.curl_expect(f"{base}/storage/v1/b/{PUB}/o/{q}", **j,
                        expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": obj,
                                "status": 200, "error_code": None})
    h.check(json.loads(res.body)["name"] == obj, "objects.get metadata names another object")
    res = h.curl_expect(f"{base}/storage/v1/b/{PUB}/o/{q}?alt=media", **j,
                        expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": obj,
                                "status": 200, "error_code": None})
    h.check(res.body.startswith(b"year,total\n2026"), "alt=media returned the wrong object")
    h.curl_expect(f"{base}/storage/v1/b/{PUB}/o/{q}?alt=media", error_parser=json_reason,
                  headers={**hh, "Range": "bytes=0-9"},
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": obj,
                          "status": 206, "error_code": None, "range": True})
    h.curl_expect(f"{base}/download/storage/v1/b/{PUB}/o/logo.png?alt=media", **j,
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": "logo.png",
                          "status": 200, "error_code": None})
    h.curl_expect(f"{base}/storage/v1/b/{PUB}", **j,
                  expect={**ANON, "host": HOST, "operation": "buckets.get", "bucket": PUB, "key": None,
                          "status": 200, "error_code": None})
    h.curl_expect(f"{base}/storage/v1/b/{PUB}/o/missing.txt?alt=media", **j,
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": "missing.txt",
                          "status": 404, "error_code": "notFound"})
    h.curl_expect(f"{base}/storage/v1/b/{LOCKED}/o", **j,
                  expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": LOCKED, "key": None,
                          "status": 403, "error_code": "forbidden"})
    h.curl_expect(f"{base}/storage/v1/b/{LOCKED}/o", list_parser=json_list, error_parser=json_reason,
                  headers={**hh, "Authorization": f"Bearer {TOKEN}"},
                  expect={**GCS, "auth": "bearer", "auth_scheme": "Bearer", "host": HOST, "operation": "objects.list",
                          "bucket": LOCKED, "key": None, "status": 200, "error_code": None, "list_keys": 1,
                          "list_truncated": False})
    h.curl_expect(f"{base}/storage/v1/b/{LOCKED}/o/secret.txt?alt=media", error_parser=json_reason,
                  headers={**hh, "Authorization": "Bearer ya29.expired-token"},
                  expect={**GCS, "auth": "bearer", "auth_scheme": "Bearer", "host": HOST, "operation": "objects.get",
                          "bucket": LOCKED, "key": "secret.txt", "status": 401, "error_code": "authError"})

    # XML API.
    vhost = f"{PUB}.{HOST}"
    h.curl_expect(f"http://{vhost}:{ep.port}/", resolve=f"{vhost}:{ep.port}:127.0.0.1", list_parser=s3_list_count,
                  expect={**ANON, "host": vhost, "operation": "objects.list", "bucket": PUB, "key": None,
                          "status": 200, "error_code": None, "list_keys": 5, "list_truncated": False})
    res = h.curl_expect(f"{base}/{PUB}?prefix=reports%2F&max-keys=2", headers=hh, list_parser=s3_list_count,
                        expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": PUB, "key": None,
                                "status": 200, "error_code": None, "list_keys": 2, "list_truncated": True})
    marker = s3_list_count(res.body)[2]
    h.curl_expect(f"{base}/{PUB}?prefix=reports%2F&max-keys=2&marker={urllib.parse.quote(marker, safe='')}",
                  headers=hh, list_parser=s3_list_count,
                  expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": PUB, "key": None,
                          "status": 200, "error_code": None, "list_keys": 1, "list_truncated": False})
    h.curl_expect(f"{base}/{PUB}/index.html", headers=hh,
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": "index.html",
                          "status": 200, "error_code": None})
    h.curl_expect(f"{base}/{PUB}/nope.png", headers=hh,
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": PUB, "key": "nope.png",
                          "status": 404, "error_code": "NoSuchKey"})
    h.curl_expect(f"{base}/{LOCKED}/secret.txt", headers=hh,
                  expect={**ANON, "host": HOST, "operation": "objects.get", "bucket": LOCKED, "key": "secret.txt",
                          "status": 403, "error_code": "AccessDenied"})
    h.curl_expect(f"{base}/{PUB}-backup", headers=hh,
                  expect={**ANON, "host": HOST, "operation": "objects.list", "bucket": f"{PUB}-backup", "key": None,
                          "status": 404, "error_code": "NoSuchBucket"})

    # A V4 signed URL as gcloud/gsutil produce it (RSA signature of a service account).
    signed_url = (f"{base}/{LOCKED}/secret.txt?X-Goog-Algorithm=GOOG4-RSA-SHA256"
                  "&X-Goog-Credential=e2e-signer%40example-project.iam.gserviceaccount.com%2F20261123%2Fauto%2F"
                  "storage%2Fgoog4_request&X-Goog-Date=20261123T100000Z&X-Goog-Expires=900"
                  "&X-Goog-SignedHeaders=host&X-Goog-Signature=" + "ab" * 128)
    res = h.curl_expect(signed_url, headers=hh,
                        expect={**GCS, "auth": "presigned", "auth_scheme": "GOOG4",
                                "access_key_id": "e2e-signer@example-project.iam.gserviceaccount.com",
                                "host": HOST, "operation": "objects.get", "bucket": LOCKED, "key": "secret.txt",
                                "status": 200, "error_code": None})
    h.check(res.body.startswith(b"top secret"), "signed URL returned the wrong object")
    # HMAC interoperability: curl signs GOOG4-HMAC-SHA256 itself.
    res = h.curl_expect(f"http://{HOST}:{ep.port}/{LOCKED}/secret.txt", resolve=f"{HOST}:{ep.port}:127.0.0.1",
                        extra=["--aws-sigv4", "goog:goog:auto:storage", "--user", f"{HMAC_ID}:e2e-hmac-secret"],
                        expect={**GCS, "auth": "signed", "auth_scheme": "GOOG4", "access_key_id": HMAC_ID,
                                "host": HOST, "operation": "objects.get", "bucket": LOCKED, "key": "secret.txt",
                                "status": 200, "error_code": None})
    h.check(res.body.startswith(b"top secret"), "HMAC-signed GET returned the wrong object")
    h.check(s3_error_code(res.body) is None, "HMAC-signed GET answered an error document")
