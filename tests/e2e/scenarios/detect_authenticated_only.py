"""Detection scenario (issue 5): purely authenticated work, which must raise nothing.
s3rver (path style on 127.0.0.1, provider s3_compatible), bucket finance-reports:
  SigV4 signed by curl (--aws-sigv4): ListObjectsV2 and 5 GetObject;
  SigV2 (Authorization: AWS S3RVER:<sig>, signed here with HMAC-SHA1): ListObjects, 3 GetObject;
  SigV2 presigned URLs (AWSAccessKeyId, Expires, Signature): 3 GetObject by curl.
Azurite (provider azure_blob), private container ledgers, seeded with the account key:
  SharedKey through @azure/storage-blob: ListBlobs and 3 GetBlob;
  a container SAS (sp=rl) made by the SDK, used by curl: ListBlobs and 3 GetBlob.

Expected: no alert of any rule (tests/pcap/detect/authenticated_only/expected_alerts.json).
"""

import base64
import email.utils
import hashlib
import hmac
import json
import time
from urllib.parse import quote

from azure_common import AZ, error_header, list_parser
from harness import E2E_DIR, Harness, s3_list_count
from servers import (AZURITE_ACCOUNT, AZURITE_KEY, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, seed_s3_objects,
                     start_azurite, start_s3rver)

BUCKET = "finance-reports"
S3_OBJECTS = {f"2026/q{q}/report-{i}.csv": (f"q{q},{i}\n".encode() * 30) for q in (1, 2, 3) for i in range(4)}
CONTAINER = "ledgers"
BLOBS = [f"2026/ledger-{i}.csv" for i in range(4)]
S3 = {"provider": "s3_compatible", "bucket": BUCKET}

# CommonJS so the package resolves by absolute path. Seeds the private container and prints a
# container SAS query (read + list), then with "sharedkey" lists and downloads with the key.
AZ_SCRIPT = r'''
const [path, mode, endpoint, account, key, container] = process.argv.slice(1);
const blobs = JSON.parse(process.argv[7]);
const sb = require(path);
const cred = new sb.StorageSharedKeyCredential(account, key);
const svc = new sb.BlobServiceClient(endpoint, cred, { retryOptions: { maxTries: 1 } });
const c = svc.getContainerClient(container);
(async () => {
  if (mode === 'seed') {
    await c.create();
    for (const n of blobs) {
      const body = `ledger ${n}\n`.repeat(20);
      await c.getBlockBlobClient(n).upload(body, Buffer.byteLength(body));
    }
    const sas = sb.generateBlobSASQueryParameters({
      containerName: container, permissions: sb.ContainerSASPermissions.parse('rl'),
      startsOn: new Date(Date.now() - 3600e3), expiresOn: new Date(Date.now() + 3600e3),
      protocol: sb.SASProtocol.HttpsAndHttp, version: '2021-08-06' }, cred).toString();
    process.stdout.write(sas + '\n');
  } else {
    const page = (await c.listBlobsFlat().byPage({ maxPageSize: 100 }).next()).value;
    const out = [{ label: 'ListBlobs', status: page._response.status, list_keys: page.segment.blobItems.length }];
    for (const n of blobs.slice(0, 3)) {
      const res = await c.getBlobClient(n).download();
      const chunks = [];
      for await (const x of res.readableStreamBody) chunks.push(x);
      out.push({ label: 'GetBlob', status: res._response.status, length: Buffer.concat(chunks).length });
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
})().catch((e) => { console.error(e); process.exit(1); });
'''


def sigv2(string_to_sign: str) -> str:
    mac = hmac.new(S3RVER_SECRET_KEY.encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def v2_string(date: str, resource: str) -> str:
    # s3rver 3.7 leaves the Date header out of its SigV2 string-to-sign (it computes
    # "GET\n\n\n\n/bucket"); the header is still sent, so the request looks like any SigV2 one.
    del date
    return "GET\n\n\n\n" + resource


def run(h: Harness) -> None:
    s3 = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, s3, BUCKET, S3_OBJECTS)
    az = start_azurite(h)
    az_base = f"{az.base}/{AZURITE_ACCOUNT}"
    pkg = str(E2E_DIR / "node_modules" / "@azure" / "storage-blob")
    cp = h.run(["node", "-e", AZ_SCRIPT, pkg, "seed", az_base, AZURITE_ACCOUNT, AZURITE_KEY, CONTAINER,
                json.dumps(BLOBS)], name="azure-seed", timeout=120)
    sas = cp.stdout.decode().strip()
    h.check("sig=" in sas and "sp=rl" in sas, f"unexpected SAS {sas!r}")
    h.start_capture()
    keys = sorted(S3_OBJECTS)

    # SigV4, signed by curl itself.
    v4 = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{S3RVER_ACCESS_KEY}:{S3RVER_SECRET_KEY}"]
    v4h = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    signed_v4 = {**S3, "auth": "signed", "auth_scheme": "SigV4", "access_key_id": S3RVER_ACCESS_KEY}
    h.curl_expect(f"{s3.base}/{BUCKET}?list-type=2", headers=v4h, extra=v4, list_parser=s3_list_count,
                  expect={**signed_v4, "operation": "ListObjectsV2", "key": None, "status": 200,
                          "error_code": None, "list_keys": len(keys), "list_truncated": False})
    for key in keys[:5]:
        res = h.curl_expect(f"{s3.base}/{BUCKET}/{key}", headers=v4h, extra=v4,
                            expect={**signed_v4, "operation": "GetObject", "key": key, "status": 200,
                                    "error_code": None})
        h.check(res.body == S3_OBJECTS[key], f"SigV4 GetObject {key}: body differs")

    # SigV2 Authorization header.
    signed_v2 = {**S3, "auth": "signed", "auth_scheme": "SigV2", "access_key_id": S3RVER_ACCESS_KEY}
    date = email.utils.formatdate(usegmt=True)
    h.curl_expect(f"{s3.base}/{BUCKET}", list_parser=s3_list_count,
                  headers={"Date": date, "Authorization": f"AWS {S3RVER_ACCESS_KEY}:"
                                                          f"{sigv2(v2_string(date, '/' + BUCKET))}"},
                  expect={**signed_v2, "operation": "ListObjects", "key": None, "status": 200, "error_code": None,
                          "list_keys": len(keys), "list_truncated": False})
    for key in keys[5:8]:
        date = email.utils.formatdate(usegmt=True)
        sig = sigv2(v2_string(date, f"/{BUCKET}/{key}"))
        res = h.curl_expect(f"{s3.base}/{BUCKET}/{key}",
                            headers={"Date": date, "Authorization": f"AWS {S3RVER_ACCESS_KEY}:{sig}"},
                            expect={**signed_v2, "operation": "GetObject", "key": key, "status": 200,
                                    "error_code": None})
        h.check(res.body == S3_OBJECTS[key], f"SigV2 GetObject {key}: body differs")

    # SigV2 presigned URLs.
    presigned = {**S3, "auth": "presigned", "access_key_id": S3RVER_ACCESS_KEY}
    for key in keys[8:11]:
        expires = str(int(time.time()) + 600)
        sig = quote(sigv2("GET\n\n\n" + expires + f"\n/{BUCKET}/{key}"), safe="")
        res = h.curl_expect(f"{s3.base}/{BUCKET}/{key}?AWSAccessKeyId={S3RVER_ACCESS_KEY}&Expires={expires}"
                            f"&Signature={sig}",
                            expect={**presigned, "operation": "GetObject", "key": key, "status": 200,
                                    "error_code": None,
                                    "query": {"AWSAccessKeyId": S3RVER_ACCESS_KEY, "Expires": None,
                                              "Signature": None}})
        h.check(res.body == S3_OBJECTS[key], f"presigned GetObject {key}: body differs")

    # Azure SharedKey through the SDK (one keep-alive connection).
    cp = h.run(["node", "-e", AZ_SCRIPT, pkg, "sharedkey", az_base, AZURITE_ACCOUNT, AZURITE_KEY, CONTAINER,
                json.dumps(BLOBS)], name="azure-sharedkey", timeout=120)
    got = json.loads(cp.stdout.decode().strip())
    h.check([g["status"] for g in got] == [200] * 4 and got[0]["list_keys"] == len(BLOBS),
            f"SharedKey SDK calls answered {got}")
    sk = {**AZ, "auth": "signed", "auth_scheme": "SharedKey", "client": "azure-sdk-js", "bucket": CONTAINER}
    h.expect(**sk, method="GET", path=f"/{AZURITE_ACCOUNT}/{CONTAINER}",
             query={"restype": "container", "comp": "list"}, operation="ListBlobs", key=None, status=200,
             error_code=None, list_keys=len(BLOBS), list_truncated=False)
    for n in BLOBS[:3]:
        h.expect(**sk, method="GET", path=f"/{AZURITE_ACCOUNT}/{CONTAINER}/{n}", operation="GetBlob", key=n,
                 status=200, error_code=None)

    # Azure container SAS, used by curl.
    sas_class = {**AZ, "auth": "presigned", "auth_scheme": "SAS", "bucket": CONTAINER}
    kw = {"error_parser": error_header}
    h.curl_expect(f"{az_base}/{CONTAINER}?restype=container&comp=list&{sas}", list_parser=list_parser, **kw,
                  expect={**sas_class, "operation": "ListBlobs", "key": None, "status": 200, "error_code": None,
                          "list_keys": len(BLOBS), "list_truncated": False,
                          "query": {"restype": "container", "comp": "list", "sig": None}})
    for n in BLOBS[:3]:
        res = h.curl_expect(f"{az_base}/{CONTAINER}/{n}?{sas}", **kw,
                            expect={**sas_class, "operation": "GetBlob", "key": n, "status": 200, "error_code": None,
                                    "query": {"sig": None}})
        h.check(res.body == f"ledger {n}\n".encode() * 20, f"SAS GetBlob {n}: body differs")
