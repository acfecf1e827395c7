#!/usr/bin/env python3
"""The HTML exposure report, rendered by headless Chromium.

Builds ledgers from the saved real-server captures, writes one HTML report for all of them,
then with Chromium (Debian package `chromium`):
  - --dump-dom: the rendered DOM holds the summary, every bucket, every object of the expected
    per-object tables, the SVG timelines; no resource is fetched (no URL in src/href, CSP
    default-src 'none'); no script error is logged;
  - a copy of the page with a test script appended clicks the "Bytes" header of an object table
    twice and records the row order: the inline sorting must order rows by bytes, both ways;
  - --screenshot: a PNG of the requested size whose pixels show the timeline's bar colour and
    the "EXPOSED" red (decoded here, no imaging library needed).

usage: test_html_chromium.py --bucketwatch PATH [--chromium PATH] [--keep DIR]
"""
import argparse
import csv
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = ["s3_anonymous_curl", "azure_public_anonymous", "s3_awscli_sigv4"]
WIDTH, HEIGHT = 1280, 1800
ORANGE = (0xF7, 0x90, 0x09)  # anonymous request bars
RED = (0xB4, 0x23, 0x18)     # the "EXPOSED" badge
failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message)


def chromium(binary, profile, *args):
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--enable-logging=stderr", "--v=0",
           "--user-data-dir=" + profile] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def decode_png(path):
    """(width, height, set of RGB colours) of an 8-bit RGB/RGBA non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        for x in range(0, stride, bpp * 2):  # every other pixel is plenty
            colours.add((line[x], line[x + 1], line[x + 2]))
        prev = line
    return w, h, colours


SORT_PROBE = """
<script>
(function(){
 var t=document.querySelector('table.objects');
 var th=Array.prototype.filter.call(t.querySelectorAll('th'),function(h){return h.textContent==='Bytes'})[0];
 var col=Array.prototype.indexOf.call(th.parentNode.children,th);
 function order(){return Array.prototype.map.call(t.tBodies[0].rows,function(r){return r.cells[col].getAttribute('data-v')}).join(',')}
 th.click(); var asc=order(); th.click(); var desc=order();
 var d=document.createElement('pre'); d.id='sort-probe'; d.textContent='ASC '+asc+' DESC '+desc;
 document.body.appendChild(d);
})();
</script>
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucketwatch", required=True)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--keep", help="keep the report and screenshot in this directory")
    args = ap.parse_args()
    if not shutil.which(args.chromium):
        print("SKIP: chromium not installed (Debian package 'chromium')")
        return 77
    work = tempfile.mkdtemp(prefix="bw-html-")
    try:
        ledgers = []
        for s in SCENARIOS:
            ledger = os.path.join(work, s + ".jsonl")
            r = subprocess.run([args.bucketwatch, "--read",
                                os.path.join(ROOT, "tests/pcap/e2e", s + ".pcap"),
                                "--ledger", ledger], capture_output=True, timeout=120)
            if r.returncode != 0:
                raise SystemExit("sensor failed on " + s)
            ledgers += ["--ledger", ledger]
        html = os.path.join(work, "report.html")
        r = subprocess.run([args.bucketwatch, "report", "--no-progress", "--format", "html",
                            "--output", html] + ledgers, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise SystemExit("report failed: " + r.stderr)
        with open(html, encoding="utf-8") as f:
            source = f.read()
        check(not re.search(r'(src|href)\s*=\s*"?(https?:|//)', source), "external resource")
        check("url(" not in source and "@import" not in source, "CSS fetch")
        check("default-src 'none'" in source, "CSP")

        profile = os.path.join(work, "profile")
        r = chromium(args.chromium, profile, "--dump-dom", "file://" + html)
        dom = r.stdout
        check("Anonymous object storage exposure report" in dom, "title rendered")
        check("Uncaught" not in r.stderr, "script error: " + r.stderr[-2000:])
        check(dom.count('<section class="bucket"') == 8, "8 bucket sections, got %d"
              % dom.count('<section class="bucket"'))
        check(dom.count('<svg class="timeline"') == 8, "timelines")
        check(dom.count('class="anon"') >= 8, "anonymous bars")
        for bucket in ("public-data", "public-container", "public-blobs", "reports", "private"):
            check(bucket in dom, "bucket %s in DOM" % bucket)
        keys = []
        for s in SCENARIOS:
            with open(os.path.join(ROOT, "tests/report/expected", s + ".objects.csv"),
                      newline="") as f:
                keys += [row["key"] for row in csv.DictReader(f)]
        for k in keys:
            check("<td>%s</td>" % k in dom, "object %s in a table cell" % k)
        summary = dom.find('id="summary"')
        check(summary > 0 and dom.count('<span class="exposed">exposed</span>', summary) == 5,
              "summary table lists the exposed buckets")

        probe = os.path.join(work, "probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(source.replace("</body>", SORT_PROBE + "</body>"))
        r = chromium(args.chromium, profile, "--dump-dom", "file://" + probe)
        m = re.search(r'<pre id="sort-probe">ASC ([\d,]+) DESC ([\d,]+)</pre>', r.stdout)
        check(m is not None, "sort probe ran: " + r.stderr[-1000:])
        if m:
            asc = [int(v) for v in m.group(1).split(",")]
            desc = [int(v) for v in m.group(2).split(",")]
            check(len(asc) > 1 and asc == sorted(asc), "ascending sort: %s" % asc)
            check(desc == sorted(asc, reverse=True), "descending sort: %s" % desc)

        png = os.path.join(work, "report.png")
        r = chromium(args.chromium, profile, "--window-size=%d,%d" % (WIDTH, HEIGHT),
                     "--hide-scrollbars", "--screenshot=" + png, "file://" + html)
        check(os.path.exists(png), "screenshot written: " + r.stderr[-1000:])
        if os.path.exists(png):
            w, h, colours = decode_png(png)
            check((w, h) == (WIDTH, HEIGHT), "screenshot size %dx%d" % (w, h))
            check(len(colours) > 50, "screenshot has content (%d colours)" % len(colours))
            check(ORANGE in colours, "timeline bars visible")
            check(RED in colours, "EXPOSED badge visible")
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            shutil.copy(html, args.keep)
            if os.path.exists(png):
                shutil.copy(png, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: html report renders in Chromium (dom, sorting, screenshot)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
