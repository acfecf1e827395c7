#!/usr/bin/env python3
"""Writes small HTTPS captures of S3 traffic with their NSS key logs, for the hostile TLS tests
(tls_hostile_test.py, issue 19).

Each connection is a real TLS session: Python's ssl module (OpenSSL) runs a client and a server
against each other in memory (ssl.MemoryBIO, no sockets), the client writing its key log
(SSLContext.keylog_filename) as curl or boto3 would with SSLKEYLOGFILE. What each side writes is
framed into Ethernet/IPv4/TCP segments (make_evasion.py's Conn: correct checksums, 1 ms apart),
each flight followed by the receiver's ACK, so a segment left out of the capture is a hole the
receiver acknowledged: lost by the tap, not by the network.

The conversation (keep-alive, one connection): three anonymous S3 requests, each answered before
the next is sent:
  1. GET /bucket-a/?list-type=2        -> ListBucketResult (3 keys), one segment
  2. GET /bucket-a/exports/customers.csv -> 200 with a 6000-byte object, five segments
  3. GET /bucket-b/?list-type=2        -> ListBucketResult (2 keys), one segment
then FIN both ways. The handshake flights stay under 1000 bytes per frame (a P-256 certificate),
the object's segments are full (1502-byte frames): a snaplen between the two keeps the handshake
and cuts the object.

  make_tls_captures.py OUTDIR tls12|tls13   writes OUTDIR/<version>.pcap and .keylog
"""
import os
import ssl
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_evasion as ev  # noqa: E402

SNI = "s3.amazonaws.com"
OBJECT = b"".join(b"%05d,customer-%05d,paid\n" % (i, i) for i in range(250))  # 6000 bytes
KEYS_B = ["backup/db.sql.gz", "backup/keys.txt"]
EXCHANGES = [
    ("list-a", ev.get(ev.LIST_A), ev.listing("bucket-a", ev.KEYS_A)),
    ("object", ev.get("/bucket-a/exports/customers.csv"), ev.obj(OBJECT)),
    ("list-b", ev.get(ev.LIST_B), ev.listing("bucket-b", KEYS_B)),
]
VERSIONS = {
    # name: (TLS version, OpenSSL cipher list (None: TLS 1.3's default suites), its IANA name)
    "tls12": (ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256",
              "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    "tls13": (ssl.TLSVersion.TLSv1_3, None, None),
}
MSS = 1448


def make_certificate(directory):
    """A throwaway self-signed P-256 certificate for the server (small: the handshake flights
    stay well under one full segment)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=" + SNI, "-days", "30"], check=True, capture_output=True)
    return cert, key


class Session:
    """A TLS client and server in memory; flights() are the bytes each wrote, in order, labelled
    ("hello", "handshake", then "request <name>"/"response <name>")."""

    def __init__(self, version, keylog, cert, key):
        tls_version, ciphers, iana = VERSIONS[version]
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert, key)
        server.num_tickets = 0  # no NewSessionTicket: nothing here resumes
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        client.minimum_version = client.maximum_version = tls_version
        if ciphers:
            client.set_ciphers(ciphers)
        client.keylog_filename = keylog
        self.bios = [ssl.MemoryBIO() for _ in range(4)]
        c_in, c_out, s_in, s_out = self.bios
        self.client = client.wrap_bio(c_in, c_out, server_hostname=SNI)
        self.server = server.wrap_bio(s_in, s_out, server_side=True)
        self.flights = []  # (from_client, label, bytes)
        self._handshake()
        # What the ledger says: "1.2"/"1.3" and the suite's IANA name (OpenSSL names TLS 1.3
        # suites the IANA way).
        self.version = self.client.version().replace("TLSv", "")
        self.cipher = iana or self.client.cipher()[0]

    def _move(self, label):
        c_in, c_out, s_in, s_out = self.bios
        moved = False
        for from_client, src, dst in ((True, c_out, s_in), (False, s_out, c_in)):
            data = src.read()
            if data:
                dst.write(data)
                self.flights.append((from_client, label, data))
                moved = True
        return moved

    def _handshake(self):
        done = [False, False]
        for _ in range(20):
            for i, end in enumerate((self.client, self.server)):
                if not done[i]:
                    try:
                        end.do_handshake()
                        done[i] = True
                    except ssl.SSLWantReadError:
                        pass
            self._move("hello" if not self.flights else "handshake")
            if all(done):
                break
        if not all(done):
            raise SystemExit("make_tls_captures: the in-memory handshake did not finish")
        self._move("handshake")  # TLS 1.3: the client's Finished

    def exchange(self, name, request, response):
        self.client.write(request)
        self._move("request " + name)
        if self.server.read(len(request) + 1) != request:
            raise SystemExit("make_tls_captures: the server read another request")
        self.server.write(response)
        self._move("response " + name)
        got = b""
        while len(got) < len(response):
            got += self.client.read(len(response))
        if got != response:
            raise SystemExit("make_tls_captures: the client read another response")


def write_connection(cap, session, sport, drop=None, client_ip=None):
    """Frames the session's flights as TCP segments on `cap` (make_evasion.Capture), from
    `client_ip` (default make_evasion.CLIENT_IP). drop(label, index) -> True leaves segment
    `index` of that flight out of the capture; the receiver's ACK still covers it."""
    c = ev.Conn(cap, sport, dport=443, cisn=0x1000 + sport, sisn=0x50000000 + sport)
    if client_ip:
        c.c = (ev.ip_bytes(client_ip), sport)
    c.handshake()
    for from_client, label, data in session.flights:
        for index, off in enumerate(range(0, len(data), MSS)):
            chunk = data[off:off + MSS]
            seq = c.cseq if from_client else c.sseq
            ack = c.sseq if from_client else c.cseq
            if not (drop and drop(label, index)):
                c.frame(from_client, seq, ack, ev.PSH | ev.ACK, chunk)
            if from_client:
                c.cseq += len(chunk)
            else:
                c.sseq += len(chunk)
        if from_client:
            c.frame(False, c.sseq, c.cseq, ev.ACK)
        else:
            c.frame(True, c.cseq, c.sseq, ev.ACK)
    c.close()


def conversation(version, keylog, workdir):
    """A session of `version` that carried EXCHANGES, its key log written to `keylog`."""
    cert, key = make_certificate(workdir)
    session = Session(version, keylog, cert, key)
    for name, request, response in EXCHANGES:
        session.exchange(name, request, response)
    return session


def keylog_lines(path):
    return [line for line in open(path).read().splitlines() if line and not line.startswith("#")]


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in VERSIONS:
        print(__doc__, file=sys.stderr)
        return 2
    out, version = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    keylog = os.path.join(out, version + ".keylog")
    with tempfile.TemporaryDirectory() as tmp:
        session = conversation(version, keylog, tmp)
    cap = ev.Capture()
    write_connection(cap, session, 41443)
    cap.write(os.path.join(out, version + ".pcap"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
