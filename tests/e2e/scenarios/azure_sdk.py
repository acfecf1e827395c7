"""@azure/storage-blob (Node) against Azurite (path style /devstoreaccount1/<container>, so
provider azure_blob, account devstoreaccount1), signed with SharedKey and with SAS.

SharedKey: ListContainers, ListBlobs paged with maxresults=2 and a marker, PutBlob (201),
GetBlobProperties (HEAD), GetBlob, ranged GetBlob (x-ms-range, 206), GetBlob of a missing blob
(404 BlobNotFound), DeleteBlob (202), ListBlobs and GetBlob on the private container.
SAS (container SAS sp=rl, used by the SDK): ListBlobs, GetBlob, and a PutBlob the SAS does not
allow (403 AuthorizationPermissionMismatch). A blob SAS URL fetched with curl: GetBlob.
The client runs with maxTries 1, so each call is one request.
"""

from azure_common import AZ, error_header, run_client, start_seeded_azurite, verify
from harness import Harness

SK = {**AZ, "client": "azure-sdk-js", "auth": "signed", "auth_scheme": "SharedKey"}
SAS = {**AZ, "client": "azure-sdk-js", "auth": "presigned", "auth_scheme": "SAS"}
LIST = {"restype": "container", "comp": "list"}


def run(h: Harness) -> None:
    ep, base = start_seeded_azurite(h)
    acct = f"/{AZ['account']}"
    urls = run_client(h, "sas-urls", base)[0]  # computed locally: no traffic
    h.start_capture()

    got = iter(run_client(h, "sharedkey", base))
    verify(h, next(got), "ListContainers", status=200, list_keys=3)
    h.expect(**SK, method="GET", path=f"{acct}/", query={"comp": "list"}, operation="ListContainers", bucket=None,
             key=None, status=200, error_code=None, list_keys=3)
    verify(h, next(got), "ListBlobs", status=200, list_keys=2, truncated=True)
    h.expect(**SK, method="GET", path=f"{acct}/public-container", query={**LIST, "maxresults": "2"},
             operation="ListBlobs", bucket="public-container", key=None, status=200, error_code=None,
             list_keys=2, list_truncated=True)
    verify(h, next(got), "ListBlobs", status=200, list_keys=1, truncated=False)
    h.expect(**SK, method="GET", path=f"{acct}/public-container", query={**LIST, "maxresults": "2", "marker": None},
             operation="ListBlobs", bucket="public-container", key=None, status=200, error_code=None,
             list_keys=1, list_truncated=False)
    verify(h, next(got), "PutBlob", status=201)
    h.expect(**SK, method="PUT", path=f"{acct}/public-container/uploads/report.txt", operation="PutBlob",
             bucket="public-container", key="uploads/report.txt", status=201, error_code=None)
    verify(h, next(got), "GetBlobProperties", status=200, length=140)
    h.expect(**SK, method="HEAD", path=f"{acct}/public-container/uploads/report.txt",
             operation="GetBlobProperties", bucket="public-container", key="uploads/report.txt", status=200)
    verify(h, next(got), "GetBlob", status=200, length=140)
    h.expect(**SK, method="GET", path=f"{acct}/public-container/uploads/report.txt", operation="GetBlob",
             bucket="public-container", key="uploads/report.txt", status=200, error_code=None)
    verify(h, next(got), "GetBlobRange", status=206, length=16)
    h.expect(**SK, method="GET", path=f"{acct}/public-container/catalog/a.json", operation="GetBlob",
             bucket="public-container", key="catalog/a.json", status=206, error_code=None, range=True)
    verify(h, next(got), "GetBlobMissing", status=404, error_code="BlobNotFound")
    h.expect(**SK, method="GET", path=f"{acct}/public-container/catalog/z.json", operation="GetBlob",
             bucket="public-container", key="catalog/z.json", status=404, error_code="BlobNotFound")
    verify(h, next(got), "DeleteBlob", status=202)
    h.expect(**SK, method="DELETE", path=f"{acct}/public-container/uploads/report.txt", operation="DeleteBlob",
             bucket="public-container", key="uploads/report.txt", status=202, error_code=None)
    verify(h, next(got), "ListBlobsPrivate", status=200, list_keys=1)
    h.expect(**SK, method="GET", path=f"{acct}/private", query=LIST, operation="ListBlobs", bucket="private",
             key=None, status=200, error_code=None, list_keys=1, list_truncated=False)
    verify(h, next(got), "GetBlobPrivate", status=200, length=300)
    h.expect(**SK, method="GET", path=f"{acct}/private/hr/salaries.csv", operation="GetBlob", bucket="private",
             key="hr/salaries.csv", status=200, error_code=None)
    h.check(next(got, None) is None, "the SharedKey client made more calls than intended")

    got = iter(run_client(h, "sas", base, urls["container"]))
    sas_q = {"sv": None, "sr": "c", "sp": "rl", "se": None, "sig": None}
    verify(h, next(got), "ListBlobs", status=200, list_keys=1)
    h.expect(**SAS, method="GET", path=f"{acct}/private", query={**LIST, **sas_q}, operation="ListBlobs",
             bucket="private", key=None, status=200, error_code=None, list_keys=1, list_truncated=False)
    verify(h, next(got), "GetBlob", status=200, length=300)
    h.expect(**SAS, method="GET", path=f"{acct}/private/hr/salaries.csv", query=sas_q, operation="GetBlob",
             bucket="private", key="hr/salaries.csv", status=200, error_code=None)
    verify(h, next(got), "PutBlobDenied", status=403, error_code="AuthorizationPermissionMismatch")
    h.expect(**SAS, method="PUT", path=f"{acct}/private/hr/new.csv", query=sas_q, operation="PutBlob",
             bucket="private", key="hr/new.csv", status=403, error_code="AuthorizationPermissionMismatch")
    h.check(next(got, None) is None, "the SAS client made more calls than intended")

    res = h.curl_expect(urls["blob"], error_parser=error_header,
                        expect={**SAS, "client": "curl", "operation": "GetBlob", "bucket": "private",
                                "key": "hr/salaries.csv", "status": 200, "error_code": None})
    h.check(len(res.body) == 300, "SAS GetBlob with curl: wrong length")
