#!/usr/bin/env python3
"""A tiny S3-like HTTP server for fault tests: answers GET /<bucket>?list-type=2 with a
ListBucketResult (and the x-amz-* response headers the sensor's fingerprint looks for), GET
/<bucket>/<key> with the object. usage: s3_responder.py ADDRESS PORT"""
import http.server
import sys

LISTING = """<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{b}</Name><Prefix></Prefix>
<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>reports/q1.csv</Key><Size>11</Size></Contents>
<Contents><Key>reports/q2.csv</Key><Size>11</Size></Contents></ListBucketResult>"""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/", 1)
        if len(parts) == 1:
            body = LISTING.format(b=parts[0]).encode()
            ctype = "application/xml"
        else:
            body = b"hello,world"
            ctype = "text/csv"
        self.send_response(200)
        self.send_header("x-amz-request-id", "4442587FB7D0A2F9")
        self.send_header("x-amz-id-2", "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6")
        self.send_header("Server", "AmazonS3")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
