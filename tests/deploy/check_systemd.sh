#!/usr/bin/env bash
# deploy/systemd/bucketwatch.service: `systemd-analyze verify` must accept it without a single
# warning (unknown keys are only warnings there, so any output fails the test), the hardening the
# issue asks for must be present, and `systemd-analyze security --offline` must rate it 3.0 or
# better. The unit is verified against the built binary (ExecStart must be executable).
# Usage: check_systemd.sh SOURCE_DIR BUCKETWATCH        Exit 77 (skip) without systemd-analyze.
set -euo pipefail
src=$1 bin=$2
unit=$src/deploy/systemd/bucketwatch.service
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not installed (apt-get install systemd)"; exit 77
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed "s#/usr/local/bin/bucketwatch#$bin#g" "$unit" > "$work/bucketwatch.service"
out=$(systemd-analyze verify "$work/bucketwatch.service" 2>&1) || { echo "FAIL: verify: $out"; exit 1; }
if [ -n "$out" ]; then echo "FAIL: systemd-analyze verify warned:"; echo "$out"; exit 1; fi
for want in 'User=bucketwatch' 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN' \
            'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN' 'NoNewPrivileges=yes' \
            'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'StateDirectory=bucketwatch' \
            'SystemCallFilter=@system-service' 'ExecReload=/bin/kill -HUP $MAINPID' \
            '--metrics-listen 127.0.0.1:9580' '--state-dir /var/lib/bucketwatch/state'; do
  grep -qF -- "$want" "$unit" || { echo "FAIL: $unit lacks '$want'"; exit 1; }
done
# Offline security score: 0 (best) .. 10; the threshold makes the command fail above 3.0.
if ! systemd-analyze security --offline=yes --threshold=30 "$work/bucketwatch.service" \
     > "$work/security.txt" 2>&1; then
  tail -3 "$work/security.txt"; echo "FAIL: exposure above 3.0"; exit 1
fi
# The binary refuses nothing the unit passes: the ExecStartPre config check must succeed.
"$bin" --check-config --config "$src/config/bucketwatch.yaml" >/dev/null
echo "ok: systemd-analyze verify clean; $(grep 'Overall exposure' "$work/security.txt" | sed 's/→ //')"
