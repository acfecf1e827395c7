#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora from the project's real captures (tests/pcap/e2e and
tests/pcap/captures) and the generated encapsulation cases (tests/pcap/encap), in each target's
input format, into tests/fuzz/corpus/<target>/, and seeds the HTTP parser with the request-form
captures of tests/pcap/http_forms (HTTP/0.9, SOCKS handshakes, odd versions; written to a
temporary directory by make_http_forms.py). The TLS connection decryptor's seeds drive the live
TLS fixtures (tests/unit/dissectors/tls/data) whole, so its coverage starts inside decryption.

  tests/fuzz/make_seed_corpus.py          (needs tshark)

Seeds are small (each conversation cut to 8 KiB) and deterministic, so the corpus can be
committed and regenerated when captures change.
"""
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CAPTURES = sorted(
    [os.path.join(ROOT, "tests/pcap/e2e", f) for f in os.listdir(os.path.join(ROOT, "tests/pcap/e2e")) if f.endswith(".pcap")]
    + [os.path.join(ROOT, "tests/pcap/captures", f) for f in os.listdir(os.path.join(ROOT, "tests/pcap/captures")) if f.endswith(".pcap")])
MAX_SEED = 8192
# pcap link type -> its position in kLinks of decode_fuzz.cc (the seed's first byte).
DECODE_LINK_INDEX = {0: 0, 1: 1, 12: 2, 14: 3, 108: 4, 113: 5, 228: 6, 229: 7, 276: 8, 9: 9,
                     50: 10, 51: 11, 104: 12, 105: 13, 112: 14, 127: 15, 204: 16, 205: 17, 239: 18}
sys.dont_write_bytecode = True  # no __pycache__ in the source tree


def tshark(*args):
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout


def streams(pcap):
    """Yields each TCP stream as a list of (direction, bytes) chunks in wire order."""
    ids = {int(x) for x in tshark("-r", pcap, "-T", "fields", "-e", "tcp.stream").split() if x}
    for sid in sorted(ids):
        out = tshark("-r", pcap, "-q", "-z", f"follow,tcp,raw,{sid}")
        chunks = []
        body = out.split("===================================================================")
        for line in (body[1] if len(body) > 1 else "").splitlines():
            m = re.match(r"^(\t?)([0-9a-f]+)$", line)
            if m:
                chunks.append((1 if m.group(1) else 0, bytes.fromhex(m.group(2))))
        if chunks:
            yield chunks


def save(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def http_script(chunks):
    out = bytearray()
    for direction, data in chunks:
        for i in range(0, len(data), 255):
            piece = data[i:i + 255]
            out += bytes([4 | direction, len(piece)]) + piece
            if len(out) > MAX_SEED:
                return bytes(out)
    return bytes(out)


def tls_fixtures():
    """The live TLS fixtures in the order fuzz_tls_connection_decryptor indexes them (sorted
    file names): (version, c2s, s2c)."""
    data = os.path.join(ROOT, "tests/unit/dissectors/tls/data")
    out = []
    for name in sorted(f for f in os.listdir(data) if f.endswith(".tlsfix")):
        fields = {}
        for line in open(os.path.join(data, name)):
            key, _, rest = line.rstrip("\n").partition(" ")
            fields[key] = rest
        out.append((int(fields["version"]), bytes.fromhex(fields["c2s"]), bytes.fromhex(fields["s2c"])))
    return out


def hello_end(c2s):
    """Stream offset past the record that carries the ClientHello's last byte."""
    need = 4 + int.from_bytes(c2s[6:9], "big")
    off = 0
    while need > 0 and off + 5 <= len(c2s):
        length = int.from_bytes(c2s[off + 3:off + 5], "big")
        need -= length
        off += 5 + length
    return off


def decryptor_seed(index, flags, keys_at, ops, own=None):
    """A fuzz_tls_connection_decryptor input (its header comment has the layout): ops are
    (direction, gap, length); with `own` (c2s, s2c) the bytes follow each operation inline."""
    out = bytearray([index, flags, keys_at, 0, 0])
    cursor = [0, 0]
    for direction, gap, length in ops:
        out += bytes([direction | (2 if gap else 0) | (length >> 8) << 3, length & 0xFF])
        if own is not None and not gap:
            out += own[direction][cursor[direction]:cursor[direction] + length]
        cursor[direction] += length
    return bytes(out)


def interleaved(c2s, s2c, chunk, gap_at=None):
    """The ClientHello, then alternating server and client chunks (the server's answer first),
    as a sensor sees a connection; gap_at=(direction, n): the n-th chunk of that direction is
    lost."""
    ops = [(0, False, hello_end(c2s))]
    pos = [ops[0][2], 0]
    count = [0, 0]
    while pos[0] < len(c2s) or pos[1] < len(s2c):
        for d, stream in ((1, s2c), (0, c2s)):
            n = min(chunk, len(stream) - pos[d])
            if n:
                ops.append((d, gap_at == (d, count[d]), n))
                pos[d] += n
                count[d] += 1
    return ops


def tls_connection_decryptor_seeds():
    """Seeds that reach the decrypting paths: every fixture with its keys from the start, late
    and (TLS 1.3) in two steps, a lost server chunk, the fixture's own bytes inline, and (TLS
    1.3) 0-RTT offered with the client's records first."""
    for i, (version, c2s, s2c) in enumerate(tls_fixtures()):
        save("tls_connection_decryptor", decryptor_seed(i, 0, 0, interleaved(c2s, s2c, 1460)))
        save("tls_connection_decryptor", decryptor_seed(i, 2, 3, interleaved(c2s, s2c, 500)))
        save("tls_connection_decryptor", decryptor_seed(i, 0, 0, interleaved(c2s, s2c, 300, (1, 3))))
        if version == 13:
            save("tls_connection_decryptor", decryptor_seed(i, 3, 2, interleaved(c2s, s2c, 1000)))
            # 0-RTT offered, the client's records ahead of the server's: early-data paths.
            ops = [(0, False, hello_end(c2s)), (0, False, len(c2s) - hello_end(c2s)), (1, False, len(s2c))]
            save("tls_connection_decryptor", decryptor_seed(i, 32, 0, ops))
            save("tls_connection_decryptor", decryptor_seed(i, 32 | 64, 0, ops))
            # The same without the compatibility ChangeCipherSpec (own bytes): the client's
            # records come before the ServerHello is read.
            end = hello_end(c2s)
            rest = c2s[end + 6:] if c2s[end:end + 1] == b"\x14" else c2s[end:]
            ops = [(0, False, end), (0, False, len(rest)), (1, False, len(s2c))]
            save("tls_connection_decryptor",
                 decryptor_seed(i, 8 | 32 | 64, 0, ops, own=(c2s[:end] + rest, s2c)))
        save("tls_connection_decryptor",
             decryptor_seed(i, 8, 0, interleaved(c2s, s2c, 1460), own=(c2s, s2c)))


def main():
    tls_connection_decryptor_seeds()
    for pcap in CAPTURES:
        for chunks in streams(pcap):
            client = b"".join(d for s, d in chunks if s == 0)
            server = b"".join(d for s, d in chunks if s == 1)
            if client[:1] == b"\x16":
                save("tls_client_hello", client[:MAX_SEED])
                continue
            save("http_parser", http_script(chunks))
            # Recogniser lines: method, host, target, headers, "", status, headers, "", body.
            req = client.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            resp_head, _, resp_body = server.partition(b"\r\n\r\n")
            resp = resp_head.split(b"\r\n")
            m = re.match(rb"^(\S+) (\S+) HTTP", req[0] if req else b"")
            s = re.match(rb"^HTTP/1\.\d (\d+)", resp[0] if resp else b"")
            if m and s:
                host = next((h.split(b":", 1)[1].strip() for h in req[1:] if h.lower().startswith(b"host:")), b"")
                lines = [m.group(1), host, m.group(2)] + req[1:] + [b"", s.group(1)] + resp[1:] + [b""]
                save("storage_recogniser", (b"\n".join(lines) + b"\n" + resp_body[:2048])[:MAX_SEED])
            if b"<?xml" in server or b'"kind"' in server:
                body = server[server.find(b"\r\n\r\n") + 4:]
                save("storage_listing_scanner", body[:MAX_SEED])
        # Decoder: link type index 1 (Ethernet) then the first frames of the capture.
        raw = open(pcap, "rb").read()
        off, frames = 24, []
        while off + 16 <= len(raw) and len(frames) < 4:
            incl = struct.unpack("<I", raw[off + 8:off + 12])[0]
            frames.append(raw[off + 16:off + 16 + min(incl, 1500)])
            off += 16 + incl
        for fr in frames:
            save("decode", bytes([1]) + fr)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/pcap/http_forms/make_http_forms.py"),
                        tmp], check=True)
        for name in sorted(os.listdir(tmp)):
            for chunks in streams(os.path.join(tmp, name)):
                save("http_parser", http_script(chunks))
    # Decoder: the first frames of each encapsulation case (tests/pcap/encap), under the index
    # of its link type in decode_fuzz.cc's kLinks.
    sys.path.insert(0, os.path.join(ROOT, "tests/pcap/encap"))
    import make_encap  # noqa: E402
    for name in make_encap.CASES:
        link, frames = make_encap.build(name)
        for fr in frames[:4]:
            save("decode", bytes([DECODE_LINK_INDEX[link]]) + fr[:1500])
    print("seed corpora:", {d: len(os.listdir(os.path.join(HERE, "corpus", d))) for d in sorted(os.listdir(os.path.join(HERE, "corpus")))})


if __name__ == "__main__":
    sys.exit(main())
