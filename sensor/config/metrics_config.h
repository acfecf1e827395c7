#pragma once
// The `metrics:` section of the configuration: where /metrics and /healthz listen and when
// /healthz declares the capture stalled. Every value is finite and range-checked; the default
// listens on the loopback only, so nothing is exposed off the host unless asked for.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

namespace bw::config {

struct MetricsConfig {
  // host:port or [v6]:port of the Prometheus endpoint; "" disables it.
  std::string listen = "127.0.0.1:9580";
  // /healthz answers 503 after this many seconds without a packet or a capture-loop heartbeat.
  uint64_t stall_seconds = 30;
  // Deadline for one scrape connection to send its request and receive the reply.
  uint64_t request_timeout_seconds = 10;
  // Put sensor="<sensor.name>" on every series. Off by default: Prometheus already tells targets
  // apart by `instance` (and a fleet's relabelling or external_labels name them); for a scrape
  // path that loses the target, such as a push gateway or a shared federation job.
  bool sensor_label = false;
};

// Reads `node` (the `metrics:` mapping) into `out`, keeping defaults for absent keys. Throws
// yaml::ConfigError ("metrics.<key>: <reason>") on unknown keys, bad values or a bad address.
void ReadMetricsConfig(const YAML::Node& node, const std::string& path, MetricsConfig& out);
// Writes the section's keys (the caller opens and closes the `metrics` map key).
void DumpMetricsConfig(YAML::Emitter& out, const MetricsConfig& config);

}  // namespace bw::config
