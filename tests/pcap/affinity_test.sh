#!/usr/bin/env bash
# pcap.affinity: cpu_affinity pins the capture thread to the first CPU of the list and each worker
# thread to the following ones, whether worker 0 runs on the capture thread (more workers than
# CPUs allow) or on a thread of its own. The sensor reads a pipe that stays open, so its threads
# are alive while /proc/<pid>/task/*/status is read.
# usage: affinity_test.sh BUCKETWATCH WORKDIR
set -uo pipefail
bw="$1"; work="$2"
rm -rf "$work"; mkdir -p "$work"
cpus=$(nproc)
((cpus >= 2)) || { echo "skip: needs 2 CPUs"; exit 77; }

# threads WORKERS: runs the sensor pinned to "0,1" and prints "main|other CPUS" per thread.
threads() {
  local workers="$1" fifo="$work/in.$1"
  mkfifo "$fifo"
  "$bw" --read - --set metrics.listen= --set workers="$workers" --set cpu_affinity=0,1 -q \
    <"$fifo" 2>"$work/stderr.$workers" &
  local pid=$!
  # An empty pcap header keeps the sensor waiting for packets on the open pipe.
  exec 3>"$fifo"
  printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00' >&3
  # Pinning happens once the sensor has started (slow under a sanitizer): wait for it.
  local until=$((SECONDS + 30))
  while ((SECONDS < until)); do
    grep -q "Cpus_allowed_list:[[:space:]]*0$" /proc/"$pid"/status 2>/dev/null &&
      (($(ls /proc/"$pid"/task | wc -l) > 1)) && break
    sleep 0.2
  done
  sleep 0.5
  for t in /proc/"$pid"/task/*; do
    [[ $t == /proc/$pid/task/$pid ]] && echo "main $(awk '/Cpus_allowed_list/ {print $2}' "$t/status")" \
      || echo "other $(awk '/Cpus_allowed_list/ {print $2}' "$t/status")"
  done
  exec 3>&-
  wait "$pid" || { echo "FAIL: sensor exited $?"; cat "$work/stderr.$workers"; exit 1; }
}

fail() { echo "FAIL: $*"; exit 1; }
# Two workers on a 2-CPU list: with 2 CPUs worker 0 runs on the capture thread (CPU 0) and the
# other worker's thread is pinned to CPU 1; on more CPUs both worker threads get CPUs 1 and 0.
out=$(threads 2)
echo "$out"
grep -qx "main 0" <<<"$out" || fail "capture thread not pinned to CPU 0"
pinned_to_1=$(grep -cx "other 1" <<<"$out")
((pinned_to_1 == 1)) || fail "$pinned_to_1 threads pinned to CPU 1, want exactly 1 (the first worker thread)"
if ((cpus == 2)); then
  grep -qx "other 0" <<<"$out" && fail "a worker thread shares the capture thread's CPU"
fi
echo "ok: capture thread on CPU 0, first worker thread on CPU 1 ($cpus CPUs)"
