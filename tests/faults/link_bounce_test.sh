#!/usr/bin/env bash
# faults.link_bounce: the sensor captures on one end of a veth pair inside a network namespace
# the test creates; a real capture is replayed into the other end (tcpreplay), then the capture
# end goes down and comes back, then it is deleted and re-created. After each the sensor must
# log a clear line, count it (capture.interface_down / resumed / reopens in the stats JSON),
# keep running, and write ledger lines for the traffic replayed after the link came back.
# Needs root (netns, veth): exits 77 (skipped) when it cannot create the namespace.
# usage: link_bounce_test.sh BUCKETWATCH E2E_CAPTURE_DIR WORKDIR
set -uo pipefail
bw="$1"; caps="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
ns="bwfault$$"
command -v tcpreplay >/dev/null || { echo "skip: no tcpreplay"; exit 77; }
ip netns add "$ns" 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- sensor stderr"; cat "$work/stderr"; exit 1; }
in_ns() { ip netns exec "$ns" "$@"; }

make_pair() {
  in_ns ip link add bwcap type veth peer name bwsend || return 1
  in_ns ip link set bwcap up && in_ns ip link set bwsend up
}
make_pair || { echo "skip: cannot create veth"; exit 77; }

replay() { in_ns tcpreplay -q -t -i bwsend "$1" >>"$work/tcpreplay.log" 2>&1 || fail "tcpreplay $1"; }
has_bucket() { grep -q "\"bucket\":\"$1\"" "$work/ledger.jsonl" 2>/dev/null; }
wait_for() {  # wait_for SECONDS COMMAND...
  local until=$((SECONDS + $1)); shift
  while ((SECONDS < until)); do "$@" && return 0; sleep 0.2; done
  return 1
}

ip netns exec "$ns" "$bw" --interface bwcap --ledger "$work/ledger.jsonl" --stats-json "$work/stats.json" \
  --set metrics.listen= -q 2>"$work/stderr" &
pid=$!
wait_for 20 grep -q "capturing on interface bwcap" "$work/stderr" || fail "sensor did not start"

# 1. Traffic while up.
replay "$caps/s3_anonymous_curl.pcap"
wait_for 20 has_bucket public-data || fail "no ledger lines before the bounce"

# 2. Down for 2 s, up again, more traffic.
in_ns ip link set bwcap down
wait_for 10 grep -q "capture on bwcap: .*capture paused" "$work/stderr" || fail "no log line for the link going down"
sleep 2
kill -0 "$pid" 2>/dev/null || fail "sensor exited while the link was down"
in_ns ip link set bwcap up
wait_for 10 grep -q "capture on bwcap resumed after" "$work/stderr" || fail "no log line for the link coming back"
replay "$caps/s3_vhost.pcap"
wait_for 20 has_bucket acme-assets || fail "no ledger lines for traffic after the link came back"

# 3. The interface disappears and is created again (new ifindex): the capture is reopened.
in_ns ip link del bwcap
wait_for 10 grep -q "capture on bwcap: .*interface gone" "$work/stderr" || fail "no log line for the interface disappearing"
sleep 1
make_pair || fail "cannot re-create the veth pair"
wait_for 15 grep -q "resumed after .*reopened" "$work/stderr" || fail "capture not reopened"
replay "$caps/azure_sdk.pcap"
wait_for 20 has_bucket public-container || fail "no ledger lines after the interface was re-created"

kill -TERM "$pid"
wait "$pid"; rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "sensor exited $rc after SIGTERM"
python3 - "$work/stats.json" <<'PY' || fail "stats"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
assert c["interface_down"] == 2, c
assert c["resumed"] == 2, c
assert c["reopens"] == 1, c
assert c["error"] == "", c
print("ok: link down/up and delete/re-create: interface_down=%d resumed=%d reopens=%d, %d packets"
      % (c["interface_down"], c["resumed"], c["reopens"], c["packets"]))
PY
grep "bucketwatch: capture on bwcap" "$work/stderr"
