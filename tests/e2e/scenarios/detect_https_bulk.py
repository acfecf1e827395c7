"""Detection scenario (issue 5): HTTPS downloads of 60 objects on one keep-alive connection to a
virtual-hosted S3 name. s3rver does not speak TLS, so a small Python HTTPS server (standard
library, self-signed certificate for data-lake.s3.amazonaws.com made by openssl in the work
directory before the capture) answers GET /obj/NNN with S3-style headers; curl (one process,
60 URLs, so one connection, --resolve to 127.0.0.1) downloads them. The sensor sees only the SNI,
the TLS records and their directions: bucket data-lake from the SNI, 60 request/response turns,
the application-data bytes to the client.

The manifest is empty on purpose: no HTTP request is visible on the wire (check_capture.py then
asserts that none is). The TLS facts the test expects are in
tests/pcap/detect/https_bulk/expected_alerts.json.
"""

import sys

from harness import LOOPBACK_V4, Harness, ScenarioError, free_port

SNI = "data-lake.s3.amazonaws.com"
OBJECTS = 60
OBJECT_BYTES = 3000

SERVER = r'''
import http.server, ssl, sys
cert, key, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = (self.path.encode() + b"\n") * (size // (len(self.path) + 1))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "4442587FB7D0A2F9")
        self.send_header("Server", "AmazonS3")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        sys.stderr.write(fmt % args + "\n")
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
'''


def run(h: Harness) -> None:
    cert = h.work / "cert.pem"
    key = h.work / "key.pem"
    h.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={SNI}",
           "-addext", f"subjectAltName=DNS:{SNI}", "-keyout", str(key), "-out", str(cert)], name="openssl")
    port = free_port(LOOPBACK_V4)
    proc = h.start(f"https-{port}", [sys.executable, "-c", SERVER, str(cert), str(key), str(port),
                                     str(OBJECT_BYTES)])
    h.wait_tcp(LOOPBACK_V4, port, proc)
    h.capture_ports.append(port)
    # wait_tcp's probe connection is not captured (before start_capture).
    h.start_capture()
    urls = [f"https://{SNI}:{port}/obj/{i:03d}" for i in range(OBJECTS)]
    cp = h.run(["curl", "-sS", "--max-time", "60", "--noproxy", "*", "--cacert", str(cert),
                "--resolve", f"{SNI}:{port}:{LOOPBACK_V4}", "--http1.1",
                "-w", "%{http_code} %{num_connects}\n", *[a for u in urls for a in ("-o", "/dev/null", u)]], name="curl", timeout=90)
    lines = cp.stdout.decode().split()
    codes = lines[0::2]
    connects = [int(x) for x in lines[1::2]]
    if codes != ["200"] * OBJECTS:
        raise ScenarioError(f"https downloads: statuses {codes}")
    if sum(connects) != 1:
        raise ScenarioError(f"curl opened {sum(connects)} connections, intended one keep-alive connection")
    h.notes.append(f"{OBJECTS} objects over one TLS connection to {SNI}")
