// Replays the detection scenarios recorded from real servers and clients (tests/pcap/detect/*):
// each scenario's events.jsonl (the storage requests the sensor dissected from capture.pcap and
// its TLS flow summaries, see tests/pcap/detect/make_events.py) drives a DetectionEngine, and
// the alerts must be exactly those of expected_alerts.json: per rule, the number of alerts and
// the fields of each, every other rule silent.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sensor/config/yaml_reader.h"
#include "sensor/detect/detection_engine.h"

namespace bw::detect {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path DetectDir() {
  const char* env = std::getenv("BW_SOURCE_DIR");
  return fs::path(env ? env : BW_SOURCE_DIR) / "tests" / "pcap" / "detect";
}

class Collect : public AlertSink {
 public:
  void OnAlert(const Alert& alert) override { alerts.push_back(Json::parse(alert.ToJson())); }
  std::vector<Json> alerts;
};

template <typename E>
E ByName(const std::string& name, std::string_view (*namer)(E), int count) {
  for (int i = 0; i < count; ++i) {
    if (namer(static_cast<E>(i)) == name) return static_cast<E>(i);
  }
  ADD_FAILURE() << "unknown name " << name;
  return static_cast<E>(0);
}

decode::IpAddress Ip(const std::string& text) {
  decode::IpAddress a;
  EXPECT_TRUE(decode::IpAddress::Parse(text, a)) << text;
  return a;
}

void Feed(DetectionEngine& engine, const Json& e) {
  if (e["type"] == "storage") {
    event::RequestContext ctx;
    ctx.start_ts = e["start_ts"];
    ctx.end_ts = e["end_ts"];
    ctx.client_ip = Ip(e["client_ip"]);
    ctx.client_port = e["client_port"];
    ctx.server_ip = Ip(e["server_ip"]);
    ctx.server_port = e["server_port"];
    ctx.community_id = e["community_id"];
    ctx.method = e["method"];
    ctx.status = e["status"];
    ctx.user_agent = e["user_agent"];
    ctx.sni = e["sni"];
    storage::StorageEvent ev;
    ev.provider = ByName<storage::Provider>(e["provider"], storage::ProviderName, 4);
    ev.account = e["account"];
    ev.bucket = e["bucket"];
    ev.key = e["key"];
    ev.operation = storage::OperationFromName(e["operation"].get<std::string>()).value();
    ev.kind = ByName<storage::OperationKind>(e["kind"], storage::OperationKindName, 8);
    ev.auth_class = ByName<storage::AuthClass>(e["auth_class"], storage::AuthClassName, 5);
    ev.outcome = ByName<storage::Outcome>(e["outcome"], storage::OutcomeName, 5);
    ev.error_code = e["error_code"];
    ev.list_keys = e["list_keys"];
    ev.list_truncated = e["list_truncated"];
    if (!ev.key.empty()) ev.sample_keys.push_back(ev.key);
    ev.response_bytes = e["response_bytes"];
    ev.response_body_bytes = e["response_body_bytes"];
    engine.OnStorageEvent(ctx, ev);
    engine.Advance(ctx.end_ts);
  } else {
    event::EncryptedFlowSummary f;
    f.client_ip = Ip(e["client_ip"]);
    f.client_port = e["client_port"];
    f.server_ip = Ip(e["server_ip"]);
    f.server_port = e["server_port"];
    f.community_id = e["community_id"];
    f.server_name = e["server_name"];
    f.first_ts = e["first_ts"];
    f.last_ts = e["last_ts"];
    f.turns = e["turns"];
    f.bytes_to_client = e["bytes_to_client"];
    f.bytes_to_server = e["bytes_to_server"];
    f.final = e["final"];
    engine.OnEncryptedFlow(f);
    engine.Advance(f.last_ts);
  }
}

// "counts.objects" -> alert["counts"]["objects"]; null when absent.
Json Lookup(const Json& alert, const std::string& path) {
  const Json* node = &alert;
  std::stringstream parts(path);
  std::string part;
  // "@timestamp" and the like have no dots; ECS names such as user_agent.original nest.
  while (std::getline(parts, part, '.')) {
    if (!node->is_object() || !node->contains(part)) return Json();
    node = &(*node)[part];
  }
  return *node;
}

bool LoadConfig(const Json& section, config::DetectionConfig& cfg) {
  try {
    config::ReadDetectionConfig(YAML::Load(section.dump()), "detection", cfg);
  } catch (const config::yaml::ConfigError& e) {
    ADD_FAILURE() << e.message;
    return false;
  }
  return true;
}

// Replays events.jsonl through a fresh engine; returns the alerts' JSON objects.
std::vector<Json> Replay(const fs::path& dir, const config::DetectionConfig& cfg, size_t& fed) {
  Collect sink;
  DetectionEngine engine(cfg, sink);
  std::ifstream events(dir / "events.jsonl");
  EXPECT_TRUE(events) << "missing events.jsonl";
  std::string line;
  fed = 0;
  while (std::getline(events, line)) {
    if (line.empty()) continue;
    Feed(engine, Json::parse(line));
    ++fed;
  }
  return sink.alerts;
}

constexpr const char* kRules[] = {"anonymous_list", "anonymous_read", "bucket_enumeration",
                                  "bulk_exfiltration", "new_public_exposure"};

void CheckScenario(const fs::path& dir) {
  SCOPED_TRACE(dir.filename().string());
  std::ifstream expected_file(dir / "expected_alerts.json");
  ASSERT_TRUE(expected_file) << "missing expected_alerts.json";
  Json expected = Json::parse(expected_file);

  config::DetectionConfig cfg;
  if (expected.contains("detection")) {
    ASSERT_TRUE(LoadConfig(expected["detection"], cfg));
  }
  size_t fed = 0;
  std::vector<Json> alerts = Replay(dir, cfg, fed);
  ASSERT_TRUE(expected.contains("events")) << "expected_alerts.json names its event count";
  EXPECT_EQ(fed, expected["events"].get<size_t>());

  // BW_DETECT_DUMP_DIR=D writes D/<scenario>.alerts.jsonl, for check_alerts.py.
  if (const char* dump = std::getenv("BW_DETECT_DUMP_DIR")) {
    std::ofstream out(fs::path(dump) / (dir.filename().string() + ".alerts.jsonl"));
    for (const auto& a : alerts) out << a.dump() << "\n";
  }

  std::map<std::string, std::vector<Json>> by_rule;
  for (const auto& a : alerts) by_rule[a["rule"]].push_back(a);
  const Json& want = expected["expect"];
  for (const char* rule : kRules) {
    SCOPED_TRACE(rule);
    const auto& got = by_rule[rule];
    const Json list = want.contains(rule) ? want[rule] : Json::array();
    ASSERT_EQ(got.size(), list.size()) << "alerts raised: " << Json(got).dump(1);
    for (size_t i = 0; i < list.size(); ++i) {
      const Json fields = list[i].value("fields", Json::object());
      const Json at_least = list[i].value("at_least", Json::object());
      for (const auto& [path, value] : fields.items()) {
        EXPECT_EQ(Lookup(got[i], path), value) << path << " in " << got[i].dump();
      }
      for (const auto& [path, value] : at_least.items()) {
        Json v = Lookup(got[i], path);
        ASSERT_TRUE(v.is_number()) << path << " in " << got[i].dump();
        EXPECT_GE(v.get<double>(), value.get<double>()) << path << " in " << got[i].dump();
      }
    }
  }

  // A control run with another configuration (e.g. without the allowlist that silences the
  // scenario) proves that the configuration, not a blind spot, is what kept it quiet.
  if (expected.contains("control")) {
    SCOPED_TRACE("control");
    const Json& control = expected["control"];
    config::DetectionConfig control_cfg;
    if (control.contains("detection")) {
      ASSERT_TRUE(LoadConfig(control["detection"], control_cfg));
    }
    std::vector<Json> control_alerts = Replay(dir, control_cfg, fed);
    for (const char* rule : kRules) {
      size_t n = std::count_if(control_alerts.begin(), control_alerts.end(),
                               [&](const Json& a) { return a["rule"] == rule; });
      EXPECT_EQ(n, control["counts"].value(rule, 0u)) << rule;
    }
  }
}

TEST(ScenarioReplay, EveryRecordedScenarioRaisesExactlyItsExpectedAlerts) {
  size_t scenarios = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(DetectDir())) {
    if (entry.is_directory() && fs::exists(entry.path() / "expected_alerts.json")) {
      dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    CheckScenario(dir);
    ++scenarios;
  }
  EXPECT_GE(scenarios, 7u);
}

}  // namespace
}  // namespace bw::detect
