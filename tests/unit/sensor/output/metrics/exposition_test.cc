#include "sensor/output/metrics/exposition.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sensor/output/metrics/operation_table.h"
#include "sensor/output/metrics/snapshot_builder.h"

namespace bw::metrics {
namespace {

// A sample line "name{a="x",b="y"} value" split into its parts.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> types;  // family -> counter/gauge
  std::vector<Sample> samples;
};

Parsed Parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      p.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    Sample s;
    size_t brace = line.find('{');
    size_t space = line.rfind(' ');
    if (brace != std::string::npos && brace < space) {
      s.name = line.substr(0, brace);
      size_t close = line.rfind('}');
      std::string body = line.substr(brace + 1, close - brace - 1);
      size_t i = 0;
      while (i < body.size()) {
        size_t eq = body.find('=', i);
        std::string key = body.substr(i, eq - i);
        size_t q1 = eq + 1;  // opening quote
        size_t q2 = body.find('"', q1 + 1);
        s.labels[key] = body.substr(q1 + 1, q2 - q1 - 1);
        i = q2 + 1;
        if (i < body.size() && body[i] == ',') ++i;
      }
    } else {
      s.name = line.substr(0, space);
    }
    s.value = std::stod(line.substr(space + 1));
    p.samples.push_back(std::move(s));
  }
  return p;
}

double Value(const Parsed& p, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : p.samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return -1;
}

SensorSnapshot Sample1() {
  SensorSnapshot s;
  s.build = {"0.1.0", "gcc 12", "Debug"};
  s.capture.state = CaptureState::kRunning;
  s.capture.packets = 1234;
  s.capture.bytes = 99999;
  s.capture.kernel_drops = 5;
  s.capture.interface_drops = 1;
  s.workers = {{1, 600, 50000}, {0, 634, 49999}};
  s.decode.drops[static_cast<size_t>(decode::DropReason::kTruncatedTcp)] = 3;
  s.flows.active = 7;
  s.flows.created = 20;
  s.flows.evicted = 2;
  s.reassembly.bytes_buffered = 4096;
  s.reassembly.per_flow_cap_hits = 1;
  s.reassembly.global_cap_hits = 2;
  s.reassembly.segment_cap_hits = 3;
  s.http.requests = 40;
  s.http.errors[static_cast<size_t>(http::HttpError::kBadHeader)] = 4;
  StorageSnapshot::Key get{0, static_cast<uint16_t>(OperationIndex(storage::Operation::kGetObject)),
                           0, 0};
  StorageSnapshot::Key get_signed{
      0, static_cast<uint16_t>(OperationIndex(storage::Operation::kGetObject)), 1, 0};
  StorageSnapshot::Key get_denied{
      0, static_cast<uint16_t>(OperationIndex(storage::Operation::kGetObject)), 0, 1};
  s.storage.requests[get] = 10;
  s.storage.requests[get_signed] = 3;
  s.storage.requests[get_denied] = 2;
  s.storage.anonymous_bytes_served[0] = 123456;
  AddAlerts(s, "anonymous_read", "high", 2);
  AddSuppressed(s, "anonymous_read", 5);
  AddAlerts(s, "made_up_rule", "high", 1);
  s.sinks.push_back({"soc pager", "pagerduty", 3, 1, 2, 4, 6, 7});
  s.spool = {9, 1000, 1, 0};
  s.config_reloads = 2;
  s.config_reload_failures = 1;
  s.state = {.saves = 12, .save_errors = 3, .windows_left_out = 4};
  s.process.resident_bytes = 1 << 20;
  return s;
}

TEST(Exposition, NamesFollowPrometheusConventions) {
  Parsed p = Parse(RenderText(Sample1()));
  ASSERT_GT(p.types.size(), 40u);
  for (const auto& [name, type] : p.types) {
    EXPECT_EQ(name.rfind("bucketwatch_", 0), 0u) << name;
    if (type == "counter") {
      EXPECT_TRUE(name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
    } else {
      EXPECT_EQ(type, "gauge") << name;
      EXPECT_EQ(name.find("_total"), std::string::npos) << name;
    }
  }
  for (const auto& s : p.samples) EXPECT_TRUE(p.types.count(s.name)) << s.name;
}

TEST(Exposition, TlsDecryptionAndKeyLogs) {
  SensorSnapshot s = Sample1();
  Parsed without = Parse(RenderText(s));
  // Key log families appear only when key logs are configured; decryption counters always.
  EXPECT_EQ(without.types.count("bucketwatch_tls_keys_loaded_total"), 0u);
  EXPECT_EQ(Value(without, "bucketwatch_tls_decrypted_connections_total"), 0);
  s.app.tls_flows = 9;
  s.app.tls_decrypted = 5;
  s.app.tls_decrypt_failures[static_cast<size_t>(tls::SessionFailure::kNoKeys)] = 3;
  s.app.tls_early_data_bytes = 114;
  s.app.tls_early_data_rejected_bytes = 117;
  s.tls_keylog.enabled = true;
  s.tls_keylog.keys_loaded = 20;
  s.tls_keylog.malformed[static_cast<size_t>(tls::KeyLogError::kBadHex)] = 2;
  s.tls_keylog.overlong_lines = 1;
  s.tls_keylog.connections_held = 4;
  s.tls_keylog.connections_erased = 6;
  Parsed p = Parse(RenderText(s));
  EXPECT_EQ(Value(p, "bucketwatch_tls_connections_total"), 9);
  EXPECT_EQ(Value(p, "bucketwatch_tls_decrypted_connections_total"), 5);
  EXPECT_EQ(Value(p, "bucketwatch_tls_decrypt_failures_total", {{"reason", "no_keys"}}), 3);
  EXPECT_EQ(Value(p, "bucketwatch_tls_decrypt_failures_total", {{"reason", "gap"}}), 0);
  EXPECT_EQ(Value(p, "bucketwatch_tls_decrypt_failures_total", {{"reason", "none"}}), -1);
  EXPECT_EQ(Value(p, "bucketwatch_tls_early_data_bytes_total"), 114);
  EXPECT_EQ(Value(p, "bucketwatch_tls_early_data_rejected_bytes_total"), 117);
  EXPECT_EQ(Value(p, "bucketwatch_tls_early_records_skipped_total"), 0);
  EXPECT_EQ(Value(p, "bucketwatch_tls_keys_loaded_total"), 20);
  EXPECT_EQ(Value(p, "bucketwatch_tls_keylog_malformed_lines_total", {{"reason", "bad_hex"}}), 2);
  EXPECT_EQ(Value(p, "bucketwatch_tls_keylog_malformed_lines_total", {{"reason", "overlong"}}), 1);
  EXPECT_EQ(Value(p, "bucketwatch_tls_keys_held"), 4);
  EXPECT_EQ(Value(p, "bucketwatch_tls_keys_dropped_total", {{"reason", "connection_ended"}}), 6);
}

TEST(Exposition, SensorInfoAndTheOptionalSensorLabel) {
  SensorSnapshot s = Sample1();
  EXPECT_EQ(Parse(RenderText(s)).types.count("bucketwatch_sensor_info"), 0u);
  s.observer = {"tap-fra-3", "sensor-host-7", false};
  Parsed p = Parse(RenderText(s));
  EXPECT_EQ(
      Value(p, "bucketwatch_sensor_info", {{"sensor", "tap-fra-3"}, {"hostname", "sensor-host-7"}}),
      1);
  EXPECT_EQ(Value(p, "bucketwatch_tls_decrypted_connections_total"), 0);  // no label added
  s.observer.label_every_series = true;
  Parsed labelled = Parse(RenderText(s));
  EXPECT_EQ(labelled.samples.size(), p.samples.size());
  for (const auto& sample : labelled.samples) {
    auto it = sample.labels.find("sensor");
    ASSERT_NE(it, sample.labels.end()) << sample.name;
    EXPECT_EQ(it->second, "tap-fra-3") << sample.name;
  }
  EXPECT_EQ(
      Value(labelled, "bucketwatch_tls_decrypted_connections_total", {{"sensor", "tap-fra-3"}}), 0);
}

TEST(Exposition, ValuesAndLabels) {
  Parsed p = Parse(RenderText(Sample1()));
  EXPECT_EQ(Value(p, "bucketwatch_capture_packets_total"), 1234);
  EXPECT_EQ(Value(p, "bucketwatch_capture_kernel_drops_total"), 5);
  EXPECT_EQ(Value(p, "bucketwatch_worker_packets_total", {{"worker", "0"}}), 634);
  EXPECT_EQ(Value(p, "bucketwatch_worker_packets_total", {{"worker", "1"}}), 600);
  EXPECT_EQ(Value(p, "bucketwatch_capture_state", {{"state", "running"}}), 1);
  EXPECT_EQ(Value(p, "bucketwatch_capture_state", {{"state", "failed"}}), 0);
  EXPECT_EQ(Value(p, "bucketwatch_decode_drops_total", {{"reason", "truncated_tcp"}}), 3);
  EXPECT_EQ(Value(p, "bucketwatch_decode_drops_total", {{"reason", "not_ip"}}), 0);
  EXPECT_EQ(Value(p, "bucketwatch_flows_active"), 7);
  EXPECT_EQ(Value(p, "bucketwatch_flows_ended_total", {{"reason", "evicted"}}), 2);
  EXPECT_EQ(Value(p, "bucketwatch_reassembly_buffered_bytes"), 4096);
  EXPECT_EQ(Value(p, "bucketwatch_reassembly_cap_hits_total", {{"cap", "global"}}), 2);
  EXPECT_EQ(Value(p, "bucketwatch_reassembly_cap_hits_total", {{"cap", "per_flow_segments"}}), 3);
  EXPECT_EQ(Value(p, "bucketwatch_http_parse_errors_total", {{"reason", "bad_header"}}), 4);
  EXPECT_EQ(Value(p, "bucketwatch_storage_requests_total",
                  {{"provider", "s3"},
                   {"operation", "GetObject"},
                   {"auth", "anonymous"},
                   {"outcome", "success"}}),
            10);
  EXPECT_EQ(Value(p, "bucketwatch_storage_requests_total",
                  {{"provider", "s3"},
                   {"operation", "GetObject"},
                   {"auth", "signed"},
                   {"outcome", "success"}}),
            3);
  // The anonymous family is the anonymous subset, without the auth label.
  EXPECT_EQ(Value(p, "bucketwatch_anonymous_requests_total",
                  {{"provider", "s3"}, {"operation", "GetObject"}, {"outcome", "success"}}),
            10);
  EXPECT_EQ(Value(p, "bucketwatch_anonymous_requests_total",
                  {{"provider", "s3"}, {"operation", "GetObject"}, {"outcome", "denied"}}),
            2);
  EXPECT_EQ(Value(p, "bucketwatch_anonymous_served_bytes_total", {{"provider", "s3"}}), 123456);
  EXPECT_EQ(Value(p, "bucketwatch_anonymous_served_bytes_total", {{"provider", "gcs"}}), 0);
  EXPECT_EQ(
      Value(p, "bucketwatch_alerts_total", {{"rule", "anonymous_read"}, {"severity", "high"}}), 2);
  EXPECT_EQ(Value(p, "bucketwatch_alerts_suppressed_total", {{"rule", "anonymous_read"}}), 5);
  EXPECT_EQ(Value(p, "bucketwatch_alerts_total", {{"rule", "other"}, {"severity", "high"}}), 1);
  EXPECT_EQ(
      Value(p, "bucketwatch_sink_queue_depth", {{"sink", "soc_pager"}, {"type", "pagerduty"}}), 4);
  EXPECT_EQ(
      Value(p, "bucketwatch_sink_failures_total", {{"sink", "soc_pager"}, {"type", "pagerduty"}}),
      1);
  EXPECT_EQ(
      Value(p, "bucketwatch_sink_pending_alerts", {{"sink", "soc_pager"}, {"type", "pagerduty"}}),
      6);
  EXPECT_EQ(Value(p, "bucketwatch_sink_queue_overflows_total",
                  {{"sink", "soc_pager"}, {"type", "pagerduty"}}),
            7);
  EXPECT_EQ(Value(p, "bucketwatch_spool_alerts"), 9);
  EXPECT_EQ(Value(p, "bucketwatch_spool_bytes"), 1000);
  EXPECT_EQ(Value(p, "bucketwatch_spool_evicted_total"), 1);
  EXPECT_EQ(Value(p, "bucketwatch_config_reloads_total", {{"result", "failure"}}), 1);
  EXPECT_EQ(Value(p, "bucketwatch_state_saves_total", {{"result", "success"}}), 12);
  EXPECT_EQ(Value(p, "bucketwatch_state_saves_total", {{"result", "failure"}}), 3);
  EXPECT_EQ(Value(p, "bucketwatch_state_windows_left_out_total"), 4);
  EXPECT_EQ(Value(p, "bucketwatch_process_resident_memory_bytes"), 1 << 20);
  EXPECT_EQ(Value(p, "bucketwatch_build_info",
                  {{"version", "0.1.0"}, {"compiler", "gcc 12"}, {"build_type", "Debug"}}),
            1);
}

// Issue 18 item 5: the ledger had no metric; a deleted ledger and lost lines went unseen.
TEST(Exposition, LedgerCounters) {
  SensorSnapshot s;
  s.ledger = {.lines = 41,
              .write_errors = 42,
              .rotations = 43,
              .files_compressed = 44,
              .compress_errors = 45,
              .lines_lost = 46,
              .reopens = 47};
  Parsed p = Parse(RenderText(s));
  EXPECT_EQ(Value(p, "bucketwatch_ledger_lines_total"), 41);
  EXPECT_EQ(Value(p, "bucketwatch_ledger_write_errors_total"), 42);
  EXPECT_EQ(Value(p, "bucketwatch_ledger_rotations_total"), 43);
  EXPECT_EQ(Value(p, "bucketwatch_ledger_compress_errors_total"), 45);
  EXPECT_EQ(Value(p, "bucketwatch_ledger_lines_lost_total"), 46);
  EXPECT_EQ(Value(p, "bucketwatch_ledger_reopens_total"), 47);
  for (const char* name :
       {"bucketwatch_ledger_lines_total", "bucketwatch_ledger_write_errors_total",
        "bucketwatch_ledger_lines_lost_total", "bucketwatch_ledger_reopens_total"}) {
    EXPECT_EQ(p.types[name], "counter") << name;
  }
}

// Issue 18 item 6: leftover temp records of a crash are recovered or removed, and counted.
TEST(Exposition, SpoolLeftoverCounters) {
  SensorSnapshot s;
  s.spool.recovered = 51;
  s.spool.temp_discarded = 52;
  Parsed p = Parse(RenderText(s));
  EXPECT_EQ(Value(p, "bucketwatch_spool_recovered_total"), 51);
  EXPECT_EQ(Value(p, "bucketwatch_spool_temp_discarded_total"), 52);
}

TEST(Exposition, CollectableAsksForAFreshSnapshotEachTime) {
  int calls = 0;
  SnapshotCollectable c([&] {
    SensorSnapshot s;
    s.capture.packets = static_cast<uint64_t>(++calls);
    return s;
  });
  auto first = c.Collect();
  auto second = c.Collect();
  EXPECT_EQ(calls, 2);
  auto packets = [](const std::vector<prometheus::MetricFamily>& fams) {
    for (const auto& f : fams) {
      if (f.name == "bucketwatch_capture_packets_total") return f.metric.at(0).counter.value;
    }
    return -1.0;
  };
  EXPECT_EQ(packets(first), 1);
  EXPECT_EQ(packets(second), 2);
}

// Thousands of distinct buckets, keys and unknown operations end up in a fixed number of series:
// nothing from the traffic becomes a label value.
TEST(Exposition, LabelSetsStayBoundedUnderManyDistinctRequests) {
  StorageRequestCounters counters;
  flow::FlowTableCounters flows;
  for (int i = 0; i < 5000; ++i) {
    storage::StorageEvent e;
    e.provider = static_cast<storage::Provider>(i % 4);
    e.bucket = "bucket-" + std::to_string(i);
    e.account = "account" + std::to_string(i);
    e.key = "secret/key-" + std::to_string(i);
    e.operation = i % 2 ? storage::Operation::kGetObject : storage::Operation::kUnknown;
    e.auth_class = static_cast<storage::AuthClass>(i % 5);
    e.outcome = static_cast<storage::Outcome>(i % 5);
    e.response_bytes = 10;
    counters.Count(e);
  }
  SensorSnapshot s;
  AddWorker(s, {0, 1, 1, &flows, nullptr, nullptr, &counters});
  std::string text = RenderText(s);
  EXPECT_EQ(text.find("bucket-"), std::string::npos);
  EXPECT_EQ(text.find("account1"), std::string::npos);
  EXPECT_EQ(text.find("secret/"), std::string::npos);
  EXPECT_EQ(text.find("\"Op1"), std::string::npos);
  Parsed p = Parse(text);
  size_t storage_series = 0;
  double total = 0;
  for (const auto& smp : p.samples) {
    if (smp.name != "bucketwatch_storage_requests_total") continue;
    ++storage_series;
    total += smp.value;
    EXPECT_TRUE(smp.labels.at("operation") == "GetObject" || smp.labels.at("operation") == "other");
  }
  EXPECT_EQ(total, 5000);
  // 4 providers x 2 operations x 5 auth x 5 outcomes at most.
  EXPECT_LE(storage_series, 4u * 2 * 5 * 5);
}

TEST(Exposition, MetricsListenerCounters) {
  SensorSnapshot s;
  s.metrics_server = {7, 100, 2, 30, 4};
  Parsed p = Parse(RenderText(s));
  EXPECT_EQ(Value(p, "bucketwatch_metrics_connections"), 7);
  const char* dropped = "bucketwatch_metrics_connections_dropped_total";
  EXPECT_EQ(Value(p, dropped, {{"reason", "evicted"}}), 100);
  EXPECT_EQ(Value(p, dropped, {{"reason", "refused"}}), 2);
  EXPECT_EQ(Value(p, dropped, {{"reason", "timeout"}}), 30);
  EXPECT_EQ(Value(p, "bucketwatch_metrics_accept_errors_total"), 4);
  EXPECT_EQ(p.types["bucketwatch_metrics_connections"], "gauge");
  EXPECT_EQ(p.types[dropped], "counter");
}

TEST(Health, PausedCaptureIsUnhealthyOnlyWhenItCannotComeBack) {
  const int64_t s = 1000000000;
  CaptureSnapshot c;
  c.state = CaptureState::kRunning;
  c.started_steady_ns = 10 * s;
  c.heartbeat_steady_ns = 50 * s;
  c.link_down = 1;
  auto down = EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s);
  EXPECT_TRUE(down.healthy);
  EXPECT_EQ(down.reason, "ok (capture paused: link down)");
  c.link_reopen_failures = 3;
  auto stuck = EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s);
  EXPECT_FALSE(stuck.healthy);
  EXPECT_NE(stuck.reason.find("cannot be reopened (3 failed attempts"), std::string::npos);
  c.link_resumed = 1;  // it came back after all
  EXPECT_TRUE(EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s).healthy);
  EXPECT_EQ(EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s).reason, "ok");
}

TEST(Health, AlertsThatCannotBePersistedMakeItUnhealthy) {
  const int64_t s = 1000000000;
  CaptureSnapshot c;
  c.state = CaptureState::kRunning;
  c.started_steady_ns = 10 * s;
  c.heartbeat_steady_ns = 50 * s;
  SpoolSnapshot spool;
  spool.append_failing = true;
  spool.write_errors = 4;
  auto failing = EvaluateHealth(c, spool, 60 * s, 30 * s);
  EXPECT_FALSE(failing.healthy);
  EXPECT_NE(failing.reason.find("alerts cannot be persisted"), std::string::npos) << failing.reason;
  EXPECT_NE(failing.reason.find("4 write errors"), std::string::npos) << failing.reason;
  // The disk took the next alert, but one from before is still only in memory.
  spool.append_failing = false;
  spool.memory_only_held = 1;
  EXPECT_FALSE(EvaluateHealth(c, spool, 60 * s, 30 * s).healthy);
  spool.memory_only_held = 0;  // delivered, and writes work again
  EXPECT_TRUE(EvaluateHealth(c, spool, 60 * s, 30 * s).healthy);
  // Even a finished --read: the alerts of the run are at stake.
  c.state = CaptureState::kFinished;
  spool.append_failing = true;
  EXPECT_FALSE(EvaluateHealth(c, spool, 60 * s, 30 * s).healthy);
}

TEST(Health, Verdicts) {
  const int64_t s = 1000000000;
  CaptureSnapshot c;
  EXPECT_FALSE(EvaluateHealth(c, SpoolSnapshot{}, 100 * s, 30 * s).healthy);
  c.state = CaptureState::kRunning;
  c.started_steady_ns = 10 * s;
  c.heartbeat_steady_ns = 50 * s;
  EXPECT_TRUE(EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s).healthy);
  EXPECT_EQ(EvaluateHealth(c, SpoolSnapshot{}, 60 * s, 30 * s).reason, "ok");
  auto stalled = EvaluateHealth(c, SpoolSnapshot{}, 81 * s, 30 * s);
  EXPECT_FALSE(stalled.healthy);
  EXPECT_NE(stalled.reason.find("stalled"), std::string::npos);
  EXPECT_NE(stalled.reason.find("31 s"), std::string::npos);
  // A packet is as good as a heartbeat.
  c.last_packet_steady_ns = 70 * s;
  EXPECT_TRUE(EvaluateHealth(c, SpoolSnapshot{}, 81 * s, 30 * s).healthy);
  c.state = CaptureState::kFinished;
  EXPECT_TRUE(EvaluateHealth(c, SpoolSnapshot{}, 1000 * s, 30 * s).healthy);
  c.state = CaptureState::kFailed;
  c.error = "interface went down";
  auto failed = EvaluateHealth(c, SpoolSnapshot{}, 71 * s, 30 * s);
  EXPECT_FALSE(failed.healthy);
  EXPECT_NE(failed.reason.find("interface went down"), std::string::npos);
}

}  // namespace
}  // namespace bw::metrics
