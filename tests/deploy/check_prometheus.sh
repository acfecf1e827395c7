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
# The fleet: file_sd scrape config (promtool also parses the targets files it matches), the
# global Prometheus federating the sites, the remote-write agent, and their rules.
promtool check config fleet.yml
promtool check config federation.yml
promtool check config remote-write.yml
promtool check rules bucketwatch-fleet.rules.yml bucketwatch-federation.rules.yml
promtool test rules tests/bucketwatch-fleet.rules.test.yml
grep -q 'file_sd_configs' fleet.yml || { echo "FAIL: fleet.yml has no file_sd_configs"; exit 1; }
ls targets/*.yml >/dev/null || { echo "FAIL: no example targets file"; exit 1; }
for alert in BucketwatchSensorVanished BucketwatchNoSensors BucketwatchSensorKernelDrops \
             BucketwatchSensorOutputDropping BucketwatchSensorOutputBacklog BucketwatchSensorAlertBacklog; do
  grep -q "alert: $alert\$" bucketwatch-fleet.rules.yml || { echo "FAIL: no rule $alert"; exit 1; }
  grep -q "alertname: $alert\$" tests/bucketwatch-fleet.rules.test.yml || { echo "FAIL: $alert has no promtool unit test"; exit 1; }
done
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
echo "ok: promtool check config/rules (single host and fleet), promtool test rules, amtool check-config and routes"
