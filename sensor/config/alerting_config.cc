#include "sensor/config/alerting_config.h"

#include <set>

#include "sensor/config/http_url.h"
#include "sensor/config/yaml_reader.h"

namespace bw::config {

namespace {
constexpr uint64_t kMaxSinks = 32;
constexpr uint64_t kMaxHeaders = 64;  // per sink
constexpr uint64_t kMaxTimeoutMs = 10 * 60 * 1000;
constexpr uint64_t kMaxBackoffMs = 24ull * 3600 * 1000;
constexpr uint64_t kMaxQueue = 1000000;
constexpr uint64_t kMaxSpoolAlerts = 100000000;
constexpr uint64_t kMinSpoolBytes = 64 * 1024;
constexpr uint64_t kMaxSpoolBytes = 1ull << 40;
constexpr const char* kRedacted = "<redacted>";

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ValidHeaderToken(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}

bool ValidHeaderValue(const std::string& s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsHttpType(const std::string& type) { return type != "syslog"; }

void ReadHeaders(const YAML::Node& node, const std::string& path,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) yaml::Fail(path, "expected a mapping of header name to value");
  if (node.size() > kMaxHeaders) {
    yaml::Fail(path, "at most " + std::to_string(kMaxHeaders) + " headers, got " +
                         std::to_string(node.size()));
  }
  out.clear();
  for (const auto& kv : node) {
    auto name = kv.first.as<std::string>();
    if (!ValidHeaderToken(name)) yaml::Fail(yaml::Join(path, name), "invalid header name");
    if (!kv.second.IsScalar()) yaml::Fail(yaml::Join(path, name), "expected a single value");
    auto value = kv.second.Scalar();
    if (!ValidHeaderValue(value)) yaml::Fail(yaml::Join(path, name), "invalid header value");
    out.emplace_back(name, value);
  }
}

// The labels FormatAlertmanager sets from each alert: static labels may not shadow them.
constexpr const char* kPerAlertLabels[] = {"alertname", "severity", "rule",      "provider",
                                           "account",   "bucket",   "source_ip", "auth_class",
                                           "encrypted", "sensor"};
constexpr size_t kMaxStaticLabels = 16;
constexpr size_t kMaxLabelValue = 256;

bool ValidLabelName(const std::string& s) {
  if (s.empty() || s.rfind("__", 0) == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void ReadLabels(const YAML::Node& node, const std::string& path,
                std::vector<std::pair<std::string, std::string>>& out) {
  if (!node) return;
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (!node.IsMap()) yaml::Fail(path, "expected a mapping of label name to value");
  if (node.size() > kMaxStaticLabels) {
    yaml::Fail(path, "at most " + std::to_string(kMaxStaticLabels) + " labels");
  }
  out.clear();
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) yaml::Fail(path, "label names must be plain strings");
    auto name = kv.first.Scalar();
    const std::string at = yaml::Join(path, name);
    if (!ValidLabelName(name)) {
      yaml::Fail(at, "invalid label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
    }
    for (const char* own : kPerAlertLabels) {
      if (name == own) yaml::Fail(at, "set by the sink from each alert; choose another name");
    }
    if (!kv.second.IsScalar() || kv.second.Scalar().empty() ||
        kv.second.Scalar().size() > kMaxLabelValue || !ValidHeaderValue(kv.second.Scalar())) {
      yaml::Fail(at, "expected a value of 1-" + std::to_string(kMaxLabelValue) +
                         " characters without line breaks");
    }
    out.emplace_back(name, kv.second.Scalar());
  }
}

void ReadSink(const YAML::Node& node, const std::string& path, SinkConfig& s) {
  yaml::MapReader r(node, path);
  r.String("name", s.name);
  r.Choice("type", s.type, {"webhook", "alertmanager", "pagerduty", "slack", "syslog"});
  r.String("url", s.url);
  r.String("ca_file", s.ca_file);
  ReadHeaders(r.Child("headers"), r.ChildPath("headers"), s.headers);
  r.String("hmac_key", s.hmac_key);
  r.String("hmac_header", s.hmac_header);
  r.String("routing_key", s.routing_key);
  r.Uint("resolve_timeout_seconds", s.resolve_timeout_seconds, 60, 30ull * 86400);
  r.String("generator_url", s.generator_url);
  ReadLabels(r.Child("labels"), r.ChildPath("labels"), s.labels);
  r.String("host", s.host);
  r.Uint("port", s.port, 1, 65535);
  r.Choice("transport", s.transport, {"udp", "tcp"});
  r.Uint("facility", s.facility, 0, 23);
  r.String("hostname", s.hostname);
  r.Uint("timeout_ms", s.timeout_ms, 100, kMaxTimeoutMs);
  r.Uint("initial_backoff_ms", s.initial_backoff_ms, 10, kMaxBackoffMs);
  r.Uint("max_backoff_ms", s.max_backoff_ms, 10, kMaxBackoffMs);
  r.Uint("queue_capacity", s.queue_capacity, 1, kMaxQueue);

  if (!ValidName(s.name)) {
    yaml::Fail(yaml::Join(path, "name"), "required, 1-32 characters of A-Z a-z 0-9 _ -");
  }
  if (s.max_backoff_ms < s.initial_backoff_ms) {
    yaml::Fail(yaml::Join(path, "max_backoff_ms"), "must not be below initial_backoff_ms");
  }
  if (!ValidHeaderToken(s.hmac_header)) {
    yaml::Fail(yaml::Join(path, "hmac_header"), "invalid header name");
  }
  if (IsHttpType(s.type)) {
    if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
      yaml::Fail(yaml::Join(path, "url"),
                 "required for a " + s.type + " sink, an http:// or https:// URL");
    }
    // The sinks parse it again at start: a URL they would refuse is a config error here, so
    // --check-config catches it. Not echoed: webhook URLs carry tokens.
    if (HttpUrl parsed; !ParseHttpUrl(s.url, parsed)) {
      yaml::Fail(yaml::Join(path, "url"),
                 "malformed, expected http[s]://host[:port][/path][?query] without user "
                 "info (the value is not shown, it may hold a token)");
    }
  } else if (s.host.empty()) {
    yaml::Fail(yaml::Join(path, "host"), "required for a syslog sink");
  }
  if (s.type == "pagerduty" && s.routing_key.empty()) {
    yaml::Fail(yaml::Join(path, "routing_key"), "required for a pagerduty sink");
  }
}

// Keeps scheme://authority, and the path unless it may be a credential (Slack
// webhook paths are the token); the query is always dropped (tokens and
// SAS-like secrets live there).
std::string RedactUrl(const std::string& url, bool path_is_secret) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return kRedacted;
  auto path_start = url.find('/', scheme_end + 3);
  std::string authority = url.substr(0, path_start);
  auto at = authority.find('@', scheme_end + 3);
  if (at != std::string::npos) authority = url.substr(0, scheme_end + 3) + authority.substr(at + 1);
  if (path_start == std::string::npos) return authority;
  if (path_is_secret) return authority + "/" + kRedacted;
  auto path_end = url.find_first_of("?#", path_start);
  return authority + url.substr(path_start, path_end - path_start);
}

}  // namespace

void ReadAlertingConfig(const YAML::Node& node, const std::string& path, AlertingConfig& out) {
  yaml::MapReader r(node, path);
  r.String("spool_dir", out.spool_dir);
  r.Uint("spool_max_alerts", out.spool_max_alerts, 1, kMaxSpoolAlerts);
  r.Uint("spool_max_bytes", out.spool_max_bytes, kMinSpoolBytes, kMaxSpoolBytes);
  r.Uint("drain_timeout_ms", out.drain_timeout_ms, 0, kMaxTimeoutMs);
  if (out.spool_dir.empty()) yaml::Fail(r.ChildPath("spool_dir"), "must not be empty");
  auto sinks = r.Child("sinks");
  auto sinks_path = r.ChildPath("sinks");
  if (!sinks) return;
  if (sinks.IsNull()) {
    out.sinks.clear();
    return;
  }
  if (!sinks.IsSequence()) yaml::Fail(sinks_path, "expected a list of sinks");
  if (sinks.size() > kMaxSinks) {
    yaml::Fail(sinks_path, "at most " + std::to_string(kMaxSinks) + " sinks");
  }
  std::vector<SinkConfig> result;
  std::set<std::string> names;
  for (size_t i = 0; i < sinks.size(); ++i) {
    auto item_path = sinks_path + "[" + std::to_string(i) + "]";
    SinkConfig s;
    ReadSink(sinks[i], item_path, s);
    if (!names.insert(s.name).second) {
      yaml::Fail(yaml::Join(item_path, "name"), "duplicate sink name " + yaml::Quote(s.name));
    }
    result.push_back(std::move(s));
  }
  out.sinks = std::move(result);
}

void DumpAlertingConfig(YAML::Emitter& e, const AlertingConfig& c) {
  auto secret = [](const std::string& v) { return v.empty() ? std::string() : kRedacted; };
  e << YAML::Key << "spool_dir" << YAML::Value << c.spool_dir;
  e << YAML::Key << "spool_max_alerts" << YAML::Value << c.spool_max_alerts;
  e << YAML::Key << "spool_max_bytes" << YAML::Value << c.spool_max_bytes;
  e << YAML::Key << "drain_timeout_ms" << YAML::Value << c.drain_timeout_ms;
  e << YAML::Key << "sinks" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : c.sinks) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << s.name;
    e << YAML::Key << "type" << YAML::Value << s.type;
    if (IsHttpType(s.type)) {
      e << YAML::Key << "url" << YAML::Value << RedactUrl(s.url, s.type == "slack");
      e << YAML::Key << "ca_file" << YAML::Value << YAML::DoubleQuoted << s.ca_file;
      e << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : s.headers) e << YAML::Key << k << YAML::Value << kRedacted;
      e << YAML::EndMap;
    }
    if (s.type == "webhook") {
      e << YAML::Key << "hmac_key" << YAML::Value << YAML::DoubleQuoted << secret(s.hmac_key);
      e << YAML::Key << "hmac_header" << YAML::Value << s.hmac_header;
    }
    if (s.type == "pagerduty") {
      e << YAML::Key << "routing_key" << YAML::Value << secret(s.routing_key);
    }
    if (s.type == "alertmanager") {
      e << YAML::Key << "resolve_timeout_seconds" << YAML::Value << s.resolve_timeout_seconds;
      e << YAML::Key << "generator_url" << YAML::Value << YAML::DoubleQuoted << s.generator_url;
      e << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : s.labels) e << YAML::Key << k << YAML::Value << v;
      e << YAML::EndMap;
    }
    if (s.type == "syslog") {
      e << YAML::Key << "host" << YAML::Value << s.host;
      e << YAML::Key << "port" << YAML::Value << s.port;
      e << YAML::Key << "transport" << YAML::Value << s.transport;
      e << YAML::Key << "facility" << YAML::Value << s.facility;
      e << YAML::Key << "hostname" << YAML::Value << YAML::DoubleQuoted << s.hostname;
    }
    e << YAML::Key << "timeout_ms" << YAML::Value << s.timeout_ms;
    e << YAML::Key << "initial_backoff_ms" << YAML::Value << s.initial_backoff_ms;
    e << YAML::Key << "max_backoff_ms" << YAML::Value << s.max_backoff_ms;
    e << YAML::Key << "queue_capacity" << YAML::Value << s.queue_capacity;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

}  // namespace bw::config
