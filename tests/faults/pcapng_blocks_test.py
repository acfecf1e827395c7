#!/usr/bin/env python3
"""faults.pcapng_blocks: a pcapng full of blocks that carry no packet, in two sections of
opposite byte order, with interfaces of different link types (Ethernet, raw IP, Linux SLL),
timestamp resolutions (10^-6, 10^-9, 10^-7) and an if_tsoffset. The packets are those of a
real capture (tests/pcap/e2e), spread over the interfaces; the sensor must read every Enhanced
Packet Block and write the same ledger as for the plain pcap, and count the skipped blocks.

Blocks written besides SHB/IDB/EPB: custom 0x00000BAD and 0x40000BAD, a Decryption Secrets
Block (TLS key log), Interface Statistics Blocks, a Name Resolution Block, an unknown type.
The file is also checked with tshark (an independent reader) when it is installed.

usage: pcapng_blocks_test.py BUCKETWATCH CAPTURE WORKDIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(e + "I", data[20:24])[0]
    assert linktype == 1, "expected an Ethernet capture"
    off, pkts = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        ns = sec * 10**9 + (frac if nano else frac * 1000)
        pkts.append((ns, orig, data[off:off + incl]))
        off += incl
    return pkts


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def block(e, btype, body):
    body = pad4(body)
    total = 12 + len(body)
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def shb(e):
    body = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += opt(e, 4, b"bucketwatch faults test") + opt(e, 0, b"")
    return block(e, 0x0A0D0D0A, body)


def idb(e, linktype, snaplen, tsresol, tsoffset=None):
    body = struct.pack(e + "HHI", linktype, 0, snaplen)
    body += opt(e, 2, b"if%d" % linktype) + opt(e, 9, bytes([tsresol]))
    if tsoffset is not None:
        body += opt(e, 14, struct.pack(e + "q", tsoffset))
    body += opt(e, 0, b"")
    return block(e, 1, body)


def epb(e, iface, units, orig, frame):
    body = struct.pack(e + "IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(frame), orig)
    return block(e, 6, body + pad4(frame) + opt(e, 0, b""))


def isb(e, iface, units):
    body = struct.pack(e + "III", iface, units >> 32, units & 0xFFFFFFFF)
    body += opt(e, 4, struct.pack(e + "Q", 1000)) + opt(e, 5, struct.pack(e + "Q", 0))
    return block(e, 5, body + opt(e, 0, b""))


def custom(e, btype, payload):
    return block(e, btype, struct.pack(e + "I", 32473) + payload)  # PEN 32473: documentation


def dsb(e):
    secrets = b"CLIENT_RANDOM " + b"00" * 32 + b" " + b"11" * 48 + b"\n"
    return block(e, 0x0000000A, struct.pack(e + "II", 0x544C534B, len(secrets)) + pad4(secrets))


def nrb(e):
    rec = struct.pack(e + "HH", 1, 4 + 9) + pad4(bytes([127, 0, 0, 1]) + b"s3.local\0")
    return block(e, 4, rec + struct.pack(e + "HH", 0, 0))


def to_raw(frame):
    ethertype = struct.unpack(">H", frame[12:14])[0]
    assert ethertype in (0x0800, 0x86DD), hex(ethertype)
    return frame[14:]


def to_sll(frame):
    src = frame[6:12]
    return struct.pack(">HHH", 0, 1, 6) + src + b"\0\0" + frame[12:14] + frame[14:]


def write_pcapng(pkts, path):
    out = bytearray()
    half = len(pkts) // 2
    # Section 1, little endian: Ethernet in microseconds, raw IP in nanoseconds.
    e = "<"
    out += shb(e)
    out += custom(e, 0x00000BAD, b"copy me")
    out += idb(e, 1, 262144, 6)
    out += idb(e, 101, 65535, 9)
    out += dsb(e)
    out += nrb(e)
    for i, (ns, orig, frame) in enumerate(pkts[:half]):
        if i % 2 == 0:
            out += epb(e, 0, ns // 1000, orig, frame)
        else:
            out += epb(e, 1, ns, orig - 14, to_raw(frame))
        if i == 3:
            out += custom(e, 0x40000BAD, b"do not copy")
            out += isb(e, 0, ns // 1000)
            out += block(e, 0x00000099, b"unknown block type")
    out += isb(e, 1, pkts[half - 1][0])
    # Section 2, big endian: Linux SLL in 100 ns units, Ethernet with an if_tsoffset.
    e = ">"
    offset = 1_000_000
    out += shb(e)
    out += idb(e, 113, 262144, 7)
    out += custom(e, 0x00000BAD, b"between interfaces")
    out += idb(e, 1, 262144, 6, tsoffset=offset)
    for i, (ns, orig, frame) in enumerate(pkts[half:]):
        if i % 2 == 0:
            out += epb(e, 0, ns // 100, orig + 2, to_sll(frame))
        else:
            out += epb(e, 1, ns // 1000 - offset * 10**6, orig, frame)
    out += isb(e, 0, pkts[-1][0] // 100)
    out += custom(e, 0x40000BAD, b"trailer")
    with open(path, "wb") as f:
        f.write(out)
    return 6 + 3 + 1 + 1  # non-packet blocks Next() skips after the first interface


def run(bw, capture, work, name):
    ledger = os.path.join(work, name + ".ledger.jsonl")
    stats = os.path.join(work, name + ".stats.json")
    for p in (ledger, stats):
        if os.path.exists(p):
            os.unlink(p)
    proc = subprocess.run([bw, "--read", capture, "--ledger", ledger, "--stats-json", stats, "-q",
                           "--set", "metrics.listen="], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s" % (name, proc.returncode, proc.stderr))
    with open(ledger) as f:
        lines = f.read().splitlines()
    with open(stats) as f:
        return lines, json.load(f)


def main():
    bw, capture, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    pkts = read_pcap(capture)
    ng = os.path.join(work, "mixed.pcapng")
    write_pcapng(pkts, ng)
    if shutil.which("tshark"):
        # tshark also lists custom blocks as frames ("data"); count the link-layer ones.
        out = subprocess.run(["tshark", "-r", ng, "-T", "fields", "-e", "frame.protocols"],
                             capture_output=True, text=True, timeout=120)
        frames = sum(1 for p in out.stdout.split() if p.split(":")[0] in ("eth", "raw", "sll"))
        if frames != len(pkts):
            sys.exit("FAIL: generator: tshark reads %d frames, wrote %d (%s)" %
                     (frames, len(pkts), out.stderr.strip()))
    base_lines, base_stats = run(bw, capture, work, "pcap")
    ng_lines, ng_stats = run(bw, ng, work, "pcapng")
    if not base_lines:
        sys.exit("FAIL: the plain capture gives no ledger lines")
    if ng_stats["capture"]["packets"] != len(pkts):
        sys.exit("FAIL: read %d of %d packets" % (ng_stats["capture"]["packets"], len(pkts)))
    if ng_lines != base_lines:
        for a, b in zip(base_lines, ng_lines):
            if a != b:
                sys.exit("FAIL: ledgers differ:\n pcap:   %s\n pcapng: %s" % (a, b))
        sys.exit("FAIL: ledger has %d lines, pcap gives %d" % (len(ng_lines), len(base_lines)))
    skipped = ng_stats["capture"]["pcapng_blocks_skipped"]
    # 2 custom + DSB + NRB before the first packet are skipped in Open; all are counted.
    if skipped != 10:
        sys.exit("FAIL: pcapng_blocks_skipped %d, expected 10" % skipped)
    if ng_stats["decode"]["drops"] != base_stats["decode"]["drops"]:
        sys.exit("FAIL: decode drops differ: %s vs %s" %
                 (ng_stats["decode"]["drops"], base_stats["decode"]["drops"]))
    print("ok: %d packets over 2 sections / 4 interfaces (Ethernet us, raw ns, SLL 100ns, "
          "Ethernet+offset), %d blocks skipped, %d identical ledger lines" %
          (len(pkts), skipped, len(ng_lines)))


if __name__ == "__main__":
    main()
