#!/usr/bin/env python3
"""pcap.read_inputs: --read takes what a shell hands it (issue 18, items 7 and 8).

    read_inputs_test.py BUCKETWATCH SOURCE_DIR WORKDIR

The demo capture (and a pcapng seed) is read as a regular file, then through a named pipe,
/dev/stdin and "-" fed by a pipe, process substitution (`<(zcat x.pcap.gz)`), and gzip-compressed
(.pcap.gz and .pcapng.gz, made here with Python's gzip module, read directly, also from a pipe
and with --workers 2). Each must give the ledger and packet count of the plain file. A named
pipe that delivers a capture of less than 4 KiB and closes must be read to its end, not hang.
A cut and a corrupt .pcap.gz end with exit 1 and a message naming the gzip fault, after the
packets before it. A capture file cut short gives the same capture.packets with 1 and 2 workers.
Every run is bounded (30 s).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import threading

TIMEOUT = 30
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(bw, read, out, stdin_bytes=None, extra=(), shell=None):
    """Runs bucketwatch --read READ; returns (rc, stderr, ledger bytes, stats)."""
    ledger, stats = out + ".jsonl", out + ".stats.json"
    for p in (ledger, stats):
        if os.path.exists(p):
            os.remove(p)
    args = [bw, "--read", read, "--ledger", ledger, "--stats-json", stats, "-q", *extra]
    try:
        if shell:
            r = subprocess.run(["bash", "-c", shell + " --ledger " + ledger + " --stats-json " +
                                stats + " -q"], capture_output=True, timeout=TIMEOUT)
        else:
            r = subprocess.run(args, input=stdin_bytes, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timed out", b"", {}
    data = open(ledger, "rb").read() if os.path.exists(ledger) else b""
    st = json.load(open(stats)) if os.path.exists(stats) else {}
    return r.returncode, r.stderr.decode(errors="replace"), data, st


def packets(stats) -> int:
    return stats.get("capture", {}).get("packets", -1)


def through_fifo(bw, fifo, payload, out, extra=()):
    """Reads `payload` from a named pipe that a thread writes and closes."""
    if os.path.exists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)

    def writer():
        # Opening blocks until the sensor opens its end; bounded by the test's timeout.
        try:
            with open(fifo, "wb") as f:
                f.write(payload)
        except (BrokenPipeError, OSError):
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    result = run(bw, fifo, out, extra=extra)
    if result[0] is None:
        # Unblock a writer still waiting for a reader, so the thread ends.
        try:
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass
    t.join(5)
    return result


def first_records(pcap: bytes, limit: int) -> bytes:
    """The file header and as many whole records as fit in `limit` bytes."""
    out, off = pcap[:24], 24
    while off + 16 <= len(pcap):
        caplen = struct.unpack("<I", pcap[off + 8:off + 12])[0]
        rec = pcap[off:off + 16 + caplen]
        if len(out) + len(rec) > limit:
            break
        out += rec
        off += len(rec)
    return out


def to_pcapng(pcap: bytes) -> bytes:
    """The records of a little-endian microsecond pcap as pcapng (one section, one interface)."""
    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    linktype = struct.unpack("<I", pcap[20:24])[0]
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 262144))
    off = 24
    while off + 16 <= len(pcap):
        sec, usec, caplen, wire = struct.unpack("<IIII", pcap[off:off + 16])
        units = sec * 1000000 + usec
        out += block(6, struct.pack("<IIIII", 0, units >> 32, units & 0xFFFFFFFF, caplen, wire) +
                     pcap[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def sorted_ledger(data: bytes) -> list[str]:
    lines = []
    for line in data.splitlines():
        obj = json.loads(line)
        obj.pop("log", None)
        lines.append(json.dumps(obj, sort_keys=True))
    return sorted(lines)


def main() -> int:
    bw, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    demo = os.path.join(src, "tests/pcap/demo/storage_demo.pcap")
    raw = open(demo, "rb").read()
    assert struct.unpack("<I", raw[:4])[0] == 0xA1B2C3D4, "little-endian microsecond pcap"
    pcapng = os.path.join(work, "demo.pcapng")
    open(pcapng, "wb").write(to_pcapng(raw))
    o = lambda name: os.path.join(work, name)  # noqa: E731

    rc, err, ref, ref_stats = run(bw, demo, o("ref"))
    check(rc == 0 and ref and packets(ref_stats) > 0, "regular file: rc %s, %d packets %s" %
          (rc, packets(ref_stats), err.strip()))

    def same(name, result, want=ref, want_stats=ref_stats):
        rc, err, data, st = result
        check(rc == 0 and data == want and packets(st) == packets(want_stats),
              "%s: rc %s, %d of %d packets, ledger %s %s" %
              (name, rc, packets(st), packets(want_stats), "same" if data == want else "differs",
               err.strip()[:300]))

    same("named pipe", through_fifo(bw, o("fifo"), raw, o("fifo")))
    same("/dev/stdin from a pipe", run(bw, "/dev/stdin", o("devstdin"), stdin_bytes=raw))
    same("- from a pipe", run(bw, "-", o("dash"), stdin_bytes=raw))

    gz = o("demo.pcap.gz")
    with gzip.open(gz, "wb") as f:
        f.write(raw)
    same(".pcap.gz", run(bw, gz, o("gz")))
    same(".pcap.gz through a named pipe", through_fifo(bw, o("fifo"), open(gz, "rb").read(),
                                                      o("gzfifo")))
    same("<(zcat x.pcap.gz)", run(bw, None, o("procsub"),
                                  shell="%s --read <(zcat %s)" % (bw, gz)))
    rc, err, data, st = run(bw, gz, o("gz2"), extra=("--workers", "2"))
    check(rc == 0 and sorted_ledger(data) == sorted_ledger(ref) and
          packets(st) == packets(ref_stats), ".pcap.gz with --workers 2: rc %s, %d packets %s" %
          (rc, packets(st), err.strip()[:300]))

    rc, err, ng_ref, ng_stats = run(bw, pcapng, o("ng"))
    check(rc == 0 and packets(ng_stats) == packets(ref_stats),
          "pcapng file: rc %s, %d packets %s" % (rc, packets(ng_stats), err.strip()))
    nggz = o("seed.pcapng.gz")
    with gzip.open(nggz, "wb") as f:
        f.write(open(pcapng, "rb").read())
    same(".pcapng.gz", run(bw, nggz, o("nggz")), ng_ref, ng_stats)
    same("pcapng through a named pipe", through_fifo(bw, o("fifo"), open(pcapng, "rb").read(),
                                                    o("ngfifo")), ng_ref, ng_stats)

    # Less than a stdio buffer through a named pipe: read to the end, no hang.
    short = first_records(raw, 3000)
    check(len(short) < 4096, "short capture is %d bytes" % len(short))
    open(o("short.pcap"), "wb").write(short)
    rc, err, short_ref, short_stats = run(bw, o("short.pcap"), o("shortref"))
    check(rc == 0 and packets(short_stats) > 1, "short capture as a file: %d packets" %
          packets(short_stats))
    same("short capture through a named pipe", through_fifo(bw, o("fifo"), short, o("shortfifo")),
         short_ref, short_stats)

    # A cut and a corrupt gzip stream: exit 1, the gzip fault named, earlier packets processed.
    gzbytes = open(gz, "rb").read()
    open(o("cut.pcap.gz"), "wb").write(gzbytes[:len(gzbytes) // 2])
    rc, err, data, st = run(bw, o("cut.pcap.gz"), o("cutgz"))
    check(rc == 1 and "gzip stream cut short" in err and 0 < packets(st) < packets(ref_stats),
          "cut .pcap.gz: rc %s, %d packets, %s" % (rc, packets(st), err.strip()[:300]))
    bad = bytearray(gzbytes)
    bad[len(bad) // 2] ^= 0xFF
    open(o("bad.pcap.gz"), "wb").write(bytes(bad))
    rc, err, data, st = run(bw, o("bad.pcap.gz"), o("badgz"))
    check(rc == 1 and "corrupt gzip data" in err and packets(st) > 0 and
          "Sanitizer" not in err, "corrupt .pcap.gz: rc %s, %d packets, %s" %
          (rc, packets(st), err.strip()[:300]))
    open(o("hdr.gz"), "wb").write(gzbytes[:6])
    rc, err, data, st = run(bw, o("hdr.gz"), o("hdrgz"))
    check(rc == 1 and "gzip stream cut short" in err, "gzip header only: rc %s, %s" %
          (rc, err.strip()[:300]))

    # A capture file cut short: every worker count counts the packets before the cut alike.
    open(o("cut.pcap"), "wb").write(raw[:len(raw) - 50])
    counts = {}
    for workers in ("1", "2"):
        rc, err, data, st = run(bw, o("cut.pcap"), o("cut%s" % workers),
                                extra=("--workers", workers))
        counts[workers] = (rc, packets(st), st.get("capture", {}).get("bytes"))
    check(counts["1"] == counts["2"] and counts["1"][0] == 1 and counts["1"][1] > 0,
          "cut file, capture.packets and bytes with 1 and 2 workers: %s" % counts)

    shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
