"""Detection scenario (issue 5): a crawler guesses bucket names. 82 virtual-hosted names
`<guess>.s3.amazonaws.com` are tried against s3rver (vhost buckets by Host header) with an
anonymous GET / (ListObjects): 80 answer 404 NoSuchBucket, the two that exist (acme-backup,
acme-logs) answer a listing, and the crawler then lists those two again with list-type=2.

Alerts it must raise with the default detection config, and the ones it must not, are in
tests/pcap/detect/s3_bucket_guessing/expected_alerts.json.
"""

from harness import Harness, s3_list_count
from servers import seed_s3_objects, start_s3rver

EXISTING = ["acme-backup", "acme-logs"]
WORDS = ["backup", "backups", "bak", "data", "dev", "prod", "staging", "test", "logs", "assets",
         "static", "media", "files", "uploads", "private", "public", "internal", "archive",
         "db", "dump", "exports", "reports", "finance", "hr", "web", "www", "cdn", "images",
         "docs", "config", "secrets", "keys", "old", "tmp", "qa", "uat", "marketing", "sales",
         "crm", "billing", "analytics", "legacy"]
COMMON = {"provider": "s3", "auth": "anonymous", "client": "curl"}


def guesses() -> list[str]:
    names = []
    for w in WORDS:
        names.append(f"acme-{w}")
        names.append(f"acme{w}")
    # 80 misses + the 2 that exist ("acme-backup" is a word guess; "acme-logs" too).
    names = [n for n in names if n not in EXISTING]
    return names[:80] + EXISTING


def run(h: Harness) -> None:
    ep = start_s3rver(h, buckets=EXISTING)
    for b in EXISTING:
        seed_s3_objects(h, ep, b, {f"{b}/2026/11/{i}.log": b"line\n" * 10 for i in range(3)})
    h.start_capture()
    p = ep.port

    names = guesses()
    h.check(len(names) == 82 and len(set(names)) == 82, "guess list must hold 82 distinct names")
    for name in names:
        host = f"{name}.s3.amazonaws.com"
        if name in EXISTING:
            h.curl_expect(f"http://127.0.0.1:{p}/", headers={"Host": host}, list_parser=s3_list_count,
                          expect={**COMMON, "host": host, "operation": "ListObjects", "bucket": name,
                                  "key": None, "status": 200, "error_code": None, "list_keys": 3,
                                  "list_truncated": False})
        else:
            h.curl_expect(f"http://127.0.0.1:{p}/", headers={"Host": host},
                          expect={**COMMON, "host": host, "operation": "ListObjects", "bucket": name,
                                  "key": None, "status": 404, "error_code": "NoSuchBucket"})
    for name in EXISTING:
        host = f"{name}.s3.amazonaws.com"
        h.curl_expect(f"http://127.0.0.1:{p}/?list-type=2", headers={"Host": host}, list_parser=s3_list_count,
                      expect={**COMMON, "host": host, "operation": "ListObjectsV2", "bucket": name,
                              "key": None, "status": 200, "error_code": None, "list_keys": 3,
                              "list_truncated": False})
