#!/usr/bin/env python3
"""Drives an S3 endpoint with boto3 (botocore SigV4, path style) and prints one JSON line per API
call with what the server answered, for tests/e2e/lib/tls_decrypt.py to check.

    s3_boto3.py ENDPOINT BUCKET [--ca-bundle PEM]

Signed: ListObjectsV2 (MaxKeys 2), PutObject, HeadObject, GetObject, GetObject of a missing key;
anonymous (UNSIGNED): GetObject. One attempt per call (no retries). botocore writes the TLS keys
to $SSLKEYLOGFILE when it is set (its urllib3 context's keylog_filename).
"""

import argparse
import json
import sys
import urllib.parse

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("bucket")
    ap.add_argument("--ca-bundle")
    args = ap.parse_args()
    host = urllib.parse.urlsplit(args.endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"refusing non-loopback endpoint {args.endpoint}", file=sys.stderr)
        return 2
    cfg = dict(region_name="us-east-1", retries={"max_attempts": 1, "mode": "standard"},
               s3={"addressing_style": "path"}, connect_timeout=10, read_timeout=20)
    try:  # newer botocore adds checksums to every PutObject unless told not to
        Config(request_checksum_calculation="when_required")
        cfg.update(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    except TypeError:
        pass
    common = dict(endpoint_url=args.endpoint, verify=args.ca_bundle or True)
    signed = boto3.client("s3", aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
                          config=Config(**cfg), **common)
    anonymous = boto3.client("s3", config=Config(signature_version=UNSIGNED, **cfg), **common)
    b = args.bucket

    def call(label, fn, summarise=lambda out: {}):
        try:
            out = fn()
            print(json.dumps({"label": label, "status": out["ResponseMetadata"]["HTTPStatusCode"],
                              **summarise(out)}), flush=True)
        except ClientError as e:
            print(json.dumps({"label": label, "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                              "error_code": e.response.get("Error", {}).get("Code")}), flush=True)

    call("ListObjectsV2", lambda: signed.list_objects_v2(Bucket=b, MaxKeys=2),
         lambda o: {"list_keys": len(o.get("Contents", [])) + len(o.get("CommonPrefixes", [])),
                    "truncated": o["IsTruncated"]})
    call("PutObject", lambda: signed.put_object(Bucket=b, Key="boto/put.json", Body=b'{"from": "boto3"}'))
    call("HeadObject", lambda: signed.head_object(Bucket=b, Key="boto/seed.txt"),
         lambda o: {"length": o["ContentLength"]})
    call("GetObject", lambda: signed.get_object(Bucket=b, Key="boto/seed.txt"),
         lambda o: {"length": len(o["Body"].read())})
    call("GetObjectMissing", lambda: signed.get_object(Bucket=b, Key="boto/missing.txt"))
    call("AnonymousGetObject", lambda: anonymous.get_object(Bucket=b, Key="boto/seed.txt"),
         lambda o: {"length": len(o["Body"].read())})
    return 0


if __name__ == "__main__":
    sys.exit(main())
