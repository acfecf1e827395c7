#!/usr/bin/env bash
# Replays saved e2e captures through bucketwatch offline and checks its ledger against the saved
# manifest (no servers, no root, no network):
#
#   tests/e2e/replay_check.sh --bucketwatch PATH [--min-recall F] [--out DIR] [SCENARIO...]
#
# For each SCENARIO (default: every tests/pcap/e2e/*.pcap):
#   bucketwatch --read tests/pcap/e2e/S.pcap --ledger DIR/S.ledger.jsonl --alerts DIR/S.alerts.jsonl
#   check_ledger.py --ordered tests/pcap/e2e/S.expected.jsonl DIR/S.ledger.jsonl
# Prints a closing "N passed, N failed" line; exit 0 only when all passed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
saved="$repo/tests/pcap/e2e"
bw=""
out="$repo/build/e2e-replay"
recall=()
names=()
while (($#)); do
  case "$1" in
    --bucketwatch) bw="$2"; shift 2 ;;
    --min-recall) recall=(--min-recall "$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "replay_check.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [[ -z "$bw" || ! -x "$bw" ]]; then
  echo "replay_check.sh: --bucketwatch PATH (an executable) is required" >&2
  exit 2
fi
if ((${#names[@]} == 0)); then
  for f in "$saved"/*.pcap; do names+=("$(basename "$f" .pcap)"); done
fi
mkdir -p "$out"
passed=0
failed=0
for name in "${names[@]}"; do
  pcap="$saved/$name.pcap"
  expected="$saved/$name.expected.jsonl"
  ledger="$out/$name.ledger.jsonl"
  rm -f "$ledger"
  if ! timeout 120 "$bw" --read "$pcap" --ledger "$ledger" --alerts "$out/$name.alerts.jsonl" \
      2>"$out/$name.stderr"; then
    echo "FAIL $name: bucketwatch exited non-zero (see $out/$name.stderr)"
    failed=$((failed + 1))
    continue
  fi
  if python3 "$here/check_ledger.py" --ordered "${recall[@]+"${recall[@]}"}" "$expected" "$ledger"; then
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
done
echo "e2e replay: ${passed} passed, ${failed} failed"
((failed == 0))
