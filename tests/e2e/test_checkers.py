#!/usr/bin/env python3
"""Tests of the e2e checkers themselves (no servers, no root): check_ledger.py matching,
check_capture.py's response framing and its verdict on the saved captures in tests/pcap/e2e,
and reconcile.py's S3 operation names.

    python3 tests/e2e/test_checkers.py        (standard library unittest; tshark for the pcap tests)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAVED = HERE.parent / "pcap" / "e2e"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "lib"))

import check_capture  # noqa: E402
from reconcile import s3_operation  # noqa: E402


def manifest_line(seq: int, **kw) -> dict:
    base = {"seq": seq, "method": "GET", "provider": "s3", "bucket": "b", "key": None, "operation": "ListObjectsV2",
            "auth": "anonymous", "status": 200, "error_code": None}
    base.update(kw)
    return base


def ledger_line(ts: int, port: int = 40000, nested: bool = True, **kw) -> dict:
    fields = {"http.request.method": "GET", "storage.provider": "s3", "storage.bucket": "b", "storage.key": "",
              "storage.operation": "ListObjectsV2", "storage.auth.class": "anonymous",
              "http.response.status_code": 200, "storage.error_code": "", "storage.list.keys": -1,
              "source.ip": "127.0.0.1", "source.port": port, "destination.ip": "127.0.0.1",
              "destination.port": 9000, "@timestamp": f"2026-11-23T10:00:{ts:02d}.000Z"}
    fields.update(kw)
    if not nested:
        return fields
    doc: dict = {}
    for dotted, value in fields.items():
        if dotted == "@timestamp":
            doc[dotted] = value
            continue
        node = doc
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return doc


class CheckLedgerTest(unittest.TestCase):
    def run_checker(self, expected: list[dict], ledger: list[dict], *args: str) -> tuple[int, str]:
        with tempfile.TemporaryDirectory() as d:
            e, l = Path(d) / "e.jsonl", Path(d) / "l.jsonl"
            e.write_text("".join(json.dumps(x) + "\n" for x in expected))
            l.write_text("".join(json.dumps(x) + "\n" for x in ledger))
            cp = subprocess.run([sys.executable, str(HERE / "check_ledger.py"), *args, str(e), str(l)],
                                capture_output=True, text=True, timeout=60)
            return cp.returncode, cp.stdout + cp.stderr

    def sample(self):
        expected = [
            manifest_line(1, list_keys=2),
            manifest_line(2, operation="GetObject", key="k1"),
            manifest_line(3, operation="GetObject", key="k2", status=404, error_code="NoSuchKey"),
        ]
        ledger = [
            ledger_line(1, **{"storage.list.keys": 2}),
            ledger_line(2, **{"storage.operation": "GetObject", "storage.key": "k1"}),
            ledger_line(3, **{"storage.operation": "GetObject", "storage.key": "k2",
                              "http.response.status_code": 404, "storage.error_code": "NoSuchKey"}),
        ]
        return expected, ledger

    def test_exact_match_passes_nested_and_flat(self):
        expected, ledger = self.sample()
        rc, out = self.run_checker(expected, ledger, "--ordered")
        self.assertEqual(rc, 0, out)
        flat = [ledger_line(i + 1, nested=False) for i in range(3)]
        flat[0]["storage.list.keys"] = 2
        flat[1].update({"storage.operation": "GetObject", "storage.key": "k1"})
        flat[2].update({"storage.operation": "GetObject", "storage.key": "k2", "http.response.status_code": 404,
                        "storage.error_code": "NoSuchKey"})
        rc, out = self.run_checker(expected, flat)
        self.assertEqual(rc, 0, out)

    def test_field_difference_fails_with_diff(self):
        expected, ledger = self.sample()
        ledger[2]["storage"]["error_code"] = "AccessDenied"
        rc, out = self.run_checker(expected, ledger)
        self.assertEqual(rc, 1)
        self.assertIn("storage.error_code: ledger 'AccessDenied', expected 'NoSuchKey'", out)

    def test_list_keys_as_list_and_null_semantics(self):
        expected, ledger = self.sample()
        ledger[0]["storage"]["list"]["keys"] = ["a", "b"]
        self.assertEqual(self.run_checker(expected, ledger)[0], 0)
        ledger[0]["storage"]["list"]["keys"] = ["a", "b", "c"]
        self.assertEqual(self.run_checker(expected, ledger)[0], 1)
        expected, ledger = self.sample()
        ledger[1]["storage"]["error_code"] = "Spurious"  # manifest says null: must be absent
        self.assertEqual(self.run_checker(expected, ledger)[0], 1)

    def test_extra_and_missing_lines_fail(self):
        expected, ledger = self.sample()
        rc, out = self.run_checker(expected, ledger + [ledger_line(4)])
        self.assertEqual(rc, 1)
        self.assertIn("matches nothing expected", out)
        rc, out = self.run_checker(expected, ledger[:2])
        self.assertEqual(rc, 1)
        self.assertIn("missing from the ledger", out)

    def test_min_recall(self):
        expected, ledger = self.sample()
        rc, out = self.run_checker(expected, ledger[:2], "--min-recall", "0.6")
        self.assertEqual(rc, 0, out)
        rc, _ = self.run_checker(expected, ledger[:2], "--min-recall", "0.7")
        self.assertEqual(rc, 1)
        # Still no line may match nothing.
        rc, _ = self.run_checker(expected, ledger[:2] + [ledger_line(9, **{"storage.bucket": "zz"})],
                                 "--min-recall", "0.5")
        self.assertEqual(rc, 1)

    def test_ordered_per_connection(self):
        expected, ledger = self.sample()
        # Same connection, logged in the wrong order (timestamps swapped).
        ledger[1]["@timestamp"], ledger[2]["@timestamp"] = ledger[2]["@timestamp"], ledger[1]["@timestamp"]
        self.assertEqual(self.run_checker(expected, ledger)[0], 0)  # as a multiset it is fine
        rc, out = self.run_checker(expected, ledger, "--ordered")
        self.assertEqual(rc, 1)
        self.assertIn("out of order", out)
        # On different connections the order across them does not matter.
        ledger[2]["source"]["port"] = 40001
        self.assertEqual(self.run_checker(expected, ledger, "--ordered")[0], 0)

    def tls_sample(self):
        tls = {"tls_decrypted": True, "tls_established": True, "tls_version": "1.3",
               "tls_cipher": "TLS_AES_128_GCM_SHA256", "sni": "s3.amazonaws.com"}
        expected = [manifest_line(1, tls_decrypted=False, tls_version=None),
                    manifest_line(2, **tls)]
        ledger = [ledger_line(1),
                  ledger_line(2, port=40001, **{"tls.decrypted": True, "tls.established": True, "tls.version": "1.3",
                                                "tls.cipher": "TLS_AES_128_GCM_SHA256",
                                                "tls.client.server_name": "S3.amazonaws.com"})]
        return expected, ledger

    def test_tls_fields_of_a_decrypted_request(self):
        expected, ledger = self.tls_sample()
        rc, out = self.run_checker(expected, ledger, "--ordered")
        self.assertEqual(rc, 0, out)
        for dotted, wrong in (("version", "1.2"), ("cipher", "TLS_AES_256_GCM_SHA384"),
                              ("client.server_name", "other.example"), ("decrypted", False),
                              ("established", False)):
            with self.subTest(field=dotted):
                _, ledger = self.tls_sample()
                node = ledger[1]["tls"]
                parts = dotted.split(".")
                for p in parts[:-1]:
                    node = node[p]
                node[parts[-1]] = wrong
                rc, out = self.run_checker(expected, ledger)
                self.assertEqual(rc, 1, out)
                self.assertIn(f"tls.{dotted}: ledger", out)

    def test_tls_absent_fields(self):
        expected, ledger = self.tls_sample()
        # The plaintext line: no tls object at all, or tls.decrypted false, both mean plaintext.
        ledger[0]["tls"] = {"decrypted": False}
        self.assertEqual(self.run_checker(expected, ledger)[0], 0)
        # A plaintext line must not claim a TLS version.
        ledger[0]["tls"] = {"version": "1.2"}
        self.assertEqual(self.run_checker(expected, ledger)[0], 1)
        # A decrypted request logged without tls fields (as if plaintext) is missing.
        expected, ledger = self.tls_sample()
        del ledger[1]["tls"]
        rc, out = self.run_checker(expected, ledger)
        self.assertEqual(rc, 1)
        self.assertIn("tls.decrypted: ledger False, expected True", out)
        # sni null asserts that the ClientHello had none (an SDK addressing 127.0.0.1).
        expected, ledger = self.tls_sample()
        expected[1]["sni"] = None
        self.assertEqual(self.run_checker(expected, ledger)[0], 1)
        del ledger[1]["tls"]["client"]
        self.assertEqual(self.run_checker(expected, ledger)[0], 0)

    def test_unreadable_input(self):
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d) / "bad.jsonl"
            bad.write_text("{not json\n")
            cp = subprocess.run([sys.executable, str(HERE / "check_ledger.py"), str(bad), str(bad)],
                                capture_output=True, text=True, timeout=60)
            self.assertEqual(cp.returncode, 2)


class ResponseFramingTest(unittest.TestCase):
    def test_head_with_content_length_in_a_pipeline(self):
        data = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                b"HTTP/1.1 200 OK\r\nContent-Length: 350\r\n\r\n"  # HEAD: no body follows
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!"
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n0\r\n\r\n"
                b"HTTP/1.1 204 No Content\r\n\r\n")
        self.assertEqual(check_capture.parse_response_statuses(data, ["GET", "HEAD", "GET", "PUT", "DELETE"]),
                         [200, 200, 404, 201, 204])

    def test_truncated_stream_stops(self):
        data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 20"
        self.assertEqual(check_capture.parse_response_statuses(data, ["GET", "GET"]), [200])


class S3OperationTest(unittest.TestCase):
    def test_names(self):
        cases = [
            ("GET", "/", {}, ("ListBuckets", None, None)),
            ("GET", "/b", {"list-type": "2"}, ("ListObjectsV2", "b", None)),
            ("GET", "/b/", {"delimiter": "/"}, ("ListObjects", "b", None)),
            ("GET", "/b", {"location": ""}, ("GetBucketLocation", "b", None)),
            ("HEAD", "/b", {}, ("HeadBucket", "b", None)),
            ("HEAD", "/b/k/x", {}, ("HeadObject", "b", "k/x")),
            ("GET", "/b/k", {"acl": ""}, ("GetObjectAcl", "b", "k")),
            ("PUT", "/b/k", {"partNumber": "1", "uploadId": "u"}, ("UploadPart", "b", "k")),
            ("POST", "/b/k", {"uploads": ""}, ("CreateMultipartUpload", "b", "k")),
            ("DELETE", "/b/k", {}, ("DeleteObject", "b", "k")),
        ]
        for method, path, query, want in cases:
            with self.subTest(method=method, path=path, query=query):
                self.assertEqual(s3_operation(method, path, query), want)


@unittest.skipUnless(shutil.which("tshark"), "tshark is not installed")
class SavedCaptureTest(unittest.TestCase):
    """Every saved capture holds exactly what its manifest says, and a wrong manifest is caught."""

    def saved(self) -> list[str]:
        names = sorted(p.stem for p in SAVED.glob("*.pcap"))
        self.assertTrue(names, f"no saved captures in {SAVED}")
        return names

    def check(self, expected: Path, pcap: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(HERE / "check_capture.py"), str(expected), str(pcap)],
                              capture_output=True, text=True, timeout=180)

    def test_saved_captures_match_their_manifests(self):
        for name in self.saved():
            with self.subTest(scenario=name):
                cp = self.check(SAVED / f"{name}.expected.jsonl", SAVED / f"{name}.pcap")
                self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_tampered_manifest_is_caught(self):
        name = "s3_ipv6_pipelined"
        lines = (SAVED / f"{name}.expected.jsonl").read_text().splitlines()
        with tempfile.TemporaryDirectory() as d:
            wrong_status = [json.loads(x) for x in lines]
            wrong_status[-1]["status"] = 500
            p = Path(d) / "m.jsonl"
            p.write_text("".join(json.dumps(x) + "\n" for x in wrong_status))
            cp = self.check(p, SAVED / f"{name}.pcap")
            self.assertEqual(cp.returncode, 1, cp.stdout)
            self.assertIn("missing on the wire", cp.stdout)
            p.write_text("\n".join(lines[:-1]) + "\n")  # one request the manifest does not mention
            cp = self.check(p, SAVED / f"{name}.pcap")
            self.assertEqual(cp.returncode, 1, cp.stdout)
            self.assertIn("not in the manifest", cp.stdout)
            wrong_auth = [json.loads(x) for x in lines]
            wrong_auth[0]["auth"] = "signed"
            p.write_text("".join(json.dumps(x) + "\n" for x in wrong_auth))
            self.assertEqual(self.check(p, SAVED / f"{name}.pcap").returncode, 1)

    def test_reconcile_adds_what_the_client_sent_on_its_own(self):
        from harness import Harness
        from reconcile import add_unintended_from_capture
        name = "s3_rclone"
        lines = [json.loads(x) for x in (SAVED / f"{name}.expected.jsonl").read_text().splitlines()]
        dropped = next(i for i, x in enumerate(lines) if x["method"] == "HEAD")
        with tempfile.TemporaryDirectory() as d:
            h = Harness(name, Path(d), "tcpdump", None)
            h.pcap = SAVED / f"{name}.pcap"
            h.capture_ports = check_capture.server_ports("tshark", str(h.pcap))
            h.manifest = [x for i, x in enumerate(lines) if i != dropped]
            self.assertEqual(add_unintended_from_capture(h, client="rclone", provider="s3_compatible"), 1)
        added = [x for x in h.manifest if x["origin"] == "capture"]
        self.assertEqual(len(added), 1)
        want = lines[dropped]
        for field in ("method", "path", "operation", "bucket", "key", "auth", "status", "access_key_id"):
            self.assertEqual(added[0][field], want[field], field)
        # Put back where it was on the wire, and renumbered.
        self.assertEqual(h.manifest.index(added[0]), dropped)
        self.assertEqual([x["seq"] for x in h.manifest], list(range(1, len(lines) + 1)))

    def test_manifests_are_well_formed(self):
        allowed_auth = {"anonymous", "signed", "presigned", "bearer"}
        allowed_provider = {"s3", "s3_compatible", "azure_blob", "gcs"}
        for name in self.saved():
            with self.subTest(scenario=name):
                lines = [json.loads(x) for x in (SAVED / f"{name}.expected.jsonl").read_text().splitlines()]
                self.assertTrue(lines)
                self.assertEqual([x["seq"] for x in lines], list(range(1, len(lines) + 1)))
                for x in lines:
                    self.assertIn(x["auth"], allowed_auth)
                    self.assertIn(x["provider"], allowed_provider)
                    self.assertIsInstance(x["status"], int)
                    self.assertTrue(x["operation"])
                    self.assertIn(x["origin"], ("intended", "capture"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
