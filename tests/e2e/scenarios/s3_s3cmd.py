"""s3cmd (Debian's 2.3.0) against s3rver, path style on 127.0.0.1: one pass with SigV2
(`Authorization: AWS AKID:sig`) and one with SigV4, the same commands each time:
`s3cmd ls` (ListBuckets), `s3cmd ls s3://b/` (ListObjects with delimiter), `s3cmd put`
(PutObject), `s3cmd get` (HeadObject + GetObject), `s3cmd del` (DeleteObject),
and a `s3cmd get` of a missing key (HeadObject 404, no GET). Then `s3cmd signurl` (a SigV2 presigned URL:
AWSAccessKeyId, Expires, Signature) fetched with curl.
"""

from harness import Harness, clean_env
from servers import S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, seed_s3_objects, start_s3rver

S3CMD = "/usr/bin/s3cmd"
BUCKET = "backups"
SEED = {
    "db/2026-11-01.sql.gz": b"\x1f\x8b" + b"dump-1" * 50,
    "db/2026-11-02.sql.gz": b"\x1f\x8b" + b"dump-2" * 50,
    "etc/hosts": b"127.0.0.1 localhost\n",
}
S3 = {"provider": "s3_compatible", "client": "s3cmd"}


def _config(h: Harness, port: int, v2: bool) -> str:
    path = h.work / f"s3cfg-{'v2' if v2 else 'v4'}"
    path.write_text(
        "[default]\n"
        f"access_key = {S3RVER_ACCESS_KEY}\n"
        f"secret_key = {S3RVER_SECRET_KEY}\n"
        f"host_base = 127.0.0.1:{port}\n"
        f"host_bucket = 127.0.0.1:{port}\n"  # no %(bucket)s: path style
        "bucket_location = us-east-1\n"
        "use_https = False\n"
        f"signature_v2 = {'True' if v2 else 'False'}\n"
        "guess_mime_type = False\n"
        "use_mime_magic = False\n"
        "progress_meter = False\n"
        "check_ssl_certificate = False\n"
        # Keep the wire predictable: no ?acl/?policy/?cors look-ups behind `info`, no MD5 side trips.
        "preserve_attrs = False\n"
        "max_retries = 1\n")
    return str(path)


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET], allow_mismatched_signatures=True)
    seed_s3_objects(h, ep, BUCKET, SEED)
    env = clean_env({"HOME": str(h.work)})
    h.start_capture()

    for v2 in (True, False):
        cfg = _config(h, ep.port, v2)
        signed = {**S3, "auth": "signed", "auth_scheme": "SigV2" if v2 else "SigV4",
                  "access_key_id": S3RVER_ACCESS_KEY}
        tag = "v2" if v2 else "v4"

        def s3cmd(*args: str, check: bool = True):
            return h.run([S3CMD, "-c", cfg, "--no-check-md5", *args], env=env, check=check, name="s3cmd")

        out = s3cmd("ls").stdout.decode()
        h.check(f"s3://{BUCKET}" in out, f"s3cmd ls: {out!r}")
        h.expect(**signed, method="GET", path="/", operation="ListBuckets", bucket=None, key=None, status=200,
                 error_code=None)

        out = s3cmd("ls", f"s3://{BUCKET}/").stdout.decode()
        lines = [x for x in out.splitlines() if x.strip()]
        h.check(len(lines) == 2, f"s3cmd ls s3://{BUCKET}/: {lines}")
        h.expect(**signed, method="GET", path=f"/{BUCKET}/", query={"delimiter": "/"}, operation="ListObjects",
                 bucket=BUCKET, key=None, status=200, error_code=None, list_keys=2)

        local = h.work / f"notes-{tag}.txt"
        local.write_bytes(f"notes uploaded with {tag}\n".encode() * 4)
        s3cmd("put", str(local), f"s3://{BUCKET}/notes-{tag}.txt")
        h.expect(**signed, method="PUT", path=f"/{BUCKET}/notes-{tag}.txt", operation="PutObject", bucket=BUCKET,
                 key=f"notes-{tag}.txt", status=200, error_code=None)

        dest = h.work / f"dump-{tag}.sql.gz"
        s3cmd("get", f"s3://{BUCKET}/db/2026-11-01.sql.gz", str(dest))
        h.check(dest.read_bytes() == SEED["db/2026-11-01.sql.gz"], "s3cmd get: body differs")
        # s3cmd get asks for the object's metadata first (HEAD), then downloads it.
        h.expect(**signed, method="HEAD", path=f"/{BUCKET}/db/2026-11-01.sql.gz", operation="HeadObject",
                 bucket=BUCKET, key="db/2026-11-01.sql.gz", status=200)
        h.expect(**signed, method="GET", path=f"/{BUCKET}/db/2026-11-01.sql.gz", operation="GetObject",
                 bucket=BUCKET, key="db/2026-11-01.sql.gz", status=200, error_code=None)

        cp = s3cmd("get", f"s3://{BUCKET}/db/2026-11-03.sql.gz", str(h.work / f"missing-{tag}"), check=False)
        h.check(cp.returncode != 0, "s3cmd get of a missing key succeeded")
        # The HEAD already answers 404, so no GET follows. A HEAD answer has no body, hence no
        # error code to assert.
        h.expect(**signed, method="HEAD", path=f"/{BUCKET}/db/2026-11-03.sql.gz", operation="HeadObject",
                 bucket=BUCKET, key="db/2026-11-03.sql.gz", status=404)

        # (`s3cmd info` would also fetch ?acl, and s3cmd 2.3 crashes parsing s3rver's ACL document.)
        s3cmd("del", f"s3://{BUCKET}/notes-{tag}.txt")
        h.expect(**signed, method="DELETE", path=f"/{BUCKET}/notes-{tag}.txt", operation="DeleteObject",
                 bucket=BUCKET, key=f"notes-{tag}.txt", status=204, error_code=None)

    # SigV2 query-string authentication (AWSAccessKeyId, Expires, Signature).
    cfg = _config(h, ep.port, True)
    url = h.run([S3CMD, "-c", cfg, "signurl", f"s3://{BUCKET}/db/2026-11-02.sql.gz", "+600"], env=env,
                name="s3cmd").stdout.decode().strip()
    h.check("Signature=" in url, f"s3cmd signurl gave {url!r}")
    res = h.curl_expect(url, expect={"provider": "s3_compatible", "auth": "presigned", "auth_scheme": "SigV2",
                                     "access_key_id": S3RVER_ACCESS_KEY, "operation": "GetObject",
                                     "bucket": BUCKET, "key": "db/2026-11-02.sql.gz", "status": 200,
                                     "error_code": None})
    h.check(res.body == SEED["db/2026-11-02.sql.gz"], "presigned SigV2 GetObject body differs")
