#!/usr/bin/env bash
# Replays every detection scenario capture through the sensor and checks its alerts:
#   tests/pcap/detect/replay_alerts.sh --bucketwatch PATH [NAME...]
# For each tests/pcap/detect/NAME: bucketwatch --read capture.pcap --alerts OUT (with the
# scenario's "detection" overrides from expected_alerts.json as a --config file), then
# check_alerts.py. Needs the detection engine wired into the sensor. Exit 0 when all match.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bw=""
names=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bucketwatch) bw="$2"; shift 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[[ -x "$bw" ]] || { echo "usage: $0 --bucketwatch PATH [NAME...]" >&2; exit 2; }
if [[ ${#names[@]} -eq 0 ]]; then
  for d in "$here"/*/; do [[ -f "$d/expected_alerts.json" ]] && names+=("$(basename "$d")"); done
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=0
for name in "${names[@]}"; do
  dir="$here/$name"
  cfg=()
  if python3 -c 'import json,sys; sys.exit(0 if "detection" in json.load(open(sys.argv[1])) else 1)' \
      "$dir/expected_alerts.json"; then
    python3 -c 'import json,sys; print(json.dumps({"detection": json.load(open(sys.argv[1]))["detection"]}))' \
      "$dir/expected_alerts.json" > "$tmp/$name.yaml"
    cfg=(--config "$tmp/$name.yaml")
  fi
  if "$bw" --read "$dir/capture.pcap" --alerts "$tmp/$name.alerts.jsonl" "${cfg[@]}" 2> "$tmp/$name.log" &&
      python3 "$here/check_alerts.py" "$dir/expected_alerts.json" "$tmp/$name.alerts.jsonl"; then
    echo "detect replay: $name ok"
  else
    echo "detect replay: $name FAILED" >&2
    tail -5 "$tmp/$name.log" >&2 || true
    failed=$((failed + 1))
  fi
done
echo "detect replay: ${#names[@]} scenarios, $failed failed"
[[ $failed -eq 0 ]]
