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
# BW_VARIANT_WORKERS=N: with N workers, each reading the file itself (file fanout), or, with
# BW_VARIANT_STDIN=1, fed from a pipe by one reader (the dispatcher); the readers are checked.
run() {  # capture -> flow log
  rm -f "$2"
  if [[ -n "${BW_VARIANT_STDIN:-}" ]]; then
    "$bw" --read - --flow-log "$2" --flow-digests --stats-json "$2.stats.json" --quiet \
      ${BW_VARIANT_WORKERS:+--workers "$BW_VARIANT_WORKERS"} <"$1"
  else
    "$bw" --read "$1" --flow-log "$2" --flow-digests --stats-json "$2.stats.json" --quiet \
      ${BW_VARIANT_WORKERS:+--workers "$BW_VARIANT_WORKERS"}
  fi
  local want=1
  [[ -z "${BW_VARIANT_STDIN:-}" ]] && want="${BW_VARIANT_WORKERS:-1}"
  python3 - "$2.stats.json" "$want" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))["capture"]["readers"]
if got != int(sys.argv[2]):
    sys.exit(f"{sys.argv[1]}: read by {got} readers, expected {sys.argv[2]}")
PY
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
