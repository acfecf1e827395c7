#!/usr/bin/env bash
# The saved e2e captures, transformed by bw_pcap_variants, must give the same ledger:
#   lossless variants (reordered, overlapping, retransmitted, VLAN, VXLAN, MTU-cut, ...): every
#   scenario's ledger matches its manifest exactly;
#   lossy (MTU-cut, then 1 data segment in 200 dropped): across all scenarios at least 97% of
#   the requests are in the ledger, and no ledger line matches nothing (not one wrong line).
#
#   variant_replay.sh BUCKETWATCH VARIANTS_TOOL WORKDIR VARIANT
set -euo pipefail
bw="$1" tool="$2" work="$3" variant="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
saved="$here/../pcap/e2e"
mkdir -p "$work"
found=0 expected=0 stray=0 failed=0
for pcap in "$saved"/*.pcap; do
  name="$(basename "$pcap" .pcap)"
  out="$work/$name.$variant"
  if [[ "$variant" == lossy ]]; then
    "$tool" --in "$pcap" --out "$out.mtu.pcap" --variant mtu1500 >/dev/null
    "$tool" --in "$out.mtu.pcap" --out "$out.pcap" --variant lossy --loss 200 --seed 11 >/dev/null
  else
    "$tool" --in "$pcap" --out "$out.pcap" --variant "$variant" --seed 5 >/dev/null
  fi
  rm -f "$out.ledger.jsonl"
  "$bw" --read "$out.pcap" --ledger "$out.ledger.jsonl" --quiet
  if [[ "$variant" == lossy ]]; then
    line=$(python3 "$here/check_ledger.py" --min-recall 0 "$saved/$name.expected.jsonl" \
      "$out.ledger.jsonl" | tail -n 1) || true
    echo "$name: $line"
    read -r f e s < <(sed -nE 's/.* ([0-9]+)\/([0-9]+) expected requests found.* ([0-9]+) match nothing.*/\1 \2 \3/p' <<<"$line")
    found=$((found + ${f:-0})) expected=$((expected + ${e:-0})) stray=$((stray + ${s:-1}))
  else
    if ! python3 "$here/check_ledger.py" --ordered "$saved/$name.expected.jsonl" "$out.ledger.jsonl"; then
      failed=$((failed + 1))
    fi
  fi
done
if [[ "$variant" == lossy ]]; then
  python3 - "$found" "$expected" "$stray" <<'PY'
import sys
found, expected, stray = map(int, sys.argv[1:])
recall = found / expected if expected else 0
print(f"lossy replay: {found}/{expected} requests in the ledger (recall {recall:.3f}), {stray} wrong lines")
sys.exit(0 if recall >= 0.97 and stray == 0 else 1)
PY
else
  echo "variant $variant: $failed scenario(s) failed"
  ((failed == 0))
fi
