#!/usr/bin/env bash
# For every lossless variant of every base capture, checks with tshark that the reassembled
# TCP byte streams (per connection and direction) equal those of the base capture.
#
#   tests/tools/check_variants.sh BW_PCAP_VARIANTS [CAPTURE_DIR] [SEED]
#
# Prints one line per (capture, variant) and exits non-zero if any stream differs, if a
# variant produced no TCP stream, or if a tool failed. tshark's own reassembly is the
# independent oracle here; bucketwatch's decoder is checked against the same files elsewhere.
set -uo pipefail

variants_bin="${1:?usage: check_variants.sh BW_PCAP_VARIANTS [CAPTURE_DIR] [SEED]}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
capdir="${2:-$here/../pcap/captures}"
seed="${3:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

lossless=(reorder retransmit overlap overlap_conflict mtu1500 fragment vlan qinq mpls vxlan gre
          erspan2 erspan3 sll2 raw nanosecond pcapng)
# A few chains (applied left to right): the tool must read its own outputs, and the
# combinations are what a hostile network produces.
lossless+=(mtu1500+reorder vlan+fragment overlap+vxlan sll2+retransmit qinq+erspan2
           fragment+pcapng raw+pcapng)

# streams FILE OUT [COUNT]: writes one line per TCP connection: "<node0> <node1> <hex0> <hex1>",
# sorted. With COUNT (the base capture's connections) one tshark pass follows streams 0..COUNT:
# stream COUNT must not exist (tshark reports a missing stream with empty ":0" nodes, which are
# left out), so a variant with an extra connection still differs from its base.
streams() {
  local file="$1" out="$2" ids args=()
  if [ -n "${3:-}" ]; then
    ids=$(seq 0 "$3")
  else
    ids=$(tshark -r "$file" -T fields -e tcp.stream 2>/dev/null | sort -un)
  fi
  for id in $ids; do args+=(-z "follow,tcp,raw,$id"); done
  if [ ${#args[@]} -eq 0 ]; then
    : >"$out"
    return
  fi
  tshark -r "$file" -q "${args[@]}" 2>/dev/null | python3 -c '
import sys
blocks, cur = [], None
for line in sys.stdin.read().splitlines():
    if line.startswith("Follow: "):
        cur = {"n0": "", "n1": "", "d0": [], "d1": []}
        blocks.append(cur)
    elif cur is None or line.startswith("=") or line.startswith("Filter: "):
        continue
    elif line.startswith("Node 0: "):
        cur["n0"] = line[8:]
    elif line.startswith("Node 1: "):
        cur["n1"] = line[8:]
    elif line.startswith("\t"):
        cur["d1"].append(line.strip())
    elif line.strip():
        cur["d0"].append(line.strip())
rows = sorted("%s %s %s %s" % (b["n0"], b["n1"], "".join(b["d0"]) or "-", "".join(b["d1"]) or "-")
              for b in blocks if not (b["n0"] == ":0" and b["n1"] == ":0"))
print("\n".join(rows))
' >"$out"
}

# streams_by_seq FILE OUT: the same format, but reassembled here from tshark's per-segment
# fields by sequence number (first copy wins). tshark's follow reports reordered segments as
# "missing" instead of buffering them, so this is the oracle for the reorder variant; it is
# itself checked against follow on every base capture.
streams_by_seq() {
  tshark -r "$1" -o tcp.desegment_tcp_streams:FALSE -o tcp.relative_sequence_numbers:FALSE \
    -T fields -E separator=/t -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
    -e tcp.flags.syn -e tcp.seq -e tcp.payload 'tcp' 2>/dev/null | python3 -c '
import sys
streams = {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 7 or not f[0]:
        continue
    sid, v4, v6, port, syn, seq, payload = f[:7]
    addr = v4.split(",")[-1] if v4 else "[%s]" % v6.split(",")[-1]
    node = "%s:%s" % (addr, port.split(",")[-1])
    st = streams.setdefault(int(sid), {"nodes": [], "dirs": {}})
    if node not in st["nodes"]:
        st["nodes"].append(node)
    d = st["dirs"].setdefault(node, {"base": None, "bytes": {}})
    seq = int(seq)
    if syn in ("1", "True"):
        d["base"] = (seq + 1) % 2**32
        continue
    if d["base"] is None:
        d["base"] = seq
    data = bytes.fromhex(payload.replace(":", "")) if payload else b""
    rel = (seq - d["base"]) % 2**32
    for i, b in enumerate(data):
        d["bytes"].setdefault(rel + i, b)
def hexof(st, node):
    d = st["dirs"].get(node)
    if not d or not d["bytes"]:
        return "-"
    n = max(d["bytes"]) + 1
    if len(d["bytes"]) != n:
        return "HOLE"
    return bytes(d["bytes"][i] for i in range(n)).hex()
rows = []
for st in streams.values():
    n0 = st["nodes"][0]
    n1 = st["nodes"][1] if len(st["nodes"]) > 1 else ""
    rows.append("%s %s %s %s" % (n0, n1, hexof(st, n0), hexof(st, n1)))
print("\n".join(sorted(rows)))
' >"$2"
}

failures=0
checked=0
for cap in "$capdir"/*.pcap; do
  name="$(basename "$cap" .pcap)"
  streams "$cap" "$work/$name.base"
  if [ ! -s "$work/$name.base" ]; then
    echo "FAIL $name: no TCP stream in the base capture"
    failures=$((failures + 1))
    continue
  fi
  streams_by_seq "$cap" "$work/$name.base_seq"
  if cmp -s "$work/$name.base" "$work/$name.base_seq"; then
    echo "ok   $name oracle (sequence reassembly agrees with tshark follow)"
  else
    echo "FAIL $name oracle: sequence reassembly disagrees with tshark follow"
    failures=$((failures + 1))
  fi
  for v in "${lossless[@]}"; do
    out="$work/$name.$v.pcap"
    src="$cap"
    ok=1
    IFS=+ read -r -a steps <<<"$v"
    for step in "${steps[@]}"; do
      if ! "$variants_bin" --in "$src" --out "$out.$step" --variant "$step" --seed "$seed" \
          2>"$work/log"; then
        ok=0
        break
      fi
      src="$out.$step"
    done
    if [ "$ok" -eq 0 ]; then
      echo "FAIL $name $v: bw_pcap_variants failed: $(tail -n1 "$work/log")"
      failures=$((failures + 1))
      continue
    fi
    mv "$src" "$out"
    # The sensor reads captures with libpcap: every output must be readable by it.
    if ! tcpdump -r "$out" -w /dev/null 2>"$work/tcpdump.log"; then
      echo "FAIL $name $v: libpcap cannot read the output: $(tail -n1 "$work/tcpdump.log")"
      failures=$((failures + 1))
      continue
    fi
    if [[ "$v" == *reorder* ]]; then
      streams_by_seq "$out" "$work/$name.$v.streams"
    else
      streams "$out" "$work/$name.$v.streams" "$(wc -l <"$work/$name.base")"
    fi
    checked=$((checked + 1))
    if cmp -s "$work/$name.base" "$work/$name.$v.streams"; then
      echo "ok   $name $v ($(wc -l <"$work/$name.base") streams; $(tail -n1 "$work/log" | sed 's/^bw_pcap_variants: //'))"
    else
      echo "FAIL $name $v: reassembled streams differ from the base capture"
      diff <(cut -c1-160 "$work/$name.base") <(cut -c1-160 "$work/$name.$v.streams") | head -n 6
      failures=$((failures + 1))
    fi
  done
done
echo "check_variants: $checked variant captures checked, $failures failed"
[ "$failures" -eq 0 ]
