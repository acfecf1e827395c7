"""Anonymous curl against s3rver, path style on 127.0.0.1 (so provider s3_compatible).

ListBuckets; ListObjectsV2 paged with max-keys=2 and continuation tokens (3 pages over 5 keys);
ListObjectsV2 with a delimiter (keys + common prefixes); ListObjects (V1) with a marker;
GetObject whole and ranged (206), HeadObject, and the not-found cases NoSuchKey and NoSuchBucket.
"""

from harness import Harness, s3_list_count
from servers import seed_s3_objects, start_s3rver

BUCKET = "public-data"
OBJECTS = {
    "docs/readme.txt": b"read me\n" * 8,
    "docs/guide.txt": b"guide\n" * 20,
    "export/customers.csv": b"id,name\n" + b"".join(b"%d,c%d\n" % (i, i) for i in range(40)),
    "export/orders.csv": b"id,total\n" + b"".join(b"%d,%d\n" % (i, i * 7) for i in range(40)),
    "index.html": b"<html><body>bucket</body></html>\n",
}
COMMON = {"provider": "s3_compatible", "auth": "anonymous"}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, OBJECTS)
    h.start_capture()

    # Account level: the bucket list.
    h.curl_expect(f"{ep.base}/", expect={**COMMON, "operation": "ListBuckets", "bucket": None,
                                         "key": None, "status": 200, "error_code": None})

    # Paged ListObjectsV2: 5 keys, 2 per page -> 2, 2, 1.
    url = f"{ep.base}/{BUCKET}?list-type=2&max-keys=2"
    res = h.curl_expect(url, list_parser=s3_list_count,
                        expect={**COMMON, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                                "status": 200, "error_code": None, "list_keys": 2, "list_truncated": True})
    _, _, token = s3_list_count(res.body)
    h.check(bool(token), "first page carries no NextContinuationToken")
    from urllib.parse import quote
    res = h.curl_expect(f"{url}&continuation-token={quote(token, safe='')}", list_parser=s3_list_count,
                        expect={**COMMON, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                                "status": 200, "error_code": None, "list_keys": 2, "list_truncated": True})
    _, _, token = s3_list_count(res.body)
    h.check(bool(token), "second page carries no NextContinuationToken")
    h.curl_expect(f"{url}&continuation-token={quote(token, safe='')}", list_parser=s3_list_count,
                  expect={**COMMON, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                          "status": 200, "error_code": None, "list_keys": 1, "list_truncated": False})

    # Delimiter: top level shows index.html and the prefixes docs/ and export/.
    h.curl_expect(f"{ep.base}/{BUCKET}?list-type=2&delimiter=%2F", list_parser=s3_list_count,
                  expect={**COMMON, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                          "status": 200, "error_code": None, "list_keys": 3, "list_truncated": False})

    # ListObjects V1 with a marker: the keys after "docs/readme.txt".
    h.curl_expect(f"{ep.base}/{BUCKET}?marker=docs%2Freadme.txt", list_parser=s3_list_count,
                  expect={**COMMON, "operation": "ListObjects", "bucket": BUCKET, "key": None,
                          "status": 200, "error_code": None, "list_keys": 3, "list_truncated": False})

    # Downloads.
    for key in ("export/customers.csv", "export/orders.csv", "index.html"):
        res = h.curl_expect(f"{ep.base}/{BUCKET}/{key}",
                            expect={**COMMON, "operation": "GetObject", "bucket": BUCKET, "key": key,
                                    "status": 200, "error_code": None})
        h.check(res.body == OBJECTS[key], f"GetObject {key}: body differs from the seeded object")
    res = h.curl_expect(f"{ep.base}/{BUCKET}/docs/guide.txt", headers={"Range": "bytes=0-9"},
                        expect={**COMMON, "operation": "GetObject", "bucket": BUCKET, "key": "docs/guide.txt",
                                "status": 206, "error_code": None, "range": True})
    h.check(res.body == OBJECTS["docs/guide.txt"][:10], "ranged GetObject returned the wrong bytes")
    h.curl_expect(f"{ep.base}/{BUCKET}/docs/readme.txt", method="HEAD",
                  expect={**COMMON, "operation": "HeadObject", "bucket": BUCKET, "key": "docs/readme.txt",
                          "status": 200})

    # Not found: a missing key, and a listing of a bucket that does not exist (a name probe).
    h.curl_expect(f"{ep.base}/{BUCKET}/export/payroll.csv",
                  expect={**COMMON, "operation": "GetObject", "bucket": BUCKET, "key": "export/payroll.csv",
                          "status": 404, "error_code": "NoSuchKey"})
    h.curl_expect(f"{ep.base}/public-data-backup?list-type=2",
                  expect={**COMMON, "operation": "ListObjectsV2", "bucket": "public-data-backup", "key": None,
                          "status": 404, "error_code": "NoSuchBucket"})
