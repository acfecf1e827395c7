#!/usr/bin/env bash
# Runs every e2e scenario (or those named), a few at a time, and prints one line per scenario
# and a closing "N passed, N failed" line. Exit 0 only when all passed.
#
#   tests/e2e/run_all.sh [--jobs N] [--save] [--capture-with tcpdump|bucketwatch]
#                        [--bucketwatch PATH] [--out DIR] [SCENARIO...]
#
# --save records each passing scenario into tests/pcap/e2e/ (capture + manifest).
# Each scenario gets its own servers on kernel-chosen ports, so they can overlap.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
jobs=2
out="$repo/build/e2e"
pass_args=()
names=()
while (($#)); do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --save) pass_args+=(--save); shift ;;
    --capture-with|--bucketwatch) pass_args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "run_all.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if ((${#names[@]} == 0)); then
  mapfile -t names < <("$here/run_scenario.sh" --list)
fi
mkdir -p "$out"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
declare -A pid_name=()
for name in "${names[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  "$here/run_scenario.sh" "$name" --out "$out/$name" "${pass_args[@]+"${pass_args[@]}"}" \
    >"$out/$name.log" 2>&1 &
  pids+=($!)
  pid_name[$!]="$name"
done
passed=0
failed=0
for pid in "${pids[@]}"; do
  name="${pid_name[$pid]}"
  if wait "$pid"; then
    passed=$((passed + 1))
    echo "PASS $name: $(grep -E '^\[e2e\] .*requests, capture' "$out/$name.log" | tail -1 | sed 's/^\[e2e\] //')"
  else
    failed=$((failed + 1))
    echo "FAIL $name (log: $out/$name.log)"
    tail -n 15 "$out/$name.log" | sed 's/^/    /'
  fi
done
pids=()
echo "e2e: $(( $(date +%s) - start ))s for ${#names[@]} scenarios"
echo "e2e: ${passed} passed, ${failed} failed"
((failed == 0))
