#!/usr/bin/env bash
# The command line's contract (DESIGN.md): exit 0 success, 2 usage or config error naming the
# key and the reason, 1 runtime failure with one clear line; never a crash. A capture cut short
# still yields everything before the cut.
#   cli_test.sh BUCKETWATCH WORKDIR
set -uo pipefail
bw="$1" work="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$work"
failures=0

expect() {  # expect CODE 'stderr regex' -- command...
  local code="$1" pattern="$2"
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local matched=1
  if [[ "$pattern" == EMPTY ]]; then
    [[ -s "$work/err" ]] && matched=0
  elif ! grep -Eq "$pattern" "$work/err"; then
    matched=0
  fi
  if [[ $rc -ne $code || $matched -eq 0 ]]; then
    echo "FAIL: $* -> exit $rc (want $code), stderr: $(head -c 300 "$work/err")"
    failures=$((failures + 1))
  else
    echo "ok: exit $rc: $(head -n 1 "$work/err")"
  fi
  if grep -Eqi "sanitizer|segmentation|core dumped|terminate called" "$work/err"; then
    echo "FAIL: crash output from $*"
    failures=$((failures + 1))
  fi
}

base="$here/captures/http_keepalive.pcap"

expect 0 EMPTY -- "$bw" --version
grep -q "^bucketwatch " "$work/out" || { echo "FAIL: --version prints no version"; failures=$((failures + 1)); }
expect 2 'nothing to do' -- "$bw"
expect 2 'bogus' -- "$bw" --bogus
expect 2 'config error: flows.max_flows: expected a non-negative integer' -- "$bw" --read "$base" --set flows.max_flows=lots
expect 2 'config error: nope: unknown key' -- "$bw" --check-config --set nope=1
printf 'flows:\n  max_flow: 1\n' >"$work/bad.yaml"
expect 2 "config error: flows.max_flow: unknown key" -- "$bw" --check-config --config "$work/bad.yaml"
printf 'flows: [\n' >"$work/broken.yaml"
expect 2 "config error: .*broken.yaml: line" -- "$bw" --check-config --config "$work/broken.yaml"
expect 2 'config error: /nonexistent.yaml: cannot open file' -- "$bw" --check-config --config /nonexistent.yaml
expect 0 EMPTY -- "$bw" --check-config
expect 0 EMPTY -- "$bw" --print-config
cp "$work/out" "$work/printed.yaml"
expect 0 EMPTY -- "$bw" --check-config --config "$work/printed.yaml"
expect 0 EMPTY -- "$bw" --print-config --set workers=3
grep -q "^workers: 3" "$work/out" || { echo "FAIL: --print-config does not show --set"; failures=$((failures + 1)); }
expect 2 "invalid BPF filter" -- "$bw" --read "$base" --bpf "tcp port nonsense("
# A filter applies to a read capture file too (it used to fail: "A filter cannot be set on a
# pcap_open_dead pcap_t"): "tcp" keeps every flow, "not tcp" none.
expect 0 EMPTY -- "$bw" --read "$base" --flow-log "$work/unfiltered.jsonl" -q
expect 0 EMPTY -- "$bw" --read "$base" --bpf tcp --flow-log "$work/tcp.jsonl" -q
expect 0 EMPTY -- "$bw" --read "$base" --bpf "not tcp" --flow-log "$work/nottcp.jsonl" -q
if [[ ! -s "$work/unfiltered.jsonl" ]] || ! cmp -s "$work/unfiltered.jsonl" "$work/tcp.jsonl" ||
   [[ -s "$work/nottcp.jsonl" ]]; then
  echo "FAIL: --bpf on a capture file: flows with tcp/none/not tcp $(wc -l <"$work/tcp.jsonl")/$(wc -l <"$work/unfiltered.jsonl")/$(wc -l <"$work/nottcp.jsonl")"
  failures=$((failures + 1))
fi
expect 1 "cannot read capture /nonexistent.pcap" -- "$bw" --read /nonexistent.pcap
expect 1 "cannot capture on bw-no-such-if0: no such interface" -- "$bw" --interface bw-no-such-if0
printf 'not a capture file at all' >"$work/garbage.pcap"
expect 1 "cannot read capture" -- "$bw" --read "$work/garbage.pcap"

# An 802.11 capture behind an AVS radio header (link type 163, which the sensor does not read):
# a clear refusal, not a crash.
python3 - "$work/wifi.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 163))
    f.write(struct.pack("<IIII", 1, 0, 4, 4) + b"\x00" * 4)
PY
expect 1 "unsupported link type 163" -- "$bw" --read "$work/wifi.pcap"

# Cut the capture in the middle of a packet: exit 1 with one line, and every packet before the
# cut processed (flows and requests reported).
# --tls-keylog (issue 19): an insecure key log refuses the start (exit 2) unless allowed; no key
# reaches stderr or --print-config, whatever the lines.
keys="$work/keys"
rm -rf "$keys" && mkdir -m 700 "$keys"
secret=$(printf 'c0ffee%.0s' {1..16})
{
  printf 'CLIENT_RANDOM %064d %s\n' 1 "$secret"
  printf 'CLIENT_RANDOM %064d %s\n' 2 "${secret:0:50}"
  printf 'CLIENT_RANDOM zz%062d %s\n' 3 "$secret"
} >"$keys/sslkeys.log"
chmod 644 "$keys/sslkeys.log"
expect 2 "tls.keylog: .*sslkeys.log: world-readable \(mode 0644\)" -- "$bw" --read "$base" --tls-keylog "$keys/sslkeys.log" -q
expect 0 "reading it anyway" -- "$bw" --read "$base" --tls-keylog "$keys/sslkeys.log" --set tls.keylog_allow_insecure_permissions=true -q
chmod 600 "$keys/sslkeys.log"
expect 2 "tls.keylog: .*missing.log: no such file" -- "$bw" --read "$base" --tls-keylog "$keys/missing.log" -q
expect 0 "line 2 skipped: bad_secret_length" -- "$bw" --read "$base" --tls-keylog "$keys/sslkeys.log" --tls-keylog "$keys" --log-level debug
cp "$work/err" "$work/keylog-run.err"
expect 0 EMPTY -- "$bw" --print-config --tls-keylog "$keys/sslkeys.log"
grep -q "$keys/sslkeys.log" "$work/out" || { echo "FAIL: --print-config does not show --tls-keylog"; failures=$((failures + 1)); }
if grep -qi "${secret:0:24}" "$work/out" "$work/err" "$work/keylog-run.err"; then
  echo "FAIL: key material in the output"; failures=$((failures + 1))
fi

size=$(stat -c %s "$base")
head -c $((size * 2 / 3)) "$base" >"$work/truncated.pcap"
expect 1 "truncated|processed the [0-9]+ packets before it" -- "$bw" --read "$work/truncated.pcap" --flow-log "$work/trunc.flows" --stats-json "$work/trunc.stats" --quiet
python3 - "$work/trunc.stats" "$work/trunc.flows" <<'PY' || failures=$((failures + 1))
import json, sys
stats = json.load(open(sys.argv[1]))
flows = [json.loads(l) for l in open(sys.argv[2])]
assert stats["capture"]["packets"] > 10, stats["capture"]
assert stats["capture"]["error"], stats["capture"]
assert flows and sum(f["flow"]["http_requests"] for f in flows) >= 2, flows
print(f"ok: truncated capture: {stats['capture']['packets']} packets and {len(flows)} flows before the cut")
PY

echo "cli: $failures failure(s)"
((failures == 0))
