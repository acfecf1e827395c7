#!/usr/bin/env bash
# Prometheus and Alertmanager files checked with the real tools: promtool check config,
# promtool check rules, promtool test rules (deploy/prometheus/tests), amtool check-config, and
# amtool route tests (critical -> PagerDuty and Slack, warning -> Slack, other services -> none).
# Usage: check_prometheus.sh SOURCE_DIR          Exit 77 (skip) without promtool/amtool.
set -euo pipefail
src=$1
for tool in promtool amtool; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed (apt-get install prometheus prometheus-alertmanager)"; exit 77; }
done
cd "$src/deploy/prometheus"
promtool check config prometheus.yml
promtool check rules bucketwatch.rules.yml
promtool test rules tests/bucketwatch.rules.test.yml
# Every alert the issue asks for exists.
for alert in BucketwatchDown BucketwatchCaptureStalled BucketwatchKernelDrops BucketwatchSinkFailing BucketwatchSpoolLosingAlerts \
             BucketwatchSpoolWriteErrors BucketwatchLedgerWriteErrors BucketwatchStateNotSaved \
             BucketwatchAnonymousStorageAccess BucketwatchBulkExfiltration; do
  grep -q "alert: $alert\$" bucketwatch.rules.yml || { echo "FAIL: no rule $alert"; exit 1; }
  grep -q "alertname: $alert\$" tests/bucketwatch.rules.test.yml || { echo "FAIL: $alert has no promtool unit test"; exit 1; }
done
cd "$src/deploy/alertmanager"
amtool check-config alertmanager.yml
route() { amtool config routes test --config.file alertmanager.yml "$@" 2>/dev/null; }
expect() { local want=$1; shift; local got; got=$(route "$@")
  [ "$got" = "$want" ] || { echo "FAIL: route for $*: got '$got', want '$want'"; exit 1; }; }
expect soc-pagerduty,soc-slack service=bucketwatch severity=critical alertname=BucketwatchBulkExfiltration
expect soc-slack service=bucketwatch severity=warning alertname=BucketwatchAnonymousStorageAccess
expect default-null service=something-else severity=critical
echo "ok: promtool check config/rules, promtool test rules, amtool check-config and routes"
