#!/usr/bin/env bash
# faults.sighup_unreadable: a live sensor running as nobody gets SIGHUP after its config file
# became unreadable to it (0600 root), then after the file was replaced by a directory. Each
# reload must be rejected with a clear log line and counted (config.reload_failures), the
# running config kept, and the sensor must keep capturing: storage requests made after the
# failed reloads reach the ledger. A readable file then reloads again (config.reloads).
# Last, a 2 MB alias bomb (one 1 MiB string repeated 200,000 times) must be rejected the same
# way, naming the key, without the sensor's resident memory growing (issue 18).
# Runs in a network namespace of its own (lo + a small S3-like server); exits 77 without root.
# usage: sighup_unreadable_test.sh BUCKETWATCH WORKDIR
set -uo pipefail
bw="$1"; work="$2"; here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$work"; mkdir -p "$work/etc"; chmod 1777 "$work"; chmod 755 "$work/etc"
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
source "$(dirname "$0")/netns.sh"
netns_enter bwhup
fail() { echo "FAIL: $*"; echo "--- sensor stderr"; cat "$work/stderr"; exit 1; }
wait_for() {
  local until=$((SECONDS + $1)); shift
  while ((SECONDS < until)); do "$@" && return 0; sleep 0.1; done
  return 1
}
in_ns ip link set lo up
in_ns python3 "$here/s3_responder.py" 127.0.0.1 8080 &
disown
wait_for 10 in_ns curl -s -o /dev/null http://127.0.0.1:8080/ready || fail "responder did not start"
request() { in_ns curl -s -o /dev/null "http://127.0.0.1:8080/$1?list-type=2" || fail "curl $1"; }
in_ledger() { grep -q "\"bucket\":\"$1\"" "$work/ledger.jsonl"; }

cfg="$work/etc/bw.yaml"
printf 'log:\n  level: info\n' >"$cfg"; chmod 644 "$cfg"
ip netns exec "$ns" "$bw" --interface lo --bpf 'tcp port 8080' --config "$cfg" --user nobody \
  --set metrics.listen= --stats-json "$work/stats.json" --ledger "$work/ledger.jsonl" \
  2>"$work/stderr" &
pid=$!
wait_for 20 grep -q "capturing on" "$work/stderr" || fail "sensor did not start"
request before-hup
wait_for 15 in_ledger before-hup || fail "no ledger line before the reloads"

# 1. Unreadable to nobody.
chmod 600 "$cfg"
kill -HUP "$pid"
wait_for 10 grep -q "config reload rejected, keeping the running config: $cfg: cannot open file" \
  "$work/stderr" || fail "unreadable config: no rejection line"
# 2. Replaced by a directory (opens fine and reads as empty: must not load the defaults).
rm -f "$cfg"; mkdir "$cfg"
kill -HUP "$pid"
wait_for 10 grep -q "config reload rejected, keeping the running config: $cfg: is a directory" \
  "$work/stderr" || fail "directory config: no rejection line"
grep -q "config reloaded" "$work/stderr" && fail "a bad config was loaded"
kill -0 "$pid" 2>/dev/null || fail "sensor died on a failed reload"
request after-hup
wait_for 15 in_ledger after-hup || fail "sensor stopped capturing after the failed reloads"
# 3. Readable again: reloads.
rmdir "$cfg"; printf 'log:\n  level: debug\n' >"$cfg"; chmod 644 "$cfg"
kill -HUP "$pid"
wait_for 10 grep -q "config reloaded from $cfg" "$work/stderr" || fail "no reload of the good file"

# 4. An alias bomb: rejected naming the key, the running config kept, memory flat.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
rss_before=$(rss_kib)
python3 - "$cfg" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("detection:\n  allowlist:\n    crawler_user_agents: [&ua " + "x" * (1 << 20))
    f.write(", *ua" * 200000 + "]\n")
PY
kill -HUP "$pid"
wait_for 10 grep -q "config reload rejected, keeping the running config: \
detection.allowlist.crawler_user_agents\[[0-9]*\]: the document's values grow past" \
  "$work/stderr" || fail "alias bomb: no rejection line naming the key"
kill -0 "$pid" 2>/dev/null || fail "sensor died on the alias bomb"
rss_after=$(rss_kib)
((rss_after < rss_before + 65536)) || fail "RSS grew from $rss_before to $rss_after KiB"
request after-bomb
wait_for 15 in_ledger after-bomb || fail "sensor stopped capturing after the alias bomb"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "exit $rc after SIGTERM"
python3 - "$work/stats.json" <<'PY' || fail "stats"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["config"] == {"reloads": 1, "reload_failures": 3}, s["config"]
assert s["ledger"]["lines"] >= 3, s["ledger"]
print("ok: unreadable, directory and alias-bomb configs rejected (reload_failures=3), good one "
      "reloaded "
      "(reloads=1), %d ledger lines, %d packets" % (s["ledger"]["lines"], s["capture"]["packets"]))
PY
echo "RSS before/after the alias bomb: $rss_before / $rss_after KiB"
grep "config reload" "$work/stderr" | sed 's/^[^ ]* //'
