#!/usr/bin/env bash
# Records the small base captures in tests/pcap/captures/ live on the loopback interface.
# Needs root (tcpdump), curl, openssl and python3. Every capture uses its own unusual port
# and a BPF filter on it, so unrelated loopback traffic never ends up in a file.
#
#   tests/tools/record_base_captures.sh [OUTDIR]     (default: tests/pcap/captures)
#
# The outputs are committed; rerun only when a capture must change, and review the diff
# in tshark (timestamps, ports and Date headers differ between recordings).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="${1:-$here/../pcap/captures}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
work="$(mktemp -d)"
server="$here/keepalive_http_server.py"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A 219-character, 8-label vhost: longer than nDPI 4.2 keeps, every label <= 63 bytes.
LONG_SNI="bucketwatch-long-sni-probe-customer-documents-archive-2026-eu1"
LONG_SNI+=".replica-tier-cold-storage-backup-objects-0123456789abcdefghijk"
LONG_SNI+=".part-0042-of-0128-multi-region-access-point-alias-qqq"
LONG_SNI+=".s3.dualstack.eu-central-1.amazonaws.com"

# start_capture IFACE FILE FILTER: starts tcpdump and waits until it is really listening.
# --immediate-mode matters: with TPACKET_V3 the kernel hands packets over in blocks that
# are retired only on a timeout, and an interrupted tcpdump would lose the pending block.
cap_pid=""
start_capture() {
  local iface="$1" file="$2" filter="$3" log="$work/tcpdump.$$.$RANDOM.log"
  rm -f "$file"
  tcpdump -i "$iface" -s 0 -U --immediate-mode -n -w "$file" "$filter" 2>"$log" &
  cap_pid=$!
  pids+=("$cap_pid")
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$log"; then
      sleep 0.2
      return 0
    fi
    if ! kill -0 "$cap_pid" 2>/dev/null; then
      cat "$log" >&2
      echo "tcpdump failed to start" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "tcpdump did not start listening on $iface" >&2
  exit 1
}

# stop_capture: lets the last packets (FINs) arrive, then SIGINT so tcpdump flushes the file.
stop_capture() {
  sleep 1
  kill -INT "$cap_pid"
  wait "$cap_pid" || true
}

# wait_port HOST PORT: waits until a TCP server accepts connections.
wait_port() {
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('$1', $2), 0.2).close()" \
        2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "server on $1:$2 did not come up" >&2
  exit 1
}

start_http_server() {  # BIND PORT
  python3 "$server" --bind "$1" --port "$2" &
  pids+=($!)
  srv_pid=$!
  wait_port "$1" "$2"
}
stop_http_server() {
  kill "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
}

# Response bodies are not needed; only the packets matter.
curl() { command curl "$@" >/dev/null; }

head -c 2500 /dev/zero | tr '\0' 'u' >"$work/upload.txt"
curl_opts=(-s -S --max-time 20)

# --- http_keepalive.pcap: GET, HEAD, PUT on one keep-alive connection, then a second one ---
record_http_keepalive() {
  local port=47180 base
  start_http_server 127.0.0.1 $port
  start_capture lo "$outdir/http_keepalive.pcap" "tcp port $port"
  base="http://127.0.0.1:$port/demo-bucket"
  curl "${curl_opts[@]}" "$base/small-1k.txt" "$base/medium-16k.bin" "$base/huge-200k.bin" \
    --next "${curl_opts[@]}" -I "$base/medium-16k.bin" \
    --next "${curl_opts[@]}" -T "$work/upload.txt" "$base/uploaded.txt" \
    --next "${curl_opts[@]}" "$base/missing.txt"
  curl "${curl_opts[@]}" "$base/small-1k.txt" --next "${curl_opts[@]}" -I "$base/huge-200k.bin"
  stop_capture
  stop_http_server
}

# --- http_chunked.pcap: Transfer-Encoding: chunked responses on one connection ------------
record_http_chunked() {
  local port=47181
  start_http_server 127.0.0.1 $port
  start_capture lo "$outdir/http_chunked.pcap" "tcp port $port"
  curl "${curl_opts[@]}" "http://127.0.0.1:$port/chunked/5000" \
    "http://127.0.0.1:$port/chunked/70000" "http://127.0.0.1:$port/chunked/1"
  stop_capture
  stop_http_server
}

# --- tls_sni.pcap: TLS 1.2 and TLS 1.3 handshakes with a long SNI and a little data -------
record_tls_sni() {
  local port=47182 tls_pid
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bucketwatch-test" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  openssl s_server -quiet -accept $port -cert "$work/cert.pem" -key "$work/key.pem" -www \
    >/dev/null 2>&1 &
  tls_pid=$!
  pids+=("$tls_pid")
  wait_port 127.0.0.1 $port
  start_capture lo "$outdir/tls_sni.pcap" "tcp port $port"
  curl "${curl_opts[@]}" -k --tlsv1.2 --tls-max 1.2 --resolve "$LONG_SNI:$port:127.0.0.1" \
    "https://$LONG_SNI:$port/"
  curl "${curl_opts[@]}" -k --tlsv1.3 --resolve "$LONG_SNI:$port:127.0.0.1" \
    "https://$LONG_SNI:$port/"
  stop_capture
  kill "$tls_pid" 2>/dev/null || true
  wait "$tls_pid" 2>/dev/null || true
}

# --- ipv6_http.pcap: one HTTP/1.1 session over [::1] --------------------------------------
record_ipv6_http() {
  local port=47183
  start_http_server ::1 $port
  start_capture lo "$outdir/ipv6_http.pcap" "tcp port $port"
  curl "${curl_opts[@]}" "http://[::1]:$port/demo-bucket/medium-16k.bin" \
    --next "${curl_opts[@]}" -T "$work/upload.txt" "http://[::1]:$port/demo-bucket/v6.txt"
  stop_capture
  stop_http_server
}

# --- http_any_sll2.pcap: the "any" pseudo-interface (LINUX_SLL2 on Debian 12) -------------
record_http_any_sll2() {
  local port=47184
  start_http_server 127.0.0.1 $port
  start_capture any "$outdir/http_any_sll2.pcap" "tcp port $port"
  curl "${curl_opts[@]}" "http://127.0.0.1:$port/demo-bucket/small-1k.txt" \
    --next "${curl_opts[@]}" -I "http://127.0.0.1:$port/demo-bucket/large-64k.bin"
  stop_capture
  stop_http_server
}

# A base capture must be complete: the packet socket occasionally misses a segment, which
# tshark flags as a lost segment (or an ACK for unseen data). Such a recording is retried.
complete() {
  local lost
  lost=$(tshark -r "$1" -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' \
    -T fields -e frame.number 2>/dev/null | wc -l)
  [ "$lost" -eq 0 ]
}

for name in http_keepalive http_chunked tls_sni ipv6_http http_any_sll2; do
  for attempt in 1 2 3 4 5; do
    "record_$name"
    if complete "$outdir/$name.pcap"; then
      break
    fi
    echo "$name.pcap: segments missing from the recording (attempt $attempt), recording again" >&2
    if [ "$attempt" -eq 5 ]; then
      echo "$name.pcap: could not record a complete capture" >&2
      exit 1
    fi
  done
done

# tcpdump drops privileges to its own user; hand the files back to the tree's owner.
chown --reference="$outdir" "$outdir"/*.pcap 2>/dev/null || true
for f in http_keepalive http_chunked tls_sni ipv6_http http_any_sll2; do
  printf '%-20s %8d bytes  linktype %s\n' "$f.pcap" "$(stat -c %s "$outdir/$f.pcap")" \
    "$(tcpdump -r "$outdir/$f.pcap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type //p')"
done
