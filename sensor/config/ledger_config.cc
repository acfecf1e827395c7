#include "sensor/config/ledger_config.h"

#include "sensor/config/yaml_reader.h"

namespace bw::config {

namespace {
constexpr uint64_t kMinRotateBytes = 1ull << 20;  // 1 MiB: smaller files only add overhead
constexpr uint64_t kMaxRotateBytes = 1ull << 40;  // 1 TiB
constexpr uint64_t kMinRotateSeconds = 60;
constexpr uint64_t kMaxRotateSeconds = 366ull * 86400;
}  // namespace

void ReadLedgerConfig(const YAML::Node& node, const std::string& path, LedgerConfig& out) {
  yaml::MapReader r(node, path);
  r.Uint("rotate_bytes", out.rotate_bytes, kMinRotateBytes, kMaxRotateBytes);
  r.Seconds("rotate_seconds", out.rotate_interval, kMinRotateSeconds, kMaxRotateSeconds);
  r.Choice("compression", out.compression, {"gzip", "none"});
  r.Bool("hash_chain", out.hash_chain);
}

void DumpLedgerConfig(YAML::Emitter& e, const LedgerConfig& c) {
  e << YAML::Key << "rotate_bytes" << YAML::Value << c.rotate_bytes;
  e << YAML::Key << "rotate_seconds" << YAML::Value
    << static_cast<uint64_t>(c.rotate_interval / kNsPerSecond);
  e << YAML::Key << "compression" << YAML::Value << c.compression;
  e << YAML::Key << "hash_chain" << YAML::Value << c.hash_chain;
}

}  // namespace bw::config
