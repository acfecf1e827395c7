"""Debian's aws CLI (/usr/bin/aws, botocore SigV4) against s3rver, path style on 127.0.0.1.

Signed: `aws s3 ls` (ListBuckets), `aws s3 ls s3://b/` (ListObjectsV2 with delimiter),
`aws s3 cp` up (PutObject) and down (HeadObject + GetObject), `aws s3 sync` (ListObjectsV2 of the
destination prefix + one PutObject per file), `aws s3api list-objects-v2 --max-keys 2
--no-paginate`, and a GetObject of a missing key (404 NoSuchKey). Anonymous with
--no-sign-request: ListObjectsV2 and GetObject. Presigned: `aws s3 presign` fetched with curl.

The aws CLI's requests are predictable for these commands and objects this small (no multipart,
no retries on 2xx/404): every line of the manifest is what the scenario intended.
"""

import json
import re

from harness import Harness, clean_env
from servers import S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, seed_s3_objects, start_s3rver

AWS = "/usr/bin/aws"
BUCKET = "reports"
SEED = {
    "2026/q1.pdf": b"%PDF-1.4 q1\n" * 30,
    "2026/q2.pdf": b"%PDF-1.4 q2\n" * 30,
    "2026/q3.pdf": b"%PDF-1.4 q3\n" * 30,
    "summary.txt": b"summary\n",
}
SYNC_FILES = {"a.log": b"alpha\n" * 10, "b.log": b"bravo\n" * 10, "c.log": b"charlie\n" * 10}
S3 = {"provider": "s3_compatible"}
SIGNED = {**S3, "auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY}
ANON = {**S3, "auth": "anonymous"}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, SEED)
    (h.work / "aws-config").write_text("[default]\nregion = us-east-1\n")
    env = clean_env({
        "AWS_ACCESS_KEY_ID": S3RVER_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3RVER_SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(h.work / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(h.work / "aws-credentials-none"),
        "AWS_PAGER": "",
    }, unset=("AWS_PROFILE", "AWS_SESSION_TOKEN"))

    def aws(*args: str, check: bool = True):
        return h.run([AWS, "--endpoint-url", ep.base, *args], env=env, check=check, name="aws")

    upload = h.work / "upload.txt"
    upload.write_bytes(b"uploaded by aws s3 cp\n" * 5)
    sync_dir = h.work / "sync"
    sync_dir.mkdir()
    for name, body in SYNC_FILES.items():
        (sync_dir / name).write_bytes(body)

    h.start_capture()

    out = aws("s3", "ls").stdout.decode()
    h.check(BUCKET in out, f"aws s3 ls did not list {BUCKET}: {out!r}")
    h.expect(**SIGNED, client="aws", method="GET", path="/", operation="ListBuckets", bucket=None, key=None,
             status=200, error_code=None)

    out = aws("s3", "ls", f"s3://{BUCKET}/").stdout.decode()
    lines = [line for line in out.splitlines() if line.strip()]
    h.check(len(lines) == 2, f"aws s3 ls s3://{BUCKET}/ printed {lines}")  # PRE 2026/ and summary.txt
    h.expect(**SIGNED, client="aws", method="GET", path=f"/{BUCKET}", query={"list-type": "2", "delimiter": "/"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=2)

    aws("s3", "cp", str(upload), f"s3://{BUCKET}/uploads/upload.txt")
    h.expect(**SIGNED, client="aws", method="PUT", path=f"/{BUCKET}/uploads/upload.txt", operation="PutObject",
             bucket=BUCKET, key="uploads/upload.txt", status=200, error_code=None)

    aws("s3", "cp", f"s3://{BUCKET}/2026/q1.pdf", str(h.work / "q1.pdf"))
    h.check((h.work / "q1.pdf").read_bytes() == SEED["2026/q1.pdf"], "aws s3 cp download differs")
    h.expect(**SIGNED, client="aws", method="HEAD", path=f"/{BUCKET}/2026/q1.pdf", operation="HeadObject",
             bucket=BUCKET, key="2026/q1.pdf", status=200)
    h.expect(**SIGNED, client="aws", method="GET", path=f"/{BUCKET}/2026/q1.pdf", operation="GetObject",
             bucket=BUCKET, key="2026/q1.pdf", status=200, error_code=None)

    aws("s3", "sync", str(sync_dir), f"s3://{BUCKET}/sync/")
    h.expect(**SIGNED, client="aws", method="GET", path=f"/{BUCKET}", query={"list-type": "2", "prefix": "sync/"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=0)
    for name in SYNC_FILES:
        h.expect(**SIGNED, client="aws", method="PUT", path=f"/{BUCKET}/sync/{name}", operation="PutObject",
                 bucket=BUCKET, key=f"sync/{name}", status=200, error_code=None)

    doc = json.loads(aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--max-keys", "2",
                         "--no-paginate").stdout)
    h.check(len(doc.get("Contents", [])) == 2 and doc.get("IsTruncated") is True,
            f"list-objects-v2 --max-keys 2 answered {doc}")
    h.expect(**SIGNED, client="aws", method="GET", path=f"/{BUCKET}", query={"list-type": "2", "max-keys": "2"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=2,
             list_truncated=True)

    cp = aws("s3api", "get-object", "--bucket", BUCKET, "--key", "2026/q4.pdf", str(h.work / "q4.pdf"),
             check=False)
    h.check(cp.returncode != 0 and b"NoSuchKey" in cp.stderr, f"get-object of a missing key: {cp.stderr!r}")
    h.expect(**SIGNED, client="aws", method="GET", path=f"/{BUCKET}/2026/q4.pdf", operation="GetObject",
             bucket=BUCKET, key="2026/q4.pdf", status=404, error_code="NoSuchKey")

    # Anonymous: the CLI sends no Authorization at all.
    out = aws("--no-sign-request", "s3", "ls", f"s3://{BUCKET}/2026/").stdout.decode()
    h.check(len([x for x in out.splitlines() if x.strip()]) == 3, f"anonymous ls printed {out!r}")
    h.expect(**ANON, client="aws", method="GET", path=f"/{BUCKET}",
             query={"list-type": "2", "prefix": "2026/", "delimiter": "/"}, operation="ListObjectsV2",
             bucket=BUCKET, key=None, status=200, error_code=None, list_keys=3)
    aws("--no-sign-request", "s3api", "get-object", "--bucket", BUCKET, "--key", "summary.txt",
        str(h.work / "summary.txt"))
    h.expect(**ANON, client="aws", method="GET", path=f"/{BUCKET}/summary.txt", operation="GetObject",
             bucket=BUCKET, key="summary.txt", status=200, error_code=None)

    # Presigned URL (SigV4 in the query), fetched by curl.
    url = aws("s3", "presign", f"s3://{BUCKET}/2026/q2.pdf", "--expires-in", "600").stdout.decode().strip()
    h.check(re.search(r"X-Amz-Signature=", url) is not None, f"aws s3 presign gave {url!r}")
    res = h.curl_expect(url, expect={**S3, "auth": "presigned", "auth_scheme": "SigV4",
                                     "access_key_id": S3RVER_ACCESS_KEY, "operation": "GetObject",
                                     "bucket": BUCKET, "key": "2026/q2.pdf", "status": 200, "error_code": None})
    h.check(res.body == SEED["2026/q2.pdf"], "presigned GetObject body differs")
