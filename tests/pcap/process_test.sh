#!/usr/bin/env bash
# Process hygiene of a live sensor: after opening the capture it runs as --user with no
# capability left; SIGHUP reloads the config (a broken file is rejected with a log line and the
# running config stays); SIGTERM drains and exits 0.
#   process_test.sh BUCKETWATCH WORKDIR
set -euo pipefail
bw="$1" work="$2"
rm -rf "$work"
mkdir -p "$work"
chmod 1777 "$work"
printf 'log:\n  level: info\n' >"$work/bw.yaml"
chmod 644 "$work/bw.yaml"

"$bw" --interface lo --bpf 'tcp port 9' --config "$work/bw.yaml" --user nobody --set metrics.listen= \
  --stats-json "$work/stats.json" --ledger "$work/ledger.jsonl" 2>"$work/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "capturing on" "$work/stderr" && break; sleep 0.1; done
grep -q "capturing on" "$work/stderr" || { cat "$work/stderr"; exit 1; }
sleep 0.3

status="/proc/$pid/status"
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$status")
capeff=$(awk '/^CapEff:/ {print $2}' "$status")
capprm=$(awk '/^CapPrm:/ {print $2}' "$status")
nobody=$(id -u nobody)
[[ "$uid" == "$nobody$nobody$nobody$nobody" ]] || { echo "FAIL: uids $uid, want all $nobody"; exit 1; }
[[ "$capeff" == 0000000000000000 && "$capprm" == 0000000000000000 ]] ||
  { echo "FAIL: capabilities left: CapEff=$capeff CapPrm=$capprm"; exit 1; }
echo "ok: running as nobody with CapEff=$capeff CapPrm=$capprm"
ledger_mode=$(stat -c %a "$work/ledger.jsonl")
[[ "$ledger_mode" == 640 ]] || { echo "FAIL: ledger mode $ledger_mode, want 640"; exit 1; }

printf 'log:\n  level: debug\n' >"$work/bw.yaml"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "config reloaded" "$work/stderr" && break; sleep 0.1; done
grep -q "config reloaded" "$work/stderr" || { echo "FAIL: no reload"; cat "$work/stderr"; exit 1; }
printf 'log:\n  level: [broken\n' >"$work/bw.yaml"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "config reload rejected" "$work/stderr" && break; sleep 0.1; done
grep -q "config reload rejected, keeping the running config: .*bw.yaml" "$work/stderr" ||
  { echo "FAIL: broken config not rejected"; cat "$work/stderr"; exit 1; }
kill -0 "$pid" || { echo "FAIL: sensor died on a broken reload"; exit 1; }
echo "ok: SIGHUP reloads, a broken file is rejected and the sensor keeps running"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
trap - EXIT
[[ $rc -eq 0 ]] || { echo "FAIL: exit $rc after SIGTERM"; cat "$work/stderr"; exit 1; }
python3 - "$work/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["config"] == {"reloads": 1, "reload_failures": 1}, s["config"]
print("ok: SIGTERM exits 0 with the final counters written:", s["config"])
PY
