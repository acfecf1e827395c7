#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora from the project's real captures (tests/pcap/e2e and
tests/pcap/captures) and the generated encapsulation cases (tests/pcap/encap), in each target's
input format, into tests/fuzz/corpus/<target>/, and seeds the HTTP parser with the request-form
captures of tests/pcap/http_forms (HTTP/0.9, SOCKS handshakes, odd versions; written to a
temporary directory by make_http_forms.py).

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


def main():
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
