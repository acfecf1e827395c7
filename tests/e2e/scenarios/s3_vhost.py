"""Amazon S3 host names against s3rver: virtual-hosted buckets (<bucket>.s3.amazonaws.com,
regional and dual-stack names) and path style on s3.amazonaws.com, reached with curl through
--resolve (the name maps to 127.0.0.1) or a Host header. With an AWS name on the wire the
provider is "s3". s3rver serves vhost buckets by Host header (its default, unless
--no-vhost-buckets): it strips `<bucket>.s3[-.<region>].amazonaws.com` into the path.

Anonymous: ListObjectsV2 and GetObject by vhost name, GetObject by regional name in a Host
header, ListObjectsV2 path style on s3.amazonaws.com, HeadObject by dual-stack name, ListObjects
of a bucket that does not exist (404 NoSuchBucket). Signed: a SigV4 GetObject by vhost name
signed by curl itself (--aws-sigv4).
"""

from harness import Harness, s3_list_count
from servers import S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, seed_s3_objects, start_s3rver

BUCKET = "acme-assets"
SEED = {
    "photos/cat.jpg": b"\xff\xd8\xff" + b"c" * 400,
    "photos/dog.jpg": b"\xff\xd8\xff" + b"d" * 400,
    "report.pdf": b"%PDF-1.7\n" * 40,
}
S3 = {"provider": "s3", "client": "curl"}
ANON = {**S3, "auth": "anonymous"}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, SEED)
    h.start_capture()
    p = ep.port

    vhost = f"{BUCKET}.s3.amazonaws.com"
    h.curl_expect(f"http://{vhost}:{p}/?list-type=2", resolve=f"{vhost}:{p}:127.0.0.1", list_parser=s3_list_count,
                  expect={**ANON, "host": vhost, "operation": "ListObjectsV2", "bucket": BUCKET, "key": None,
                          "status": 200, "error_code": None, "list_keys": 3, "list_truncated": False})
    res = h.curl_expect(f"http://{vhost}:{p}/photos/cat.jpg", resolve=f"{vhost}:{p}:127.0.0.1",
                        expect={**ANON, "host": vhost, "operation": "GetObject", "bucket": BUCKET,
                                "key": "photos/cat.jpg", "status": 200, "error_code": None})
    h.check(res.body == SEED["photos/cat.jpg"], "vhost GetObject body differs")

    regional = f"{BUCKET}.s3.us-west-2.amazonaws.com"
    res = h.curl_expect(f"http://127.0.0.1:{p}/report.pdf", headers={"Host": regional},
                        expect={**ANON, "host": regional, "operation": "GetObject", "bucket": BUCKET,
                                "key": "report.pdf", "status": 200, "error_code": None})
    h.check(res.body == SEED["report.pdf"], "regional vhost GetObject body differs")

    h.curl_expect(f"http://127.0.0.1:{p}/{BUCKET}?list-type=2&prefix=photos%2F", headers={"Host": "s3.amazonaws.com"},
                  list_parser=s3_list_count,
                  expect={**ANON, "host": "s3.amazonaws.com", "operation": "ListObjectsV2", "bucket": BUCKET,
                          "key": None, "status": 200, "error_code": None, "list_keys": 2, "list_truncated": False})

    dualstack = f"{BUCKET}.s3.dualstack.us-east-1.amazonaws.com"
    h.curl_expect(f"http://127.0.0.1:{p}/photos/dog.jpg", method="HEAD", headers={"Host": dualstack},
                  expect={**ANON, "host": dualstack, "operation": "HeadObject", "bucket": BUCKET,
                          "key": "photos/dog.jpg", "status": 200})

    probe = "acme-assets-backup.s3.amazonaws.com"
    h.curl_expect(f"http://127.0.0.1:{p}/", headers={"Host": probe},
                  expect={**ANON, "host": probe, "operation": "ListObjects", "bucket": "acme-assets-backup",
                          "key": None, "status": 404, "error_code": "NoSuchBucket"})

    # curl signs the request itself (SigV4 over the Host it sends).
    # S3 requires x-amz-content-sha256 with SigV4; curl signs it when given.
    res = h.curl_expect(f"http://{vhost}:{p}/photos/dog.jpg", resolve=f"{vhost}:{p}:127.0.0.1",
                        headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
                        extra=["--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                               f"{S3RVER_ACCESS_KEY}:{S3RVER_SECRET_KEY}"],
                        expect={**S3, "auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY,
                                "host": vhost, "operation": "GetObject", "bucket": BUCKET, "key": "photos/dog.jpg",
                                "status": 200, "error_code": None})
    h.check(res.body == SEED["photos/dog.jpg"], "signed vhost GetObject body differs")
