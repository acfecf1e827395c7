#include "sensor/config/detection_config.h"

#include <charconv>
#include <set>

#include "sensor/config/yaml_reader.h"

namespace bw::config {

namespace {

// A severity name becomes the enum here, at load: a bad name is a config error naming the key,
// and nothing downstream handles names.
void ReadSeverity(yaml::MapReader& r, const std::string& key, Severity& out) {
  static const std::set<std::string> choices(kSeverityNames.begin(), kSeverityNames.end());
  std::string name = SeverityName(out);
  r.Choice(key, name, choices);
  SeverityFromName(name, out);  // Choice admitted only names of the table
}

constexpr uint64_t kMaxSeconds = 30ull * 86400;  // a month: windows stay finite
constexpr uint64_t kMaxEntries = 100'000'000;
constexpr uint64_t kMaxLearningSeconds = 366ull * 86400;  // a year of learning at most

// The allowlists are scanned entry by entry for each request (detect/allowlist.cc), so their
// length is a cost per request as well as memory: bounded, and documented in README.md.
constexpr size_t kMaxTrustedCidrs = 16384;  // a cloud provider's published ranges fit
constexpr size_t kMaxPublicBuckets = 4096;
constexpr size_t kMaxCrawlerUserAgents = 1024;
constexpr size_t kMaxListEntryBytes = 512;

void ReadRatio(yaml::MapReader& r, const std::string& key, double& out) {
  std::string text;
  r.String(key, text);
  if (text.empty()) return;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    yaml::Fail(r.ChildPath(key), "expected a number between 0 and 1, got " + yaml::Quote(text));
  }
  if (!(value >= 0.0 && value <= 1.0)) {
    yaml::Fail(r.ChildPath(key), "must be between 0 and 1, got " + text);
  }
  out = value;
}

void ReadStringList(yaml::MapReader& r, const std::string& key, size_t max_entries,
                    std::vector<std::string>& out) {
  YAML::Node node = r.Child(key);
  if (!node) return;
  std::string path = r.ChildPath(key);
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (!node.IsSequence()) yaml::Fail(path, "expected a list");
  if (node.size() > max_entries) {
    yaml::Fail(path, "at most " + std::to_string(max_entries) + " entries, got " +
                         std::to_string(node.size()));
  }
  std::vector<std::string> values;
  values.reserve(node.size());
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!node[i].IsScalar() || node[i].Scalar().empty()) {
      yaml::Fail(item_path, "expected a non-empty string");
    }
    if (node[i].Scalar().size() > kMaxListEntryBytes) {
      yaml::Fail(item_path, "at most " + std::to_string(kMaxListEntryBytes) + " bytes, got " +
                                std::to_string(node[i].Scalar().size()));
    }
    values.push_back(node[i].Scalar());
  }
  out = std::move(values);
}

// "provider/account/bucket": three parts, the provider a known name or a glob.
bool ValidPublicBucket(const std::string& pattern) {
  size_t first = pattern.find('/');
  if (first == std::string::npos) return false;
  size_t second = pattern.find('/', first + 1);
  if (second == std::string::npos) return false;
  if (pattern.find('/', second + 1) != std::string::npos) return false;
  std::string provider = pattern.substr(0, first);
  if (provider.empty() || second + 1 >= pattern.size()) return false;
  if (provider.find_first_of("*?") != std::string::npos) return true;
  return provider == "s3" || provider == "s3_compatible" || provider == "azure_blob" ||
         provider == "gcs";
}

void EmitStringList(YAML::Emitter& e, const char* key, const std::vector<std::string>& values) {
  e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : values) e << v;
  e << YAML::EndSeq;
}

// A sub-section left out (or written empty) keeps its current values.
bool Present(const YAML::Node& node) { return node && !node.IsNull(); }

uint64_t Secs(TimestampNs ns) { return static_cast<uint64_t>(ns / kNsPerSecond); }

}  // namespace

bool ParseCidr(const std::string& text, decode::IpAddress& address, uint8_t& prefix) {
  size_t slash = text.find('/');
  std::string addr_text = text.substr(0, slash);
  if (!decode::IpAddress::Parse(addr_text, address)) return false;
  unsigned max_prefix = address.family == 4 ? 32 : 128;
  if (slash == std::string::npos) {
    prefix = static_cast<uint8_t>(max_prefix);
    return true;
  }
  std::string p = text.substr(slash + 1);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value > max_prefix) {
    return false;
  }
  prefix = static_cast<uint8_t>(value);
  return true;
}

void ReadDetectionConfig(const YAML::Node& node, const std::string& path, DetectionConfig& out) {
  yaml::MapReader r(node, path);
  r.Bool("enabled", out.enabled);
  r.Uint("max_tracked_keys", out.max_tracked_keys, 1, kMaxEntries);
  r.Uint("max_clients", out.max_clients, 1, kMaxEntries);
  r.Uint("max_dedup_keys", out.max_dedup_keys, 1, kMaxEntries);
  r.Uint("max_encrypted_flows", out.max_encrypted_flows, 1, kMaxEntries);
  r.Uint("max_distinct", out.max_distinct, 1, 1'000'000);
  r.Uint("max_distinct_total", out.max_distinct_total, 1, kMaxEntries);
  uint64_t memory_mib = out.memory_bytes >> 20;
  r.Uint("memory_mib", memory_mib, 4, 1ull << 20);
  out.memory_bytes = memory_mib << 20;
  r.Uint("sample_keys", out.sample_keys, 0, 20);  // Alert holds at most 20

  if (YAML::Node child = r.Child("anonymous_list"); Present(child)) {
    auto& c = out.anonymous_list;
    yaml::MapReader s(child, r.ChildPath("anonymous_list"));
    s.Bool("enabled", c.enabled);
    ReadSeverity(s, "severity", c.severity);
    s.Seconds("dedup_seconds", c.dedup_window, 1, kMaxSeconds);
  }
  if (YAML::Node child = r.Child("anonymous_read"); Present(child)) {
    auto& c = out.anonymous_read;
    yaml::MapReader s(child, r.ChildPath("anonymous_read"));
    s.Bool("enabled", c.enabled);
    ReadSeverity(s, "severity", c.severity);
    s.Seconds("dedup_seconds", c.dedup_window, 1, kMaxSeconds);
  }
  if (YAML::Node child = r.Child("bucket_enumeration"); Present(child)) {
    auto& c = out.bucket_enumeration;
    yaml::MapReader s(child, r.ChildPath("bucket_enumeration"));
    s.Bool("enabled", c.enabled);
    ReadSeverity(s, "severity", c.severity);
    s.Seconds("window_seconds", c.window, 1, kMaxSeconds);
    s.Uint("min_buckets", c.min_buckets, 1, 1'000'000);
    ReadRatio(s, "min_failure_ratio", c.min_failure_ratio);
    s.Seconds("dedup_seconds", c.dedup_window, 1, kMaxSeconds);
  }
  if (YAML::Node child = r.Child("bulk_exfiltration"); Present(child)) {
    auto& c = out.bulk_exfiltration;
    yaml::MapReader s(child, r.ChildPath("bulk_exfiltration"));
    s.Bool("enabled", c.enabled);
    ReadSeverity(s, "severity", c.severity);
    s.Seconds("window_seconds", c.window, 1, kMaxSeconds);
    s.Uint("min_objects", c.min_objects, 1, UINT64_MAX);
    s.Uint("min_bytes", c.min_bytes, 1, UINT64_MAX);
    s.Seconds("dedup_seconds", c.dedup_window, 1, kMaxSeconds);
  }
  if (YAML::Node child = r.Child("new_public_exposure"); Present(child)) {
    auto& c = out.new_public_exposure;
    yaml::MapReader s(child, r.ChildPath("new_public_exposure"));
    s.Bool("enabled", c.enabled);
    ReadSeverity(s, "severity", c.severity);
    s.Uint("max_buckets", c.max_buckets, 1, kMaxEntries);
    s.Seconds("learning_seconds", c.learning_period, 0, kMaxLearningSeconds);
    s.Seconds("dedup_seconds", c.dedup_window, 1, kMaxSeconds);
  }
  if (YAML::Node child = r.Child("allowlist"); Present(child)) {
    auto& c = out.allowlist;
    yaml::MapReader s(child, r.ChildPath("allowlist"));
    ReadStringList(s, "trusted_cidrs", kMaxTrustedCidrs, c.trusted_cidrs);
    for (size_t i = 0; i < c.trusted_cidrs.size(); ++i) {
      decode::IpAddress a;
      uint8_t prefix = 0;
      if (!ParseCidr(c.trusted_cidrs[i], a, prefix)) {
        yaml::Fail(s.ChildPath("trusted_cidrs") + "[" + std::to_string(i) + "]",
                   "expected an IPv4/IPv6 address or CIDR, got " + yaml::Quote(c.trusted_cidrs[i]));
      }
    }
    ReadStringList(s, "public_buckets", kMaxPublicBuckets, c.public_buckets);
    for (size_t i = 0; i < c.public_buckets.size(); ++i) {
      if (!ValidPublicBucket(c.public_buckets[i])) {
        yaml::Fail(s.ChildPath("public_buckets") + "[" + std::to_string(i) + "]",
                   "expected provider/account/bucket (provider s3, s3_compatible, azure_blob, "
                   "gcs or a glob; account may be empty or *), got " +
                       yaml::Quote(c.public_buckets[i]));
      }
    }
    ReadStringList(s, "crawler_user_agents", kMaxCrawlerUserAgents, c.crawler_user_agents);
  }
}

void DumpDetectionConfig(YAML::Emitter& e, const DetectionConfig& c) {
  e << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.enabled;
  e << YAML::Key << "max_tracked_keys" << YAML::Value << c.max_tracked_keys;
  e << YAML::Key << "max_clients" << YAML::Value << c.max_clients;
  e << YAML::Key << "max_dedup_keys" << YAML::Value << c.max_dedup_keys;
  e << YAML::Key << "max_encrypted_flows" << YAML::Value << c.max_encrypted_flows;
  e << YAML::Key << "max_distinct" << YAML::Value << c.max_distinct;
  e << YAML::Key << "max_distinct_total" << YAML::Value << c.max_distinct_total;
  e << YAML::Key << "memory_mib" << YAML::Value << (c.memory_bytes >> 20);
  e << YAML::Key << "sample_keys" << YAML::Value << c.sample_keys;

  e << YAML::Key << "anonymous_list" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.anonymous_list.enabled;
  e << YAML::Key << "severity" << YAML::Value << SeverityName(c.anonymous_list.severity);
  e << YAML::Key << "dedup_seconds" << YAML::Value << Secs(c.anonymous_list.dedup_window);
  e << YAML::EndMap;

  e << YAML::Key << "anonymous_read" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.anonymous_read.enabled;
  e << YAML::Key << "severity" << YAML::Value << SeverityName(c.anonymous_read.severity);
  e << YAML::Key << "dedup_seconds" << YAML::Value << Secs(c.anonymous_read.dedup_window);
  e << YAML::EndMap;

  const auto& be = c.bucket_enumeration;
  e << YAML::Key << "bucket_enumeration" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << be.enabled;
  e << YAML::Key << "severity" << YAML::Value << SeverityName(be.severity);
  e << YAML::Key << "window_seconds" << YAML::Value << Secs(be.window);
  e << YAML::Key << "min_buckets" << YAML::Value << be.min_buckets;
  e << YAML::Key << "min_failure_ratio" << YAML::Value << be.min_failure_ratio;
  e << YAML::Key << "dedup_seconds" << YAML::Value << Secs(be.dedup_window);
  e << YAML::EndMap;

  const auto& bx = c.bulk_exfiltration;
  e << YAML::Key << "bulk_exfiltration" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << bx.enabled;
  e << YAML::Key << "severity" << YAML::Value << SeverityName(bx.severity);
  e << YAML::Key << "window_seconds" << YAML::Value << Secs(bx.window);
  e << YAML::Key << "min_objects" << YAML::Value << bx.min_objects;
  e << YAML::Key << "min_bytes" << YAML::Value << bx.min_bytes;
  e << YAML::Key << "dedup_seconds" << YAML::Value << Secs(bx.dedup_window);
  e << YAML::EndMap;

  const auto& np = c.new_public_exposure;
  e << YAML::Key << "new_public_exposure" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << np.enabled;
  e << YAML::Key << "severity" << YAML::Value << SeverityName(np.severity);
  e << YAML::Key << "max_buckets" << YAML::Value << np.max_buckets;
  e << YAML::Key << "learning_seconds" << YAML::Value << Secs(np.learning_period);
  e << YAML::Key << "dedup_seconds" << YAML::Value << Secs(np.dedup_window);
  e << YAML::EndMap;

  e << YAML::Key << "allowlist" << YAML::Value << YAML::BeginMap;
  EmitStringList(e, "trusted_cidrs", c.allowlist.trusted_cidrs);
  EmitStringList(e, "public_buckets", c.allowlist.public_buckets);
  EmitStringList(e, "crawler_user_agents", c.allowlist.crawler_user_agents);
  e << YAML::EndMap;
  e << YAML::EndMap;
}

}  // namespace bw::config
