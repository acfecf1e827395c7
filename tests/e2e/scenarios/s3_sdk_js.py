"""@aws-sdk/client-s3 (Node, SigV4, forcePathStyle) against s3rver on 127.0.0.1, then presigned
URLs from @aws-sdk/s3-request-presigner fetched with curl.

Signed: ListBuckets, HeadBucket, two PutObject (one key with a space), ListObjectsV2 paged with
MaxKeys=2 and a continuation token, HeadObject, GetObject whole and ranged (206), GetObject of a
missing key (404 NoSuchKey), DeleteObject (204). Anonymous (a no-op signer): ListObjectsV2 and
GetObject. Presigned (X-Amz-Signature in the query): GetObject and PutObject with curl.
The client runs with maxAttempts 1 and checksums only when required, so each call is one request.
"""

import json

from harness import E2E_DIR, Harness, clean_env
from servers import S3RVER_ACCESS_KEY, seed_s3_objects, start_s3rver

BUCKET = "app-uploads"
SEED = {"sdk/seed.bin": bytes(range(256)) * 4}
S3 = {"provider": "s3_compatible", "client": "aws-sdk-js"}
SIGNED = {**S3, "auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY}
ANON = {**S3, "auth": "anonymous"}
CLIENT = E2E_DIR / "clients" / "s3_sdk.mjs"


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, SEED)
    env = clean_env()
    h.start_capture()

    cp = h.run(["node", str(CLIENT), "calls", ep.base, BUCKET], env=env, name="s3_sdk.mjs")
    got = [json.loads(line) for line in cp.stdout.decode().splitlines() if line.strip()]
    labels = [g["label"] for g in got]
    want_labels = ["ListBuckets", "HeadBucket", "PutObject", "PutObject", "ListObjectsV2", "ListObjectsV2",
                   "HeadObject", "GetObject", "GetObjectRange", "GetObjectMissing", "DeleteObject",
                   "AnonymousListObjectsV2", "AnonymousGetObject"]
    h.check(labels == want_labels, f"SDK client made calls {labels}")

    def result(i: int, status: int, **fields) -> dict:
        g = got[i]
        h.check(g["status"] == status, f"{g['label']}: status {g['status']}, intended {status}: {g}")
        for k, v in fields.items():
            h.check(g.get(k) == v, f"{g['label']}: {k}={g.get(k)!r}, intended {v!r}")
        return g

    b = f"/{BUCKET}"
    bl = f"/{BUCKET}/"  # the SDK addresses bucket-level operations with a trailing slash
    result(0, 200)
    h.check(BUCKET in got[0].get("buckets", []), "ListBuckets did not return the bucket")
    h.expect(**SIGNED, method="GET", path="/", operation="ListBuckets", bucket=None, key=None, status=200,
             error_code=None)
    result(1, 200)
    h.expect(**SIGNED, method="HEAD", path=bl, operation="HeadBucket", bucket=BUCKET, key=None, status=200)
    result(2, 200)
    h.expect(**SIGNED, method="PUT", path=f"{b}/sdk/upload-1.json", operation="PutObject", bucket=BUCKET,
             key="sdk/upload-1.json", status=200, error_code=None)
    result(3, 200)
    h.expect(**SIGNED, method="PUT", path=f"{b}/sdk/upload 2.json", operation="PutObject", bucket=BUCKET,
             key="sdk/upload 2.json", status=200, error_code=None)
    result(4, 200, list_keys=2, truncated=True)
    h.expect(**SIGNED, method="GET", path=bl, query={"list-type": "2", "prefix": "sdk/", "max-keys": "2"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=2,
             list_truncated=True)
    result(5, 200, list_keys=1, truncated=False)
    h.expect(**SIGNED, method="GET", path=bl,
             query={"list-type": "2", "prefix": "sdk/", "max-keys": "2", "continuation-token": None},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=1,
             list_truncated=False)
    result(6, 200, length=1024)
    h.expect(**SIGNED, method="HEAD", path=f"{b}/sdk/seed.bin", operation="HeadObject", bucket=BUCKET,
             key="sdk/seed.bin", status=200)
    result(7, 200, length=1024)
    h.expect(**SIGNED, method="GET", path=f"{b}/sdk/seed.bin", operation="GetObject", bucket=BUCKET,
             key="sdk/seed.bin", status=200, error_code=None)
    result(8, 206, length=16)
    h.expect(**SIGNED, method="GET", path=f"{b}/sdk/seed.bin", operation="GetObject", bucket=BUCKET,
             key="sdk/seed.bin", status=206, error_code=None, range=True)
    result(9, 404, error_code="NoSuchKey")
    h.expect(**SIGNED, method="GET", path=f"{b}/sdk/missing.bin", operation="GetObject", bucket=BUCKET,
             key="sdk/missing.bin", status=404, error_code="NoSuchKey")
    result(10, 204)
    h.expect(**SIGNED, method="DELETE", path=f"{b}/sdk/upload-1.json", operation="DeleteObject", bucket=BUCKET,
             key="sdk/upload-1.json", status=204, error_code=None)
    result(11, 200, list_keys=2, truncated=False)
    h.expect(**ANON, method="GET", path=bl, query={"list-type": "2"}, operation="ListObjectsV2", bucket=BUCKET,
             key=None, status=200, error_code=None, list_keys=2, list_truncated=False)
    result(12, 200, length=1024)
    h.expect(**ANON, method="GET", path=f"{b}/sdk/seed.bin", operation="GetObject", bucket=BUCKET,
             key="sdk/seed.bin", status=200, error_code=None)

    # Presigned URLs (computed locally, no traffic), used by curl.
    urls = json.loads(h.run(["node", str(CLIENT), "presign", ep.base, BUCKET, "sdk/seed.bin"], env=env,
                            name="s3_sdk.mjs").stdout)
    presigned = {"provider": "s3_compatible", "auth": "presigned", "auth_scheme": "SigV4",
                 "access_key_id": S3RVER_ACCESS_KEY, "bucket": BUCKET}
    res = h.curl_expect(urls["get"], expect={**presigned, "operation": "GetObject", "key": "sdk/seed.bin",
                                             "status": 200, "error_code": None})
    h.check(res.body == SEED["sdk/seed.bin"], "presigned GetObject body differs")
    h.curl_expect(urls["put"], method="PUT", data=b"copied through a presigned PUT\n",
                  expect={**presigned, "operation": "PutObject", "key": "sdk/seed.bin.copy", "status": 200,
                          "error_code": None})
