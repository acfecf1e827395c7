#pragma once
// The sensor's whole configuration as typed values. A Config only exists fully validated:
// LoadConfig() starts from the embedded default (config/bucketwatch.yaml), overlays a file and
// `--set` overrides, and rejects unknown keys and bad values with the key path and the reason.

#include <cstdint>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/config/alerting_config.h"
#include "sensor/config/detection_config.h"
#include "sensor/config/ledger_config.h"
#include "sensor/config/metrics_config.h"
#include "sensor/config/tls_config.h"

namespace bw::config {

struct EndpointConfig {
  std::string host;
  int port = 0;
  std::string provider = "s3_compatible";  // s3, s3_compatible, azure_blob, gcs
  bool virtual_hosted = false;
};

struct Config {
  // Who this sensor is in a fleet (issue 20): ledger lines and alerts carry it as ECS
  // observer.name (event/observer.h). Empty: the host name.
  struct Sensor {
    std::string name;
  } sensor;

  struct Capture {
    uint32_t snaplen = 262144;
    bool promiscuous = true;
    uint32_t buffer_mib = 256;
    bool immediate = false;
    std::string bpf;
  } capture;

  struct Privileges {
    // Keep CAP_NET_RAW (permitted, not effective) after --user so a deleted and re-created
    // interface can be reopened.
    bool keep_net_raw = false;
  } privileges;

  uint32_t workers = 1;
  // Resident memory the process stays under (pipeline/memory_budget.h divides it).
  uint64_t memory_cap_bytes = 1024ull << 20;
  // CPUs to pin threads to: the capture thread to the first, the i-th worker thread to entry
  // 1 + i (wrapping around the list). Empty: the kernel places the threads.
  std::vector<int> cpu_affinity;

  struct Decode {
    uint64_t fragment_max_datagrams = 4096;
    uint64_t fragment_max_bytes = 8 << 20;
    TimestampNs fragment_timeout = 30 * kNsPerSecond;
    std::string tcp_checksum = "auto";  // auto | verify | ignore (decode/tcp_checksum.h)
  } decode;

  struct Flows {
    uint64_t max_flows = 1 << 20;
    TimestampNs tcp_idle_timeout = 120 * kNsPerSecond;
    TimestampNs udp_idle_timeout = 60 * kNsPerSecond;
    TimestampNs hard_timeout = 3600 * kNsPerSecond;
  } flows;

  struct Reassembly {
    uint64_t per_flow_bytes = 1 << 20;
    uint32_t max_segments_per_flow = 4096;
    uint64_t global_bytes = 256ull << 20;
    TimestampNs hole_timeout = 5 * kNsPerSecond;
  } reassembly;

  struct Classify {
    uint32_t ndpi_max_packets = 24;
  } classify;

  struct Http {
    uint64_t max_start_line = 8192;
    uint64_t max_header_line = 8192;
    uint64_t max_headers = 100;
    uint64_t max_header_block = 64 * 1024;
    uint64_t max_pending_requests = 64;
    uint64_t body_prefix_bytes = 16 * 1024;
  } http;

  struct Storage {
    bool fingerprint = true;
    uint64_t sample_keys = 20;
    uint64_t known_servers = 4096;
    TimestampNs known_server_ttl = 86400 * kNsPerSecond;
    std::vector<EndpointConfig> endpoints;
  } storage;

  // TLS key logs and the bounds of waiting for keys (issue 19).
  TlsConfig tls;

  // What the sensor learned that must outlive a restart (state/learned_state.h): the servers
  // known as storage, the dedup windows and open detection windows, saved to dir/state.json every
  // save_interval, at exit, and read at start. Empty dir: nothing is kept (a restart forgets).
  struct Persist {
    std::string dir;
    TimestampNs save_interval = 60 * kNsPerSecond;
    uint64_t max_bytes = 64ull << 20;
  } state;

  DetectionConfig detection;
  AlertingConfig alerting;
  LedgerConfig ledger;

  struct Output {
    std::string ledger;
    std::string alerts;
    // Records each worker may have waiting for the output stage (see output.queue_records).
    uint64_t queue_records = 4096;
  } output;

  MetricsConfig metrics;

  struct Log {
    std::string level = "info";
  } log;
};

struct LoadResult {
  bool ok = false;
  std::string error;  // "<key path>: <reason>" or "<file>: <reason>"
  Config config;
};

// Loads the embedded default, then `path` (when non-empty), then each "key.path=value" override.
[[nodiscard]] LoadResult LoadConfig(const std::string& path, const std::vector<std::string>& sets);

// Parses YAML text on top of the embedded default (for tests and SIGHUP reload).
[[nodiscard]] LoadResult LoadConfigText(const std::string& yaml_text,
                                        const std::vector<std::string>& sets);

// The effective configuration as YAML (what --print-config shows after --config/--set).
std::string DumpConfig(const Config& config);

}  // namespace bw::config
