#!/usr/bin/env python3
"""Real-component test: the sensor replays a capture and lingers with /metrics up; a real
Prometheus (Debian package) scrapes it every second with the shipped alert rules loaded. Checks:
  1. the values Prometheus scraped equal the sensor's own --stats-json (packets, bytes, storage
     requests, flows, HTTP requests) and its ledger (anonymous requests by provider/outcome,
     storage requests by provider/auth), and alerts when the sensor reports them;
  2. the shipped rule BucketwatchAnonymousStorageAccess fires on the real data (and
     BucketwatchDown does not);
  3. every Grafana panel query and every alert rule expression parses as PromQL in this
     Prometheus and names only metrics the sensor really exports.
Usage: prometheus_scrape_test.py BUCKETWATCH PCAP SOURCE_DIR
Exit 77 (skip) when prometheus is not installed.
"""
import collections
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_lib import (Prometheus, Sensor, fail, parse_exposition, require_linger,  # noqa: E402
                         wait_for)

import yaml  # noqa: E402  (Debian: python3-yaml)

OPERATION_FOLD = {"Unknown": "other"}


def grafana_exprs(dashboard):
    out = []
    for panel in dashboard["panels"]:
        for t in panel.get("targets", []):
            out.append((panel["title"], t["expr"]))
    for var in dashboard["templating"]["list"]:
        q = var.get("query")
        if isinstance(q, dict) and q.get("query", "").startswith("label_values("):
            # label_values(metric, label) is Grafana syntax; the metric part is PromQL.
            inner = q["query"][len("label_values("):].rsplit(",", 1)[0]
            out.append(("variable " + var["name"], inner))
    return out


def substitute(expr):
    return (expr.replace("$__rate_interval", "1m").replace("$__range", "5m")
            .replace("$__interval", "15s").replace("$instance", ".*")
            .replace("$sensor", ".*"))


def main():
    binary, pcap, source = sys.argv[1], sys.argv[2], sys.argv[3]
    require_linger(binary)
    with open(os.path.join(source, "deploy/grafana/bucketwatch-dashboard.json")) as f:
        dashboard = json.load(f)
    rules_path = os.path.join(source, "deploy/prometheus/bucketwatch.rules.yml")
    with open(rules_path) as f:
        rules = yaml.safe_load(f)

    work = tempfile.mkdtemp(prefix="bw-prom-")
    sensor = Sensor(binary, pcap, work, linger=180, extra=["-q"])
    prom = None
    try:
        sensor.wait_finished()
        own = parse_exposition(sensor.metrics())
        exported = set(own["types"])
        prom = Prometheus(work, sensor.port, rule_files=[rules_path])
        # Prometheus has the final values once it scraped the finished state.
        wait_for(lambda: prom.scalar('bucketwatch_capture_state{state="finished"}') == 1, 60,
                 "Prometheus to scrape the finished capture")
        time.sleep(2.5)  # a few more scrapes: rate() and rules need two samples

        # --- 2. the shipped alert rules on real data
        def anonymous_alert():
            return [a for a in prom.alerts()
                    if a["labels"]["alertname"] == "BucketwatchAnonymousStorageAccess"
                    and a["state"] == "firing"]
        firing = wait_for(anonymous_alert, 30, "BucketwatchAnonymousStorageAccess to fire")
        names = {a["labels"]["alertname"] for a in prom.alerts()}
        if "BucketwatchDown" in names:
            fail("BucketwatchDown is active while the sensor is up")

        # --- 3. dashboard and rule queries
        problems = []
        checked = 0
        exprs = grafana_exprs(dashboard)
        for group in rules["groups"]:
            for rule in group["rules"]:
                exprs.append(("rule " + rule["alert"], rule["expr"]))
        for where, expr in exprs:
            status, data = prom.query(substitute(expr))
            checked += 1
            if status != "success":
                problems.append("%s: does not parse: %s (%s)" % (where, expr, data))
            used = set(re.findall(r"\bbucketwatch_[a-z0-9_]+", expr))
            if not used and "up{" not in expr:
                problems.append("%s: uses no bucketwatch metric: %s" % (where, expr))
            for name in used - exported:
                problems.append("%s: metric %s is not exported by the sensor" % (where, name))
        if problems:
            fail("\n  ".join(["dashboard/rule queries:"] + problems))
        # Core panels show data for this capture.
        for expr in ["sum(rate(bucketwatch_capture_packets_total[1m]))",
                     "sum by (provider, auth) (rate(bucketwatch_storage_requests_total[1m]))",
                     "sum by (provider) (rate(bucketwatch_anonymous_served_bytes_total[1m]))",
                     "sum(bucketwatch_flows_active)"]:
            status, data = prom.query(expr)
            if status != "success" or not data["result"]:
                fail("panel query returned no data: %s" % expr)

        # Values as Prometheus stored them, before the sensor stops.
        scraped = {
            "packets": prom.scalar("sum(bucketwatch_capture_packets_total)"),
            "bytes": prom.scalar("sum(bucketwatch_capture_bytes_total)"),
            "storage": prom.scalar("sum(bucketwatch_storage_requests_total)"),
            "anonymous": prom.scalar("sum(bucketwatch_anonymous_requests_total)") or 0,
            "flows_created": prom.scalar("sum(bucketwatch_flows_created_total)"),
            "http_requests": prom.scalar("sum(bucketwatch_http_requests_total)"),
            "alerts": prom.scalar("sum(bucketwatch_alerts_total)") or 0,
        }
        by_provider_auth = {}
        status, data = prom.query("sum by (provider, auth) (bucketwatch_storage_requests_total)")
        for r in data["result"]:
            by_provider_auth[(r["metric"]["provider"], r["metric"]["auth"])] = float(r["value"][1])
        anon_by = {}
        status, data = prom.query(
            "sum by (provider, operation, outcome) (bucketwatch_anonymous_requests_total)")
        for r in data["result"]:
            m = r["metric"]
            anon_by[(m["provider"], m["operation"], m["outcome"])] = float(r["value"][1])
    finally:
        rc = sensor.stop()
        if prom:
            prom.stop()
    if rc != 0:
        fail("sensor exit code %s after SIGTERM" % rc)

    # --- 1. Prometheus == the sensor's own summary and ledger
    stats = sensor.read_stats()
    ledger = sensor.read_ledger()
    expect = {
        "packets": stats["capture"]["packets"],
        "bytes": stats["capture"]["bytes"],
        "storage": stats["app"]["storage_requests"],
        "flows_created": stats["flows"]["created"],
        "anonymous": sum(1 for e in ledger if e["storage"]["auth"]["class"] == "anonymous"),
    }
    if "http" in stats and "requests" in stats["http"]:
        expect["http_requests"] = stats["http"]["requests"]
    if "alerts" in stats:
        a = stats["alerts"]
        expect["alerts"] = a.get("raised", a.get("total")) if isinstance(a, dict) else a
    mismatches = ["%s: Prometheus %s, sensor %s" % (k, scraped[k], v)
                  for k, v in expect.items() if v is not None and scraped[k] != v]
    if len(ledger) != stats["app"]["storage_requests"]:
        mismatches.append("ledger lines %d != stats storage_requests %d"
                          % (len(ledger), stats["app"]["storage_requests"]))
    want_pa = collections.Counter((e["storage"]["provider"], e["storage"]["auth"]["class"])
                                  for e in ledger)
    if dict(want_pa) != {k: int(v) for k, v in by_provider_auth.items()}:
        mismatches.append("storage requests by provider/auth: Prometheus %s, ledger %s"
                          % (by_provider_auth, dict(want_pa)))
    want_anon = collections.Counter(
        (e["storage"]["provider"], OPERATION_FOLD.get(e["storage"]["operation"],
                                                      e["storage"]["operation"]),
         e["storage"]["outcome"])
        for e in ledger if e["storage"]["auth"]["class"] == "anonymous")
    if dict(want_anon) != {k: int(v) for k, v in anon_by.items()}:
        mismatches.append("anonymous requests by provider/operation/outcome: Prometheus %s, "
                          "ledger %s" % (anon_by, dict(want_anon)))
    if expect["anonymous"] == 0:
        mismatches.append("the capture has no anonymous request: pick one that does")
    if mismatches:
        fail("\n  ".join(["scraped values differ from the sensor's own:"] + mismatches))
    print("ok: Prometheus scraped packets=%d storage=%d anonymous=%d (= --stats-json and ledger); "
          "%d anonymous-access alert(s) firing; %d dashboard/rule queries parse and use exported "
          "metrics" % (scraped["packets"], scraped["storage"], scraped["anonymous"], len(firing),
                       checked))


if __name__ == "__main__":
    main()
