#!/usr/bin/env bash
# One capture-variant test: derive VARIANT from BASE with bw_pcap_variants, run bucketwatch on
# both, and compare the reassembled streams flow by flow (compare_flows.py).
#   run_variant.sh BUCKETWATCH VARIANTS_TOOL BASE.pcap VARIANT WORKDIR [variant args...]
set -euo pipefail
bw="$1" tool="$2" base="$3" variant="$4" work="$5"
shift 5
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$work"
name="$(basename "$base" .pcap).$variant"
"$tool" --in "$base" --out "$work/$name.pcap" --variant "$variant" --seed 7 "$@"
run() {  # capture -> flow log
  rm -f "$2"
  "$bw" --read "$1" --flow-log "$2" --flow-digests --stats-json "$2.stats.json" --quiet \
    ${BW_VARIANT_WORKERS:+--workers "$BW_VARIANT_WORKERS"}
}
run "$base" "$work/$name.orig.flows.jsonl"
run "$work/$name.pcap" "$work/$name.flows.jsonl"
mode=lossless
extra=()
case "$variant" in
  lossy) mode=lossy; extra=(--min-delivered 0.5) ;;
  # Frames cut to a small snaplen: every cut tail must come out as a gap of the right size.
  snaplen) mode=lossy; extra=(--min-delivered 0) ;;
esac
python3 "$here/compare_flows.py" "$work/$name.orig.flows.jsonl" "$work/$name.flows.jsonl" \
  --mode "$mode" "${extra[@]}"
