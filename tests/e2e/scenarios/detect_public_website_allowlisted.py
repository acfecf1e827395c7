"""Detection scenario (issue 5): a bucket that is meant to be public (a static website) is
browsed and listed without credentials. s3rver serves bucket www.example-shop.com by its
virtual-hosted name www.example-shop.com.s3.amazonaws.com (Host header): an anonymous
ListObjectsV2 and 30 anonymous GetObject of pages and images, plus one NoSuchKey.

With detection.allowlist.public_buckets = ["s3//www.example-shop.com"] (as the scenario's
expected_alerts.json "detection" section sets) nothing may fire; without the allowlist the same
traffic raises anonymous_list and anonymous_read (the "control" run of the replay test).
"""

from harness import Harness, s3_list_count
from servers import seed_s3_objects, start_s3rver

BUCKET = "www.example-shop.com"
HOST = f"{BUCKET}.s3.amazonaws.com"
PAGES = ["index.html", "about.html", "shop.html"] + [f"img/product-{i:02d}.jpg" for i in range(27)]
OBJECTS = {p: (f"<{p}>".encode() * 20) for p in PAGES}
COMMON = {"provider": "s3", "auth": "anonymous", "client": "curl", "host": HOST, "bucket": BUCKET}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, OBJECTS)
    h.start_capture()
    p = ep.port
    hdr = {"Host": HOST}
    h.curl_expect(f"http://127.0.0.1:{p}/?list-type=2", headers=hdr, list_parser=s3_list_count,
                  expect={**COMMON, "operation": "ListObjectsV2", "key": None, "status": 200, "error_code": None,
                          "list_keys": len(PAGES), "list_truncated": False})
    for page in PAGES:
        res = h.curl_expect(f"http://127.0.0.1:{p}/{page}", headers=hdr,
                            expect={**COMMON, "operation": "GetObject", "key": page, "status": 200,
                                    "error_code": None})
        h.check(res.body == OBJECTS[page], f"{page}: body differs")
    h.curl_expect(f"http://127.0.0.1:{p}/favicon.ico", headers=hdr,
                  expect={**COMMON, "operation": "GetObject", "key": "favicon.ico", "status": 404,
                          "error_code": "NoSuchKey"})
