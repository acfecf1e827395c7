"""Detection scenario (issue 5): an anonymous client pages through a whole s3rver bucket with
ListObjectsV2 (max-keys=50: 5 pages over 240 keys), then downloads 210 objects one by one with
curl, the way a leak is emptied. Path style on 127.0.0.1 (provider s3_compatible).

Alerts it must raise with the default detection config, and the ones it must not, are in
tests/pcap/detect/s3_anonymous_paged_bulk/expected_alerts.json.
"""

from urllib.parse import quote

from harness import Harness, s3_list_count
from servers import seed_s3_objects, start_s3rver

BUCKET = "contracts-2022"
KEYS = [f"contracts/{i:04d}.txt" for i in range(240)]
OBJECTS = {k: (f"contract {k}\n".encode() * 3) for k in KEYS}
PAGE = 50
DOWNLOADS = 210
COMMON = {"provider": "s3_compatible", "auth": "anonymous"}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, OBJECTS)
    h.start_capture()

    url = f"{ep.base}/{BUCKET}?list-type=2&max-keys={PAGE}"
    token = None
    for page in range(5):
        last = page == 4
        page_url = url if token is None else f"{url}&continuation-token={quote(token, safe='')}"
        res = h.curl_expect(page_url, list_parser=s3_list_count,
                            expect={**COMMON, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                                    "status": 200, "error_code": None,
                                    "list_keys": 40 if last else PAGE, "list_truncated": not last})
        _, _, token = s3_list_count(res.body)
        h.check(last or bool(token), f"page {page + 1} carries no NextContinuationToken")

    for key in KEYS[:DOWNLOADS]:
        res = h.curl_expect(f"{ep.base}/{BUCKET}/{key}",
                            expect={**COMMON, "operation": "GetObject", "bucket": BUCKET, "key": key,
                                    "status": 200, "error_code": None})
        h.check(res.body == OBJECTS[key], f"GetObject {key}: body differs from the seeded object")
