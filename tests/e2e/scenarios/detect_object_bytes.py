"""Detection scenario (issue 16): counts.bytes is object bytes, not HTTP message bytes.

s3rver by its virtual-hosted name (objbytes.s3.amazonaws.com through --resolve), curl anonymous:
GetObject of objects of known sizes (14 bytes, as in the issue, up to 200 KB), one ranged
GetObject (206, 10 bytes) and one HeadObject (no body). Finish checks, on the live ledger and
alerts and on a replay of the capture:
  - every GetObject ledger line has http.response.body.bytes equal to the bytes served and
    http.response.bytes larger (the head);
  - bulk_exfiltration with min_objects = the number of reads fires with counts.bytes equal to the
    sum of the object bytes served, counts.message_bytes larger, counts.tls_wire_bytes 0;
  - anonymous_read on the first (14-byte) object says "(1 object, 14 B)".
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness import REPO_ROOT, Harness, ScenarioError
from servers import seed_s3_objects, start_s3rver

BUCKET = "objbytes"
HOST = f"{BUCKET}.s3.amazonaws.com"
OBJECTS = {
    "small.txt": b"object-01-data",  # 14 bytes: "1 object, 282 B" before issue 16
    "one-k.bin": bytes(range(256)) * 4,
    "big.bin": b"0123456789abcdef" * 12500,  # 200,000 bytes
    "three.txt": b"abc",
}
ANON = {"provider": "s3", "client": "curl", "auth": "anonymous", "host": HOST, "bucket": BUCKET}
RANGE_BYTES = 10


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET])
    seed_s3_objects(h, ep, BUCKET, OBJECTS)
    h.start_capture()
    p = ep.port
    resolve = f"{HOST}:{p}:127.0.0.1"
    served = []
    for key, body in OBJECTS.items():
        res = h.curl_expect(f"http://{HOST}:{p}/{key}", resolve=resolve,
                            expect={**ANON, "operation": "GetObject", "key": key, "status": 200, "error_code": None})
        h.check(res.body == body, f"GetObject {key}: body differs")
        served.append(len(body))
    res = h.curl_expect(f"http://{HOST}:{p}/big.bin", resolve=resolve, headers={"Range": f"bytes=0-{RANGE_BYTES - 1}"},
                        expect={**ANON, "operation": "GetObject", "key": "big.bin", "status": 206,
                                "error_code": None, "range": f"bytes=0-{RANGE_BYTES - 1}"})
    h.check(len(res.body) == RANGE_BYTES, f"ranged GetObject: {len(res.body)} bytes")
    served.append(RANGE_BYTES)
    h.curl_expect(f"http://{HOST}:{p}/one-k.bin", method="HEAD", resolve=resolve,
                  expect={**ANON, "operation": "HeadObject", "key": "one-k.bin", "status": 200})
    h.served = served


def _check(h: Harness, ledger: list[dict], alerts: list[dict], where: str) -> list[str]:
    failures = []
    gets = [ln for ln in ledger if ln["storage"].get("operation") == "GetObject"]
    body = [ln["http"]["response"].get("body", {}).get("bytes") for ln in gets]
    if body != h.served:
        failures.append(f"{where}: ledger http.response.body.bytes {body}, served {h.served}")
    if any(ln["http"]["response"]["bytes"] <= ln["http"]["response"]["body"]["bytes"] for ln in gets):
        failures.append(f"{where}: http.response.bytes should include the head")
    heads = [ln for ln in ledger if ln["storage"].get("operation") == "HeadObject"]
    if [ln["http"]["response"].get("body", {}).get("bytes") for ln in heads] != [0]:
        failures.append(f"{where}: HeadObject body bytes {heads}")
    bulk = [a for a in alerts if a["rule"] == "bulk_exfiltration"]
    if len(bulk) != 1 or bulk[0]["counts"]["bytes"] != sum(h.served) or \
            bulk[0]["counts"]["message_bytes"] <= sum(h.served) or bulk[0]["counts"]["tls_wire_bytes"] != 0:
        failures.append(f"{where}: bulk_exfiltration counts {[a['counts'] for a in bulk]}, "
                        f"expected bytes {sum(h.served)}")
    reads = [a for a in alerts if a["rule"] == "anonymous_read"]
    if len(reads) != 1 or "(1 object, 14 B)" not in reads[0]["summary"]:
        failures.append(f"{where}: anonymous_read {[a['summary'] for a in reads]}")
    return failures


def finish(h: Harness) -> None:
    bw = h.bucketwatch or str(REPO_ROOT / "build" / "bucketwatch")
    if not Path(bw).is_file():
        raise ScenarioError(f"{bw} not found")
    cfg = h.work / "detect.yaml"
    cfg.write_text(json.dumps({"detection": {"bulk_exfiltration": {"min_objects": len(h.served)}}}))
    ledger, alerts = h.work / "replay-ledger.jsonl", h.work / "replay-alerts.jsonl"
    for f in (ledger, alerts):
        f.unlink(missing_ok=True)
    subprocess.run([bw, "--read", str(h.pcap), "--ledger", str(ledger), "--alerts", str(alerts), "--config",
                    str(cfg), "-q"], check=True, timeout=120)
    load = lambda p: [json.loads(x) for x in p.read_text().splitlines() if x.strip()]  # noqa: E731
    failures = _check(h, load(ledger), load(alerts), "replay")
    if h.capture_with == "bucketwatch":
        # Live, with the default config: the ledger and anonymous_read (bulk needs 50 reads).
        live_alerts = [a for a in load(h.out / "alerts.jsonl") if a["rule"] != "bulk_exfiltration"]
        live = _check(h, load(h.out / "ledger.jsonl"), live_alerts, "live")
        failures += [f for f in live if "bulk_exfiltration" not in f]
    else:
        h.notes.append("no live sensor: checked the replay only")
    if failures:
        raise ScenarioError("; ".join(failures))
    h.notes.append(f"object bytes served {sum(h.served)} = counts.bytes; messages "
                   f"{load(alerts)[-1]['counts']['message_bytes'] if load(alerts) else '?'}")
