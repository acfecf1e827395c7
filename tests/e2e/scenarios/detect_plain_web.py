"""Detection scenario (issue 5): ordinary web traffic that is not object storage. Python's
http.server serves a small site on 127.0.0.1; curl fetches pages, style sheets, images, a
download and a JSON API with query strings, and POSTs a form (answered 501 by http.server).
Paths such as /downloads/report.pdf or /assets/img/logo.png look like /<bucket>/<key> but no
storage name or fingerprint is present: the sensor must see no storage request at all.

Expected: no alert of any rule (tests/pcap/detect/plain_web/expected_alerts.json).
"""

import sys

from harness import LOOPBACK_V4, Harness, free_port

FILES = {
    "index.html": b"<html><head><link rel=stylesheet href=/assets/site.css></head><body>hi</body></html>\n",
    "assets/site.css": b"body { font-family: sans-serif }\n" * 5,
    "assets/img/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 300,
    "downloads/report.pdf": b"%PDF-1.7\n" * 50,
    "api/items": b'{"items": [1, 2, 3]}\n',
}
PAGES = [f"blog/post-{i}.html" for i in range(30)]


def run(h: Harness) -> None:
    root = h.work / "site"
    for name, body in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    for name in PAGES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(f"<html><body>{name}</body></html>\n".encode())
    port = free_port(LOOPBACK_V4)
    proc = h.start(f"http-{port}", [sys.executable, "-m", "http.server", "--bind", LOOPBACK_V4,
                                    "--directory", str(root), str(port)])
    h.wait_tcp(LOOPBACK_V4, port, proc)
    h.capture_ports.append(port)
    h.start_capture()
    base = f"http://{LOOPBACK_V4}:{port}"

    for name in ["index.html", "assets/site.css", "assets/img/logo.png", "downloads/report.pdf"]:
        res = h.curl_expect(f"{base}/{name}", expect={"status": 200})
        h.check(res.body == FILES[name], f"{name}: body differs")
    h.curl_expect(f"{base}/api/items?page=2&sort=name", expect={"status": 200})
    for name in PAGES:
        h.curl_expect(f"{base}/{name}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"},
                      expect={"status": 200})
    h.curl_expect(f"{base}/missing/page.html", expect={"status": 404})
    h.curl_expect(f"{base}/contact", method="POST", data=b"name=a&msg=b",
                  headers={"Content-Type": "application/x-www-form-urlencoded"}, expect={"status": 501})
