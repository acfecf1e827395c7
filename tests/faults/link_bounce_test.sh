#!/usr/bin/env bash
# faults.link_bounce: the sensor captures on one end of a veth pair inside a network namespace
# the test creates; a real capture is replayed into the other end (tcpreplay), then the capture
# end goes down and comes back, then it is deleted and re-created, then deleted and re-created at
# once (the same name with a new index before the sensor looks), then taken down and deleted
# while down. After each the sensor must log a clear line, count it (capture.interface_down /
# resumed / reopens in the stats JSON), keep running, and write ledger lines for the traffic
# replayed after the link came back.
# On a deletion the kernel reports ENETDOWN before it unlists the interface, so the sensor may
# first see it "down" and only then "gone" (a second line); both name "interface gone" in the end.
# Needs root (netns, veth): exits 77 (skipped) when it cannot create the namespace.
# usage: link_bounce_test.sh BUCKETWATCH E2E_CAPTURE_DIR WORKDIR
set -uo pipefail
bw="$1"; caps="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
command -v tcpreplay >/dev/null || { echo "skip: no tcpreplay"; exit 77; }
source "$(dirname "$0")/netns.sh"
netns_enter bwfault
fail() { echo "FAIL: $*"; echo "--- sensor stderr"; cat "$work/stderr"; exit 1; }

make_pair() {
  in_ns ip link add bwcap type veth peer name bwsend || return 1
  in_ns ip link set bwcap up && in_ns ip link set bwsend up
}
make_pair || { echo "skip: cannot create veth"; exit 77; }

replay() { in_ns tcpreplay -q -t -i bwsend "$1" >>"$work/tcpreplay.log" 2>&1 || fail "tcpreplay $1"; }
has_bucket() { grep -q "\"bucket\":\"$1\"" "$work/ledger.jsonl" 2>/dev/null; }
count_is() {  # count_is N PATTERN: the sensor's stderr has exactly N lines matching PATTERN
  [[ "$(grep -c "$2" "$work/stderr")" -eq "$1" ]]
}
wait_for() {  # wait_for SECONDS COMMAND...
  local until=$((SECONDS + $1)); shift
  while ((SECONDS < until)); do "$@" && return 0; sleep 0.2; done
  return 1
}

: >"$work/stderr"  # exists before the first wait_for looks (the & job opens it later)
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
wait_for 15 count_is 1 "resumed after .*reopened" || fail "capture not reopened"
replay "$caps/azure_sdk.pcap"
wait_for 20 has_bucket public-container || fail "no ledger lines after the interface was re-created"

# 4. Deleted and re-created while the sensor is stopped (SIGSTOP), so the name is back with a new
# index before it looks. The old socket would never see a packet again: the index change, not
# the name's existence, must trigger the reopen.
kill -STOP "$pid"
in_ns ip link del bwcap
make_pair || { kill -CONT "$pid"; fail "cannot re-create the veth pair"; }
kill -CONT "$pid"
wait_for 15 count_is 2 "resumed after .*reopened" || fail "capture not reopened after a quick re-create"
replay "$caps/gcs_responder.pcap"
wait_for 20 has_bucket public-gcs-data || fail "no ledger lines after the quick re-create"

# 5. Down first, then deleted while down (what the sensor sees when it reads the ENETDOWN of a
# deletion before the kernel unlists the interface): a second line says it is gone; re-created,
# the capture is reopened.
# (Counted from here: step 3 logs "interface down" too when the sensor is that quick.)
downs=$(grep -c "capture on bwcap: .*(interface down)" "$work/stderr")
in_ns ip link set bwcap down
wait_for 10 count_is $((downs + 1)) "capture on bwcap: .*(interface down)" ||
  fail "no log line for the link going down"
in_ns ip link del bwcap
wait_for 10 grep -q "capture on bwcap: interface gone while down" "$work/stderr" ||
  fail "no log line for the interface deleted while down"
make_pair || fail "cannot re-create the veth pair"
wait_for 15 count_is 3 "resumed after .*reopened" || fail "capture not reopened after delete while down"
replay "$caps/s3_rclone.pcap"
wait_for 20 has_bucket media || fail "no ledger lines after the delete while down"

kill -TERM "$pid"
wait "$pid"; rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "sensor exited $rc after SIGTERM"
python3 - "$work/stats.json" <<'PY' || fail "stats"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
assert c["interface_down"] == 4, c
assert c["resumed"] == 4, c
assert c["reopens"] == 3, c
assert c["reopen_failures"] == 0, c
assert c["error"] == "", c
print("ok: link down/up and delete/re-create: interface_down=%d resumed=%d reopens=%d, %d packets"
      % (c["interface_down"], c["resumed"], c["reopens"], c["packets"]))
PY
grep "bucketwatch: capture on bwcap" "$work/stderr"
