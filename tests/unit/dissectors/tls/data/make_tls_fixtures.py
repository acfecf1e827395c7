#!/usr/bin/env python3
"""Regenerates the live TLS fixtures that record_decryptor_test decrypts (issue 19).

For each case, a real `openssl s_server -rev` (it echoes every line reversed) and a real
`openssl s_client` talk on 127.0.0.1 through a relay in this script, which records the bytes of
each direction exactly as they crossed the wire. The suite and version are forced on both ends
(-cipher / -ciphersuites, -tls1_2 / -tls1_3, -no_etm for MAC-then-encrypt); for a
HelloRetryRequest the server accepts only P-256 and the client offers X25519 first, the only
group it sends a key share for (-groups); the client writes its NSS key log (-keylogfile).
tcpdump captures the relayed connection on lo and tshark, given the same key log, decrypts it
independently: a case is written only when tshark's plaintext equals what the client sent and
the server echoed. So the expected plaintext in each fixture is what two implementations we did
not write agree on.

Fixture format (text, one item per line): `name`, `suite` (hex id), `version` (12|13),
`etm` (0|1), `tshark` (the tshark version that agreed), `keylog <NSS line>` (repeated),
`c2s`/`s2c` (hex of the raw TCP byte stream each way), `plain_c2s`/`plain_s2c` (hex of the
application data each way). Each file is a few KB (a P-256 certificate keeps them small).

Usage (root, for tcpdump on lo): make_tls_fixtures.py [OUTPUT_DIR]  (default: this folder)
Traffic stays on loopback, a few hundred bytes per case, and every process has a timeout.
"""

import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name, suite id, version, openssl cipher name, encrypt-then-mac, KeyUpdate mid-connection,
# HelloRetryRequest
CASES = [
    ("tls12_ecdhe_ecdsa_aes128_gcm_sha256", 0xC02B, 12, "ECDHE-ECDSA-AES128-GCM-SHA256", True, False, False),
    ("tls12_ecdhe_ecdsa_aes256_gcm_sha384", 0xC02C, 12, "ECDHE-ECDSA-AES256-GCM-SHA384", True, False, False),
    ("tls12_ecdhe_ecdsa_chacha20_poly1305", 0xCCA9, 12, "ECDHE-ECDSA-CHACHA20-POLY1305", True, False, False),
    ("tls12_ecdhe_ecdsa_aes128_sha_mte", 0xC009, 12, "ECDHE-ECDSA-AES128-SHA", False, False, False),
    ("tls12_ecdhe_ecdsa_aes128_sha_etm", 0xC009, 12, "ECDHE-ECDSA-AES128-SHA", True, False, False),
    ("tls12_ecdhe_ecdsa_aes256_sha_mte", 0xC00A, 12, "ECDHE-ECDSA-AES256-SHA", False, False, False),
    ("tls12_ecdhe_ecdsa_aes128_sha256_mte", 0xC023, 12, "ECDHE-ECDSA-AES128-SHA256", False, False, False),
    ("tls12_ecdhe_ecdsa_aes128_sha256_etm", 0xC023, 12, "ECDHE-ECDSA-AES128-SHA256", True, False, False),
    ("tls12_ecdhe_ecdsa_aes256_sha384_etm", 0xC024, 12, "ECDHE-ECDSA-AES256-SHA384", True, False, False),
    ("tls13_aes128_gcm_sha256", 0x1301, 13, "TLS_AES_128_GCM_SHA256", False, False, False),
    ("tls13_aes256_gcm_sha384", 0x1302, 13, "TLS_AES_256_GCM_SHA384", False, False, False),
    ("tls13_chacha20_poly1305_sha256", 0x1303, 13, "TLS_CHACHA20_POLY1305_SHA256", False, False, False),
    ("tls13_aes128_gcm_keyupdate", 0x1301, 13, "TLS_AES_128_GCM_SHA256", False, True, False),
    ("tls13_aes128_gcm_hrr", 0x1301, 13, "TLS_AES_128_GCM_SHA256", False, False, True),
]

LINES = [b"GET /bucket/object.txt HTTP/1.1", b"Host: s3.localhost"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relay(listener, server_port, streams, done):
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", server_port))
    peers = {client: (server, "c2s"), server: (client, "s2c")}
    open_ends = 2
    deadline = time.time() + 20
    while open_ends and time.time() < deadline:
        ready, _, _ = select.select(list(peers), [], [], 0.5)
        for sock in ready:
            data = sock.recv(65536)
            other, direction = peers[sock]
            if not data:
                open_ends -= 1
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                del peers[sock]
                continue
            streams[direction] += data
            other.sendall(data)
    client.close()
    server.close()
    done.set()


def run_case(tmp, case, openssl):
    name, suite, version, cipher, etm, key_update, hrr = case
    port, relay_port = free_port(), free_port()
    keylog = os.path.join(tmp, name + ".keys")
    pcap = os.path.join(tmp, name + ".pcap")
    vflag = "-tls1_2" if version == 12 else "-tls1_3"
    cflag = ["-cipher", cipher] if version == 12 else ["-ciphersuites", cipher]
    etm_flag = [] if etm else ["-no_etm"]
    dump = subprocess.Popen(["timeout", "30", "tcpdump", "-i", "lo", "-U", "-w", pcap, "-s", "0",
                             "tcp port %d" % relay_port], stderr=subprocess.DEVNULL)
    server = subprocess.Popen(["timeout", "30", openssl, "s_server", "-accept", "127.0.0.1:%d" % port,
                               "-cert", os.path.join(tmp, "c.pem"), "-key", os.path.join(tmp, "k.pem"),
                               "-rev", "-naccept", "1", vflag] + cflag + etm_flag
                              + (["-groups", "P-256"] if hrr else []),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listener = socket.create_server(("127.0.0.1", relay_port))
    streams = {"c2s": b"", "s2c": b""}
    done = threading.Event()
    threading.Thread(target=relay, args=(listener, port, streams, done), daemon=True).start()
    time.sleep(1.0)  # tcpdump and s_server listening
    client = subprocess.Popen(["timeout", "20", openssl, "s_client", "-connect", "127.0.0.1:%d" % relay_port,
                               "-keylogfile", keylog, vflag] + cflag + etm_flag
                              + (["-groups", "X25519:P-256"] if hrr else []),
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sent = b""
    for i, line in enumerate(LINES):
        time.sleep(0.4)
        if key_update and i == 1:
            client.stdin.write(b"K\n")  # s_client command: KeyUpdate, peer asked to update too
            client.stdin.flush()
            time.sleep(0.4)
        client.stdin.write(line + b"\n")
        client.stdin.flush()
        sent += line + b"\n"
    time.sleep(0.6)
    client.stdin.close()
    client.wait(timeout=25)
    done.wait(timeout=25)
    server.wait(timeout=25)
    listener.close()
    time.sleep(0.5)
    dump.terminate()
    dump.wait(timeout=10)
    return streams, sent, keylog, pcap, relay_port


def tshark_plaintext(pcap, keylog, server_port):
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tls.keylog_file:" + keylog, "-q",
                          "-z", "follow,tls,raw,0"], capture_output=True, text=True, timeout=60).stdout
    node0, node1 = b"", b""
    node0_is_server = False
    for line in out.splitlines():
        if line.startswith("Node 0:"):
            # Node 0 is whoever sent the first decrypted data: in TLS 1.3 often the server.
            node0_is_server = line.rstrip().endswith(":%d" % server_port)
        if not line.strip() or line.startswith(("=", "Follow:", "Filter:", "Node ")):
            continue
        if line.startswith("\t"):
            node1 += bytes.fromhex(line.strip())
        else:
            node0 += bytes.fromhex(line.strip())
    return (node1, node0) if node0_is_server else (node0, node1)


def main():
    if os.geteuid() != 0:
        sys.exit("make_tls_fixtures: tcpdump on lo needs root")
    out_dir = sys.argv[1] if len(sys.argv) > 1 else HERE
    openssl = shutil.which("openssl")
    tshark_version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", os.path.join(tmp, "k.pem"), "-out", os.path.join(tmp, "c.pem"),
                        "-subj", "/CN=localhost", "-days", "3650"], check=True, capture_output=True)
        failed = 0
        for case in CASES:
            name, suite, version, _, etm, _, _ = case
            streams, sent, keylog, pcap, relay_port = run_case(tmp, case, openssl)
            t_c2s, t_s2c = tshark_plaintext(pcap, keylog, relay_port)
            # What s_server -rev sends back: each line reversed.
            if t_c2s != sent or t_s2c != b"".join(line[::-1] + b"\n" for line in LINES):
                print("%s: tshark disagrees: c2s %r s2c %r" % (name, t_c2s, t_s2c))
                failed += 1
                continue
            with open(keylog) as f:
                keys = [l.strip() for l in f if l.strip() and not l.startswith("#")]
            path = os.path.join(out_dir, name + ".tlsfix")
            with open(path, "w") as f:
                f.write("# generated by make_tls_fixtures.py: openssl s_client/s_server via a relay;\n")
                f.write("# plaintext checked with %s\n" % tshark_version)
                f.write("name %s\nsuite %04x\nversion %d\netm %d\n" % (name, suite, version, int(etm)))
                for k in keys:
                    f.write("keylog %s\n" % k)
                f.write("c2s %s\ns2c %s\n" % (streams["c2s"].hex(), streams["s2c"].hex()))
                f.write("plain_c2s %s\nplain_s2c %s\n" % (t_c2s.hex(), t_s2c.hex()))
            print("%s: %d+%d bytes, tshark agrees" % (name, len(streams["c2s"]), len(streams["s2c"])))
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
