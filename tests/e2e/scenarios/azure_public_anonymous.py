"""Anonymous access to Azurite containers at the three public access levels: public-container
(access "container": list and read), public-blobs (access "blob": read only) and private.
First @azure/storage-blob with AnonymousCredential, then curl with no credential at all.

What Azurite 3.37 answers (asserted): listing and reading public-container succeed, ranged reads
answer 206; public-blobs serves blobs but refuses a listing; private refuses everything;
ListContainers refuses. Azurite refuses with 403 AuthorizationFailure where Azure itself answers
404 ResourceNotFound (it does not reveal that a private container exists): the ledger must carry
what was on the wire, so the manifest asserts Azurite's answers.
"""

from azure_common import AZ, error_header, list_parser, run_client, start_seeded_azurite, verify
from harness import Harness

ANON = {**AZ, "auth": "anonymous"}
LIST = {"restype": "container", "comp": "list"}
DENIED = {"status": 403, "error_code": "AuthorizationFailure"}


def run(h: Harness) -> None:
    ep, base = start_seeded_azurite(h)
    acct = f"/{AZ['account']}"
    h.start_capture()

    sdk = {**ANON, "client": "azure-sdk-js"}
    got = iter(run_client(h, "anonymous", base))
    verify(h, next(got), "ListBlobsContainerLevel", status=200, list_keys=3, truncated=False)
    h.expect(**sdk, method="GET", path=f"{acct}/public-container", query=LIST, operation="ListBlobs",
             bucket="public-container", key=None, status=200, error_code=None, list_keys=3, list_truncated=False)
    verify(h, next(got), "GetBlobContainerLevel", status=200, length=300)
    h.expect(**sdk, method="GET", path=f"{acct}/public-container/catalog/b.json", operation="GetBlob",
             bucket="public-container", key="catalog/b.json", status=200, error_code=None)
    verify(h, next(got), "GetBlobRangeContainerLevel", status=206, length=20)
    h.expect(**sdk, method="GET", path=f"{acct}/public-container/catalog/c.json", operation="GetBlob",
             bucket="public-container", key="catalog/c.json", status=206, error_code=None, range=True)
    verify(h, next(got), "ListBlobsBlobLevel", **DENIED)
    h.expect(**sdk, method="GET", path=f"{acct}/public-blobs", query=LIST, operation="ListBlobs",
             bucket="public-blobs", key=None, **DENIED)
    verify(h, next(got), "GetBlobBlobLevel", status=200, length=390)
    h.expect(**sdk, method="GET", path=f"{acct}/public-blobs/invoices/2026-11.pdf", operation="GetBlob",
             bucket="public-blobs", key="invoices/2026-11.pdf", status=200, error_code=None)
    verify(h, next(got), "ListBlobsPrivate", **DENIED)
    h.expect(**sdk, method="GET", path=f"{acct}/private", query=LIST, operation="ListBlobs", bucket="private",
             key=None, **DENIED)
    verify(h, next(got), "GetBlobPrivate", **DENIED)
    h.expect(**sdk, method="GET", path=f"{acct}/private/hr/salaries.csv", operation="GetBlob", bucket="private",
             key="hr/salaries.csv", **DENIED)
    verify(h, next(got), "ListContainers", **DENIED)
    h.expect(**sdk, method="GET", path=f"{acct}/", query={"comp": "list"}, operation="ListContainers",
             bucket=None, key=None, **DENIED)
    h.check(next(got, None) is None, "the anonymous SDK client made more calls than intended")

    # curl: what a scanner does.
    curl = {**ANON, "client": "curl"}
    kw = {"error_parser": error_header}
    h.curl_expect(f"{base}/public-container?restype=container&comp=list", list_parser=list_parser, **kw,
                  expect={**curl, "operation": "ListBlobs", "bucket": "public-container", "key": None,
                          "status": 200, "error_code": None, "list_keys": 3, "list_truncated": False})
    h.curl_expect(f"{base}/public-container?restype=container&comp=list&prefix=catalog%2F&maxresults=1",
                  list_parser=list_parser, **kw,
                  expect={**curl, "operation": "ListBlobs", "bucket": "public-container", "key": None,
                          "status": 200, "error_code": None, "list_keys": 1, "list_truncated": True})
    h.curl_expect(f"{base}/public-container?restype=container", **kw,
                  expect={**curl, "operation": "GetContainerProperties", "bucket": "public-container",
                          "key": None, "status": 200, "error_code": None})
    res = h.curl_expect(f"{base}/public-blobs/invoices/2026-10.pdf", **kw,
                        expect={**curl, "operation": "GetBlob", "bucket": "public-blobs",
                                "key": "invoices/2026-10.pdf", "status": 200, "error_code": None})
    h.check(res.body.startswith(b"%PDF-1.7 oct"), "anonymous GetBlob returned the wrong blob")
    res = h.curl_expect(f"{base}/public-blobs/invoices/2026-10.pdf", headers={"Range": "bytes=0-7"}, **kw,
                        expect={**curl, "operation": "GetBlob", "bucket": "public-blobs",
                                "key": "invoices/2026-10.pdf", "status": 206, "error_code": None, "range": True})
    h.check(res.body == b"%PDF-1.7", f"ranged anonymous GetBlob returned {res.body!r}")
    h.curl_expect(f"{base}/public-blobs?restype=container&comp=list", **kw,
                  expect={**curl, "operation": "ListBlobs", "bucket": "public-blobs", "key": None, **DENIED})
    h.curl_expect(f"{base}/private/hr/salaries.csv", **kw,
                  expect={**curl, "operation": "GetBlob", "bucket": "private", "key": "hr/salaries.csv", **DENIED})
    h.curl_expect(f"{base}/public-container/catalog/missing.json", **kw,
                  expect={**curl, "operation": "GetBlob", "bucket": "public-container", "key": "catalog/missing.json",
                          "status": 404, "error_code": "BlobNotFound"})
    h.curl_expect(f"{base}/public-container/catalog/a.json", method="HEAD", **kw,
                  expect={**curl, "operation": "GetBlobProperties", "bucket": "public-container",
                          "key": "catalog/a.json", "status": 200})
