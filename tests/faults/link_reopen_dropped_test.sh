#!/usr/bin/env bash
# faults.link_reopen_dropped: the capture interface is deleted and re-created while the sensor
# runs as --user nobody, inside a network namespace the test creates (veth pair, tcpreplay into
# the peer end).
#  (a) privileges.keep_net_raw false (default): the process holds no capability (CapEff and
#      CapPrm 0), so the reopen is refused. One log line names the interface, the reason
#      (privileges dropped to nobody) and the fix; capture.reopen_failures counts it; the sensor
#      keeps running and exits 0 on SIGTERM.
#  (b) privileges.keep_net_raw true: CapEff 0 and CapPrm 0x2000 (CAP_NET_RAW only) while it runs;
#      the reopen succeeds and traffic replayed after it reaches the ledger.
# Needs root (netns, veth, a user to drop to): exits 77 (skipped) when it cannot set them up.
# usage: link_reopen_dropped_test.sh BUCKETWATCH E2E_CAPTURE_DIR WORKDIR
set -uo pipefail
bw="$1"; caps="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
command -v tcpreplay >/dev/null || { echo "skip: no tcpreplay"; exit 77; }
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
id -u nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
source "$(dirname "$0")/netns.sh"
netns_enter bwreopen
make_pair() {
  in_ns ip link add bwcap type veth peer name bwsend || return 1
  in_ns ip link set bwcap up && in_ns ip link set bwsend up
}
make_pair || { echo "skip: cannot create veth"; exit 77; }
# Metrics on the namespace's own loopback: no other test can hold the port there.
in_ns ip link set lo up || { echo "skip: cannot bring up lo in the namespace"; exit 77; }
metrics="127.0.0.1:9580"

# The key is documented and shown by --print-config, default false.
# (Whole output first: grep -q closing the pipe early would fail the pipeline under pipefail.)
printed=$("$bw" --print-config) && grep -q "^  keep_net_raw: false$" <<<"$printed" ||
  { echo "FAIL: --print-config"; exit 1; }
printed=$("$bw" --print-config --set privileges.keep_net_raw=true) &&
  grep -q "^  keep_net_raw: true$" <<<"$printed" ||
  { echo "FAIL: --print-config --set privileges.keep_net_raw=true"; exit 1; }

out=""  # the current case's directory (written by nobody: mode 0777)
fail() { echo "FAIL: $*"; echo "--- sensor stderr"; cat "$out/stderr"; exit 1; }
wait_for() {  # wait_for SECONDS COMMAND...
  local until=$((SECONDS + $1)); shift
  while ((SECONDS < until)); do "$@" && return 0; sleep 0.2; done
  return 1
}
replay() { in_ns tcpreplay -q -t -i bwsend "$1" >>"$out/tcpreplay.log" 2>&1 || fail "tcpreplay $1"; }
has_bucket() { grep -q "\"bucket\":\"$1\"" "$out/ledger.jsonl" 2>/dev/null; }
reopen_failed_metric() {  # the sensor's bucketwatch_capture_link_events_total{event="reopen_failed"}
  in_ns curl -fsS --max-time 5 "http://$metrics/metrics" 2>/dev/null |
    awk '/^bucketwatch_capture_link_events_total\{.*event="reopen_failed"/ {print $NF}'
}
metric_at_least_one() { [[ "$(reopen_failed_metric)" =~ ^[1-9] ]]; }
cap() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
start() {  # start CASE KEEP_NET_RAW
  out=$(mktemp -d "$work/$1.XXXXXX") && chmod 0777 "$out"
  : >"$out/stderr"  # exists before the first wait_for looks (the & job opens it later)
  ip netns exec "$ns" "$bw" --interface bwcap --user nobody --ledger "$out/ledger.jsonl" \
    --stats-json "$out/stats.json" --set "metrics.listen=$metrics" --set capture.buffer_mib=8 \
    --set "privileges.keep_net_raw=$2" -q 2>"$out/stderr" &
  pid=$!
  wait_for 30 grep -q "capturing on interface bwcap" "$out/stderr" || fail "sensor did not start"
  # The log line comes after the privilege drop; Uid confirms it for the reader of a failure.
  [[ "$(awk '$1 == "Uid:" {print $2}' "/proc/$pid/status")" == "$(id -u nobody)" ]] ||
    fail "not running as nobody"
}
recreate() {  # deletes the capture end and creates the pair again once the sensor noticed
  in_ns ip link del bwcap
  wait_for 10 grep -q "capture on bwcap: .*interface gone" "$out/stderr" ||
    fail "no log line for the interface disappearing"
  make_pair || fail "cannot re-create the veth pair"
}
stop() {  # SIGTERM must end the sensor with exit code 0
  kill -TERM "$pid"
  wait "$pid"; local rc=$?; pid=""
  [[ $rc -eq 0 ]] || fail "sensor exited $rc after SIGTERM"
}

# --- (a) keep_net_raw false: the reopen is refused, said once, counted; the sensor carries on.
start no_keep false
[[ "$(cap CapEff)" == 0000000000000000 && "$(cap CapPrm)" == 0000000000000000 ]] ||
  fail "capabilities left with keep_net_raw false: CapEff=$(cap CapEff) CapPrm=$(cap CapPrm)"
replay "$caps/s3_anonymous_curl.pcap"
wait_for 20 has_bucket public-data || fail "no ledger lines before the interface was deleted"
recreate
refused='capture on bwcap cannot be reopened: privileges were dropped to nobody .*CAP_NET_RAW.*set privileges.keep_net_raw: true, or restart'
wait_for 15 grep -q "$refused" "$out/stderr" || fail "no log line for the refused reopen"
# The attempt after the first is 30 s away: no second line, whatever else the loop does.
sleep 2
kill -0 "$pid" 2>/dev/null || fail "sensor exited after the refused reopen"
n=$(grep -c "cannot be reopened" "$out/stderr")
[[ "$n" -eq 1 ]] || fail "$n log lines for the refused reopen, want 1"
# The metrics refresh once a second while the link is down.
wait_for 10 metric_at_least_one ||
  fail "metric event=\"reopen_failed\" is '$(reopen_failed_metric)', want >= 1"
[[ "$(cap CapEff)" == 0000000000000000 && "$(cap CapPrm)" == 0000000000000000 ]] ||
  fail "capabilities after the refused reopen: CapEff=$(cap CapEff) CapPrm=$(cap CapPrm)"
# A capture that cannot come back by itself is what a health probe must report.
health=$(in_ns curl -sS --max-time 5 -o "$out/healthz" -w '%{http_code}' "http://$metrics/healthz")
[[ "$health" == 503 ]] && grep -q "cannot be reopened" "$out/healthz" ||
  fail "/healthz answered $health ($(cat "$out/healthz" 2>/dev/null)), want 503 'cannot be reopened'"
stop
python3 - "$out/stats.json" <<'PY' || fail "stats (a)"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
assert c["interface_down"] == 1, c
assert c["reopen_failures"] >= 1, c
assert c["reopens"] == 0 and c["resumed"] == 0, c
assert c["error"] == "", c
print("ok (a): keep_net_raw false: reopen refused and counted (reopen_failures=%d), sensor kept "
      "running and exited 0" % c["reopen_failures"])
PY
grep "cannot be reopened" "$out/stderr"

# --- (b) keep_net_raw true: CAP_NET_RAW permitted only; the reopen raises it and succeeds.
start keep true
[[ "$(reopen_failed_metric)" == 0 ]] || fail "metric event=\"reopen_failed\" not exposed as 0"
[[ "$(cap CapEff)" == 0000000000000000 && "$(cap CapPrm)" == 0000000000002000 ]] ||
  fail "keep_net_raw true: CapEff=$(cap CapEff) CapPrm=$(cap CapPrm), want 0 and 0x2000"
[[ "$(cap CapInh)" == 0000000000000000 && "$(cap CapAmb)" == 0000000000000000 ]] ||
  fail "keep_net_raw true: CapInh=$(cap CapInh) CapAmb=$(cap CapAmb), want 0"
[[ "$(awk '$1 == "NoNewPrivs:" {print $2}' "/proc/$pid/status")" == 1 ]] || fail "no-new-privs not set"
replay "$caps/s3_anonymous_curl.pcap"
wait_for 20 has_bucket public-data || fail "no ledger lines before the interface was deleted"
recreate
wait_for 15 grep -q "capture on bwcap resumed after .*reopened" "$out/stderr" ||
  fail "capture not reopened with keep_net_raw true"
replay "$caps/azure_sdk.pcap"
wait_for 20 has_bucket public-container || fail "no ledger lines after the reopen"
# Lowered again after the reopen.
[[ "$(cap CapEff)" == 0000000000000000 && "$(cap CapPrm)" == 0000000000002000 ]] ||
  fail "after the reopen: CapEff=$(cap CapEff) CapPrm=$(cap CapPrm), want 0 and 0x2000"
grep -q "cannot be reopened" "$out/stderr" && fail "refusal logged although the reopen worked"
stop
python3 - "$out/stats.json" <<'PY' || fail "stats (b)"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
assert c["interface_down"] == 1 and c["resumed"] == 1 and c["reopens"] == 1, c
assert c["reopen_failures"] == 0, c
assert c["error"] == "", c
print("ok (b): keep_net_raw true: CapEff=0 CapPrm=0x2000, reopened as nobody, %d packets"
      % c["packets"])
PY
