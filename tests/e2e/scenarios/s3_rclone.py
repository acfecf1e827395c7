"""rclone (Debian's 1.60, provider "Other", SigV4, path style) against s3rver on 127.0.0.1.

`rclone lsjson remote:` (ListBuckets), `rclone lsf remote:bucket` (ListObjectsV2 with delimiter),
`rclone copy dir remote:bucket/incoming` (HeadObject probe of the destination -> 404,
ListObjectsV2 of it, one PutObject per file), `rclone copy remote:bucket/data dir` (HeadObject
probe -> 404, ListObjectsV2 of the source, one GetObject per object), `rclone cat` of one object
(HeadObject, ListObjectsV2 of its directory, GetObject).

rclone runs with `env -u AWS_CA_BUNDLE` (it fails to start when the variable names a bundle it
cannot use for plain HTTP) and with one transfer and one checker so the order is stable. Its
requests per command are what is intended below; rclone may add requests of its own between
versions (HEAD probes, bucket checks): those are read back from the saved capture after the run,
classified, and added to the manifest with "origin": "capture" (see finish()); every intended
line must still be on the wire.
"""

from harness import Harness, clean_env
from reconcile import add_unintended_from_capture
from servers import S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, seed_s3_objects, start_s3rver

BUCKET = "media"
SEED = {
    "data/img-001.jpg": b"\xff\xd8\xff" + b"1" * 300,
    "data/img-002.jpg": b"\xff\xd8\xff" + b"2" * 300,
    "data/img-003.jpg": b"\xff\xd8\xff" + b"3" * 300,
    "README": b"media bucket\n",
}
UPLOADS = {"clip-a.txt": b"a" * 100, "clip-b.txt": b"b" * 120}
SIGNED = {"provider": "s3_compatible", "client": "rclone", "auth": "signed", "auth_scheme": "SigV4",
          "access_key_id": S3RVER_ACCESS_KEY}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, SEED)
    conf = h.work / "rclone.conf"
    conf.write_text("")
    env = clean_env({
        "RCLONE_CONFIG_S3RV_TYPE": "s3",
        "RCLONE_CONFIG_S3RV_PROVIDER": "Other",
        "RCLONE_CONFIG_S3RV_ACCESS_KEY_ID": S3RVER_ACCESS_KEY,
        "RCLONE_CONFIG_S3RV_SECRET_ACCESS_KEY": S3RVER_SECRET_KEY,
        "RCLONE_CONFIG_S3RV_ENDPOINT": ep.base,
        "RCLONE_CONFIG_S3RV_REGION": "us-east-1",
        "RCLONE_CONFIG_S3RV_FORCE_PATH_STYLE": "true",
        "RCLONE_CONFIG_S3RV_LIST_VERSION": "2",
        "HOME": str(h.work),
    }, unset=("AWS_CA_BUNDLE",))
    common = ["--config", str(conf), "--retries", "1", "--low-level-retries", "1", "--transfers", "1",
              "--checkers", "1", "--s3-no-check-bucket", "--s3-no-head", "--use-server-modtime"]

    def rclone(*args: str):
        return h.run(["rclone", *common, *args], env=env, name="rclone")

    up = h.work / "up"
    up.mkdir()
    for name, body in UPLOADS.items():
        (up / name).write_bytes(body)
    down = h.work / "down"

    h.start_capture()

    out = rclone("lsjson", "s3rv:").stdout.decode()
    h.check(f'"{BUCKET}"' in out, f"rclone lsjson s3rv: printed {out!r}")
    h.expect(**SIGNED, method="GET", path="/", operation="ListBuckets", bucket=None, key=None, status=200,
             error_code=None)

    out = rclone("lsf", f"s3rv:{BUCKET}").stdout.decode().split()
    h.check(sorted(out) == ["README", "data/"], f"rclone lsf printed {out}")
    h.expect(**SIGNED, method="GET", path=f"/{BUCKET}", query={"list-type": "2", "delimiter": "/"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=2)

    rclone("copy", str(up), f"s3rv:{BUCKET}/incoming")
    # rclone first asks whether the destination is an object (HEAD -> 404, so a directory).
    h.expect(**SIGNED, method="HEAD", path=f"/{BUCKET}/incoming", operation="HeadObject", bucket=BUCKET,
             key="incoming", status=404)
    h.expect(**SIGNED, method="GET", path=f"/{BUCKET}", query={"list-type": "2", "prefix": "incoming/"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=0)
    for name in sorted(UPLOADS):
        h.expect(**SIGNED, method="PUT", path=f"/{BUCKET}/incoming/{name}", operation="PutObject", bucket=BUCKET,
                 key=f"incoming/{name}", status=200, error_code=None)

    rclone("copy", f"s3rv:{BUCKET}/data", str(down))
    for key, body in SEED.items():
        if key.startswith("data/"):
            h.check((down / key.split("/", 1)[1]).read_bytes() == body, f"rclone copy: {key} differs")
    h.expect(**SIGNED, method="HEAD", path=f"/{BUCKET}/data", operation="HeadObject", bucket=BUCKET, key="data",
             status=404)
    h.expect(**SIGNED, method="GET", path=f"/{BUCKET}", query={"list-type": "2", "prefix": "data/"},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=3)
    for key in sorted(k for k in SEED if k.startswith("data/")):
        h.expect(**SIGNED, method="GET", path=f"/{BUCKET}/{key}", operation="GetObject", bucket=BUCKET, key=key,
                 status=200, error_code=None)

    out = rclone("cat", f"s3rv:{BUCKET}/README").stdout
    h.check(out == SEED["README"], f"rclone cat printed {out!r}")
    # `cat` finds the object (HEAD -> 200), lists its directory, then downloads it.
    h.expect(**SIGNED, method="HEAD", path=f"/{BUCKET}/README", operation="HeadObject", bucket=BUCKET,
             key="README", status=200)
    h.expect(**SIGNED, method="GET", path=f"/{BUCKET}", query={"list-type": "2", "delimiter": "/", "prefix": ""},
             operation="ListObjectsV2", bucket=BUCKET, key=None, status=200, error_code=None, list_keys=3)
    h.expect(**SIGNED, method="GET", path=f"/{BUCKET}/README", operation="GetObject", bucket=BUCKET,
             key="README", status=200, error_code=None)


def finish(h: Harness) -> None:
    add_unintended_from_capture(h, client="rclone", provider="s3_compatible")
