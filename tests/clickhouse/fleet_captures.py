"""Captures of one client working across three sites, for the fleet-rule test: each site's tap
sees a third of what the client did, so no sensor's share reaches a threshold and the whole does.

Per site (writes one pcap each): 8 of 24 guessed bucket names (S3 ListObjectsV2 answered 404
NoSuchBucket) and 20 of 60 anonymous GetObject downloads from one bucket, every request a complete
TCP conversation (tests/metrics/make_many_buckets_pcap.py's writer). The three sites' requests
interleave in time: request k of site s is at T0 + 3k + s seconds, guesses in the first 24 s and
downloads in the next 60 s, well inside the 5-minute enumeration and 10-minute bulk windows.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from make_many_buckets_pcap import Writer  # noqa: E402

T0 = 1_700_000_000.0
CLIENT = "198.51.100.7"
SERVER = "52.216.10.20"
SITES = 3
GUESSES_PER_SITE = 8
DOWNLOADS_PER_SITE = 20
EXFIL_BUCKET = "leaky-data"


def guessed_name(i):
    return "corp-backup-%02d" % i


def write_site_capture(path, site):
    w = Writer(path)
    port = 40000 + site * 1000
    for k in range(GUESSES_PER_SITE):
        name = guessed_name(site * GUESSES_PER_SITE + k)
        req = (b"GET /?list-type=2 HTTP/1.1\r\nHost: %s.s3.amazonaws.com\r\n"
               b"User-Agent: bucket-guesser/1.0\r\n\r\n" % name.encode())
        err = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
               b"<Message>The specified bucket does not exist</Message><BucketName>%s"
               b"</BucketName></Error>" % name.encode())
        resp = (b"HTTP/1.1 404 Not Found\r\nx-amz-request-id: G%d%d\r\nx-amz-id-2: X\r\n"
                b"Content-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
                % (site, k, len(err))) + err
        w.t = T0 + 3 * k + site
        port += 1
        w.conversation(CLIENT, SERVER, port, 80, req, resp)
    for k in range(DOWNLOADS_PER_SITE):
        key = "exports/part-%03d.csv" % (site * DOWNLOADS_PER_SITE + k)
        body = b"id,secret\n%d,%s\n" % (k, b"x" * 64)
        req = (b"GET /%s/%s HTTP/1.1\r\nHost: s3.amazonaws.com\r\n"
               b"User-Agent: curl/8.0\r\n\r\n" % (EXFIL_BUCKET.encode(), key.encode()))
        resp = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: D%d%d\r\nx-amz-id-2: X\r\n"
                b"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % (site, k, len(body))) + body
        w.t = T0 + 3 * GUESSES_PER_SITE + 3 * k + site
        port += 1
        w.conversation(CLIENT, SERVER, port, 80, req, resp)
    w.f.close()


if __name__ == "__main__":
    for s in range(SITES):
        write_site_capture(os.path.join(sys.argv[1], "site-%d.pcap" % s), s)
