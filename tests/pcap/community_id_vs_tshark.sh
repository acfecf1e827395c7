#!/usr/bin/env bash
# Community ID v1 of every flow must equal what tshark (an independent implementation)
# computes for the same capture.
#   community_id_vs_tshark.sh BUCKETWATCH CAPTURE...
set -euo pipefail
bw="$1"
shift
for cap in "$@"; do
  ours=$("$bw" -q --read "$cap" --flow-log - |
    python3 -c 'import json,sys; print("\n".join(sorted({json.loads(l)["network"]["community_id"] for l in sys.stdin})))')
  theirs=$(tshark -r "$cap" --enable-protocol communityid -Y tcp -T fields -e communityid 2>/dev/null |
    sort -u | grep -v '^$')
  if [[ "$ours" != "$theirs" ]]; then
    echo "MISMATCH for $cap"
    diff <(echo "$ours") <(echo "$theirs") || true
    exit 1
  fi
  echo "ok: $(wc -l <<<"$ours") community ids match tshark for $(basename "$cap")"
done
