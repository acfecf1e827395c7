#include "sensor/config/tls_config.h"

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

constexpr uint64_t kMaxKeyWaitMs = 600'000;  // ten minutes: a key later than that is lost
constexpr uint64_t kMinWaitBufferBytes = 4096;
constexpr uint64_t kMaxWaitBufferBytes = 64ull << 20;
constexpr uint64_t kMinKeys = 16;
constexpr uint64_t kMaxKeys = 1ull << 20;  // ~600 MB of keys: more than a sensor decrypts at once

std::string CheckedPath(const YAML::Node& item, const std::string& item_path) {
  if (!item.IsScalar() || item.Scalar().empty()) {
    yaml::Fail(item_path, "expected a non-empty path");
  }
  const std::string& text = item.Scalar();
  if (text.size() > kMaxKeyLogPathBytes) {
    yaml::Fail(item_path, "at most " + std::to_string(kMaxKeyLogPathBytes) + " bytes, got " +
                              std::to_string(text.size()));
  }
  if (text.find('\0') != std::string::npos) yaml::Fail(item_path, "a path has no NUL byte");
  return text;
}

void ReadKeyLogPaths(yaml::MapReader& r, std::vector<std::string>& out) {
  YAML::Node node = r.Child("keylog");
  if (!node) return;
  const std::string path = r.ChildPath("keylog");
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (node.IsScalar()) {
    out = {CheckedPath(node, path)};
    return;
  }
  if (!node.IsSequence()) yaml::Fail(path, "expected a path or a list of paths");
  if (node.size() > kMaxKeyLogPaths) {
    yaml::Fail(path, "at most " + std::to_string(kMaxKeyLogPaths) + " paths, got " +
                         std::to_string(node.size()));
  }
  std::vector<std::string> paths;
  for (size_t i = 0; i < node.size(); ++i) {
    paths.push_back(CheckedPath(node[i], path + "[" + std::to_string(i) + "]"));
  }
  out = std::move(paths);
}

}  // namespace

void ReadTlsConfig(const YAML::Node& node, const std::string& path, TlsConfig& out) {
  yaml::MapReader r(node, path);
  ReadKeyLogPaths(r, out.keylog);
  uint64_t wait_ms = static_cast<uint64_t>(out.key_wait / (kNsPerSecond / 1000));
  r.Uint("key_wait_ms", wait_ms, 1, kMaxKeyWaitMs);
  out.key_wait = static_cast<TimestampNs>(wait_ms) * (kNsPerSecond / 1000);
  r.Uint("wait_buffer_bytes", out.wait_buffer_bytes, kMinWaitBufferBytes, kMaxWaitBufferBytes);
  r.Uint("max_keys", out.max_keys, kMinKeys, kMaxKeys);
  r.Bool("keylog_allow_insecure_permissions", out.keylog_allow_insecure_permissions);
}

void DumpTlsConfig(YAML::Emitter& out, const TlsConfig& c) {
  out << YAML::Key << "keylog" << YAML::Value << YAML::BeginSeq;
  for (const std::string& p : c.keylog) out << YAML::DoubleQuoted << p;
  out << YAML::EndSeq;
  out << YAML::Key << "key_wait_ms" << YAML::Value
      << static_cast<uint64_t>(c.key_wait / (kNsPerSecond / 1000));
  out << YAML::Key << "wait_buffer_bytes" << YAML::Value << c.wait_buffer_bytes;
  out << YAML::Key << "max_keys" << YAML::Value << c.max_keys;
  out << YAML::Key << "keylog_allow_insecure_permissions" << YAML::Value
      << c.keylog_allow_insecure_permissions;
}

}  // namespace bw::config
