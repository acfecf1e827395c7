#include "sensor/config/reload_scope.h"

#include <yaml-cpp/yaml.h>

#include <string_view>

namespace bw::config {

namespace {

// Whole sections and single keys that a running sensor cannot take over. A section listed here
// is compared key by key, so the message names what changed.
constexpr std::string_view kRestartOnly[] = {
    "sensor",
    "capture",
    "privileges",
    "workers",
    "memory_cap_mib",
    "cpu_affinity",
    "decode",
    "flows",
    "reassembly",
    "classify",
    "http",
    "tls",
    "state",
    "output",
    "metrics",
    "alerting.spool_dir",
    "ledger.hash_chain",
    "ledger.clickhouse",
    "detection.memory_mib",
};
// Applied by a reload (sensor/pipeline/sensor.cc Reload), in configuration order.
constexpr std::string_view kReloadable[] = {"storage", "detection", "alerting", "ledger", "log"};

// yaml-cpp's assignment writes through to the node it refers to: reset() rebinds instead, and
// lookups go through a const node so that a missing key is not inserted.
YAML::Node At(const YAML::Node& root, std::string_view path) {
  YAML::Node node;
  node.reset(root);
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? path.npos : dot - start));
    if (!node.IsMap()) return YAML::Node();
    const YAML::Node& parent = node;
    YAML::Node child = parent[key];
    if (!child) return YAML::Node();
    node.reset(child);
    if (dot == std::string_view::npos) return node;
    start = dot + 1;
  }
}

std::string Text(const YAML::Node& node) { return node ? YAML::Dump(node) : std::string(); }

void Differences(const YAML::Node& a, const YAML::Node& b, const std::string& path,
                 std::vector<std::string>& out) {
  if (a.IsMap() && b.IsMap()) {
    for (const auto& kv : a) {
      const std::string key = kv.first.Scalar();
      Differences(kv.second, b[key], path + "." + key, out);
    }
    return;
  }
  if (Text(a) != Text(b)) out.push_back(path);
}

}  // namespace

ReloadChanges CompareForReload(const Config& running, const Config& next) {
  const YAML::Node a = YAML::Load(DumpConfig(running));
  const YAML::Node b = YAML::Load(DumpConfig(next));
  ReloadChanges out;
  for (std::string_view path : kRestartOnly) {
    Differences(At(a, path), At(b, path), std::string(path), out.restart_only);
  }
  for (std::string_view path : kReloadable) {
    if (Text(At(a, path)) != Text(At(b, path))) out.reloadable.emplace_back(path);
  }
  return out;
}

}  // namespace bw::config
