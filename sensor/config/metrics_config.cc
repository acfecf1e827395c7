#include "sensor/config/metrics_config.h"

#include <charconv>

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

// The same syntax MetricsServer accepts; checked here so a bad address fails at config load
// (and on SIGHUP) with the key path, not later when the listener starts. Kept free of Boost so
// the config library stays light: the address itself is validated by MetricsServer::Start.
bool PlausibleListen(const std::string& text, std::string& reason) {
  if (text.empty()) return true;
  std::string_view t = text;
  std::string_view host, port;
  if (t.starts_with("[")) {
    size_t close = t.find(']');
    if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':') {
      reason = "expected [IPv6]:PORT";
      return false;
    }
    host = t.substr(1, close - 1);
    port = t.substr(close + 2);
  } else {
    size_t colon = t.rfind(':');
    if (colon == std::string_view::npos || t.find(':') != colon) {
      reason = "expected HOST:PORT or [IPv6]:PORT";
      return false;
    }
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
  }
  if (host.empty()) {
    reason = "missing host (use 0.0.0.0 or [::] to listen on every address)";
    return false;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    reason = "bad port";
    return false;
  }
  return true;
}

}  // namespace

void ReadMetricsConfig(const YAML::Node& node, const std::string& path, MetricsConfig& out) {
  yaml::MapReader m(node, path);
  m.String("listen", out.listen);
  std::string reason;
  if (!PlausibleListen(out.listen, reason)) {
    yaml::Fail(yaml::Join(path, "listen"), reason + ", got " + yaml::Quote(out.listen));
  }
  m.Uint("stall_seconds", out.stall_seconds, 1, 86400);
  m.Uint("request_timeout_seconds", out.request_timeout_seconds, 1, 300);
  m.Bool("sensor_label", out.sensor_label);
}

void DumpMetricsConfig(YAML::Emitter& out, const MetricsConfig& config) {
  out << YAML::Key << "listen" << YAML::Value << YAML::DoubleQuoted << config.listen;
  out << YAML::Key << "stall_seconds" << YAML::Value << config.stall_seconds;
  out << YAML::Key << "request_timeout_seconds" << YAML::Value << config.request_timeout_seconds;
  out << YAML::Key << "sensor_label" << YAML::Value << config.sensor_label;
}

}  // namespace bw::config
