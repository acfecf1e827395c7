"""Detection scenario (issue 5), after the 2022 BlueBleed leak: an Azure Blob container left at
public access level "container" is crawled without credentials. Azurite holds container
customer-records (access: container) with 130 small blobs, seeded through @azure/storage-blob
with the account key before the capture. Then curl, with no credential at all, pages the
listing (ListBlobs maxresults=50 with NextMarker: 50 + 50 + 30) and downloads 110 blobs.

Alerts it must raise with the default detection config, and the ones it must not, are in
tests/pcap/detect/bluebleed_azure_crawl/expected_alerts.json.
"""

import json
from urllib.parse import quote

from azure_common import AZ, error_header, list_parser
from harness import E2E_DIR, Harness
from servers import AZURITE_ACCOUNT, AZURITE_KEY, start_azurite

CONTAINER = "customer-records"
BLOBS = [f"entities/{i:05d}/contract.pdf" for i in range(130)]
DOWNLOADS = 110
ANON = {**AZ, "auth": "anonymous", "client": "curl"}

# CommonJS so the package resolves by absolute path from the scenario's work directory.
SEED = r'''
const path = process.argv[1], endpoint = process.argv[2], account = process.argv[3], key = process.argv[4];
const container = process.argv[5], names = JSON.parse(process.argv[6]);
const { BlobServiceClient, StorageSharedKeyCredential } = require(path);
(async () => {
  const svc = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key));
  const c = svc.getContainerClient(container);
  await c.create({ access: 'container' });
  for (const n of names) {
    const body = `%PDF-1.7 ${n}\n`.repeat(6);
    await c.getBlockBlobClient(n).upload(body, Buffer.byteLength(body));
  }
})().catch((e) => { console.error(e); process.exit(1); });
'''


def body_of(name: str) -> bytes:
    return f"%PDF-1.7 {name}\n".encode() * 6


def run(h: Harness) -> None:
    ep = start_azurite(h)
    base = f"{ep.base}/{AZURITE_ACCOUNT}"
    pkg = E2E_DIR / "node_modules" / "@azure" / "storage-blob"
    h.run(["node", "-e", SEED, str(pkg), base, AZURITE_ACCOUNT, AZURITE_KEY, CONTAINER, json.dumps(BLOBS)],
          name="seed-azurite", timeout=120)
    h.start_capture()

    kw = {"error_parser": error_header}
    marker = None
    for page, count in enumerate((50, 50, 30)):
        last = page == 2
        url = f"{base}/{CONTAINER}?restype=container&comp=list&maxresults=50"
        if marker:
            url += f"&marker={quote(marker, safe='')}"
        res = h.curl_expect(url, list_parser=list_parser, **kw,
                            expect={**ANON, "operation": "ListBlobs", "bucket": CONTAINER, "key": None,
                                    "status": 200, "error_code": None, "list_keys": count,
                                    "list_truncated": not last})
        _, _, marker = list_parser(res.body)
        h.check(last or bool(marker), f"page {page + 1} carries no NextMarker")

    for name in BLOBS[:DOWNLOADS]:
        res = h.curl_expect(f"{base}/{CONTAINER}/{name}", **kw,
                            expect={**ANON, "operation": "GetBlob", "bucket": CONTAINER, "key": name,
                                    "status": 200, "error_code": None})
        h.check(res.body == body_of(name), f"GetBlob {name}: body differs from the seeded blob")
