"""One IPv6 session on [::1] with pipelined anonymous requests to s3rver (path style, so
provider s3_compatible): a raw-socket client (clients/pipeline_client.py) writes all requests on
one connection before reading any response: ListObjectsV2, three GetObject, a ranged GetObject
(206), HeadObject, GetObject of a missing key (404 NoSuchKey), and a last GetObject with
`Connection: close`. s3rver runs with --no-vhost-buckets: it would otherwise take the Host
"[::1]:port" for a bucket name.

The ledger check runs with --ordered: on this one connection the requests must be logged in the
order they were sent.
"""

import base64
import json
import sys

from harness import E2E_DIR, LOOPBACK_V6, Harness, s3_error_code, s3_list_count
from servers import seed_s3_objects, start_s3rver

BUCKET = "v6-data"
SEED = {f"part-{i:02d}.bin": bytes([i]) * (300 + 50 * i) for i in range(1, 5)}
ANON = {"provider": "s3_compatible", "client": "pipeline_client", "auth": "anonymous", "bucket": BUCKET}


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=[BUCKET], host=LOOPBACK_V6, vhost_buckets=False)
    seed_s3_objects(h, ep, BUCKET, SEED)
    # (method, target, extra headers, manifest fields)
    plan = [
        ("GET", f"/{BUCKET}?list-type=2", {}, {"operation": "ListObjectsV2", "key": None, "status": 200,
                                               "error_code": None, "list_keys": 4, "list_truncated": False}),
        ("GET", f"/{BUCKET}/part-01.bin", {}, {"operation": "GetObject", "key": "part-01.bin", "status": 200,
                                               "error_code": None}),
        ("GET", f"/{BUCKET}/part-02.bin", {}, {"operation": "GetObject", "key": "part-02.bin", "status": 200,
                                               "error_code": None}),
        ("GET", f"/{BUCKET}/part-03.bin", {}, {"operation": "GetObject", "key": "part-03.bin", "status": 200,
                                               "error_code": None}),
        ("GET", f"/{BUCKET}/part-04.bin", {"Range": "bytes=100-199"},
         {"operation": "GetObject", "key": "part-04.bin", "status": 206, "error_code": None, "range": True}),
        ("HEAD", f"/{BUCKET}/part-02.bin", {}, {"operation": "HeadObject", "key": "part-02.bin", "status": 200}),
        ("GET", f"/{BUCKET}/part-99.bin", {}, {"operation": "GetObject", "key": "part-99.bin", "status": 404,
                                               "error_code": "NoSuchKey"}),
        ("GET", f"/{BUCKET}/part-04.bin", {}, {"operation": "GetObject", "key": "part-04.bin", "status": 200,
                                               "error_code": None}),
    ]
    plan_path = h.work / "pipeline-plan.json"
    plan_path.write_text(json.dumps([{"method": m, "target": t, "headers": hd} for m, t, hd, _ in plan]))
    h.start_capture()

    cp = h.run([sys.executable, str(E2E_DIR / "clients" / "pipeline_client.py"), LOOPBACK_V6, str(ep.port),
                str(plan_path)], name="pipeline_client")
    responses = [json.loads(x) for x in cp.stdout.decode().splitlines() if x.strip()]
    h.check(len(responses) == len(plan), f"{len(responses)} responses to {len(plan)} pipelined requests")
    for (method, target, _, fields), resp in zip(plan, responses):
        body = base64.b64decode(resp["body_b64"])
        h.check(resp["status"] == fields["status"], f"{method} {target}: status {resp['status']}")
        if fields.get("error_code"):
            h.check(s3_error_code(body) == fields["error_code"], f"{method} {target}: {body[:200]!r}")
        if "list_keys" in fields:
            h.check(s3_list_count(body)[0] == fields["list_keys"], f"{method} {target}: listing {body[:300]!r}")
        if method == "GET" and fields["status"] == 200 and fields.get("key") in SEED:
            h.check(body == SEED[fields["key"]], f"{target}: body differs")
        if fields["status"] == 206:
            h.check(body == SEED[fields["key"]][100:200], f"{target}: ranged body differs")
        path, _, query = target.partition("?")
        line = {**ANON, "method": method, "path": path, **fields}
        if query:
            line["query"] = dict(q.split("=", 1) for q in query.split("&"))
        h.expect(**line)
