#!/usr/bin/env bash
# Live capture end to end: bucketwatch captures on the loopback while curl fetches objects from
# a local HTTP/1.1 server over one keep-alive connection; after SIGINT the flow log must hold
# that connection with exactly the bytes curl received, no gaps and no kernel drops.
#   live_lo_test.sh BUCKETWATCH WORKDIR
set -euo pipefail
bw="$1" work="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$work"
rm -f "$work"/live.*
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
mport=$(free_port)

cleanup() {
  [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "${bw_pid:-}" ]] && kill "$bw_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

python3 "$here/../tools/keepalive_http_server.py" --port "$port" >"$work/live.server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/b/small-1k.txt" && break
  sleep 0.1
done

"$bw" --interface lo --bpf "tcp port $port" --flow-log "$work/live.flows.jsonl" --flow-digests \
  --metrics-listen "127.0.0.1:$mport" \
  --stats-json "$work/live.stats.json" 2>"$work/live.stderr" &
bw_pid=$!
for _ in $(seq 100); do
  grep -q "capturing on" "$work/live.stderr" 2>/dev/null && break
  sleep 0.1
done
grep -q "capturing on" "$work/live.stderr" || { cat "$work/live.stderr"; echo "sensor did not start"; exit 1; }

# One keep-alive connection, three objects; curl reports the header and body bytes it read.
curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{size_header} %{size_download}\n' \
  "http://127.0.0.1:$port/b/small-1k.txt" "http://127.0.0.1:$port/b/medium-16k.bin" \
  "http://127.0.0.1:$port/b/huge-200k.bin" >"$work/live.curl"
expected=$(awk '{s += $1 + $2} END {print s}' "$work/live.curl")
sleep 1
# The operator's view while it runs: healthy, and counting what it captured.
curl -sf "http://127.0.0.1:$mport/healthz" | grep -q '^ok' || { echo "healthz not ok"; exit 1; }
curl -sf "http://127.0.0.1:$mport/metrics" >"$work/live.metrics"
grep -Eq '^bucketwatch_capture_packets_total(\{[^}]*\})? [1-9]' "$work/live.metrics" ||
  { echo "no packets in /metrics"; head -50 "$work/live.metrics"; exit 1; }
kill -INT "$bw_pid"
for _ in $(seq 100); do
  kill -0 "$bw_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$bw_pid" 2>/dev/null; then echo "sensor did not stop on SIGINT"; exit 1; fi
wait "$bw_pid"
bw_pid=""

python3 - "$work/live.flows.jsonl" "$work/live.stats.json" "$expected" "$port" <<'PY'
import json, sys
flows = [json.loads(l) for l in open(sys.argv[1])]
stats = json.load(open(sys.argv[2]))
expected, port = int(sys.argv[3]), int(sys.argv[4])
mine = [f for f in flows if f["destination"]["port"] == port and f["flow"]["http_requests"] == 3]
assert len(mine) == 1, f"expected one 3-request connection to port {port}, got {flows}"
f = mine[0]["flow"]
got = f["to_client"]["delivered_bytes"]
assert got == expected, f"delivered {got} bytes to the client, curl read {expected}"
assert f["to_client"]["gaps"] == 0 and f["to_server"]["gaps"] == 0, f
assert mine[0]["flow"]["app_layer"] == "http", mine[0]
assert stats["capture"]["kernel_drops"] == 0, stats["capture"]
assert stats["capture"]["packets"] > 10, stats["capture"]
print(f"ok: live capture on lo, {got} bytes delivered, {stats['capture']['packets']} packets")
PY
