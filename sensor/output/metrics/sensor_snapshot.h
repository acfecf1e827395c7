#pragma once
// SensorSnapshot: every value /metrics and /healthz report, copied out of the sensor's relaxed
// atomics at scrape time. A plain value: building one takes no lock on the packet path, and the
// exporter never touches live sensor state. Label values stored here are already bounded (enum
// tables, the fixed operation table, configured sink names); nothing in it names a bucket, key,
// account or address.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "dissectors/http/http_counters.h"
#include "sensor/decode/drop_reason.h"
#include "sensor/output/metrics/storage_request_counters.h"

namespace bw::metrics {

struct BuildInfo {
  std::string version;
  std::string compiler;
  std::string build_type;
};

// Capture liveness for /healthz. Times are steady-clock nanoseconds (see SteadyNowNs()).
enum class CaptureState : uint8_t {
  kStarting,  // not opened yet
  kRunning,
  kFinished,  // the input file ended normally (a --read run lingering for scrapes)
  kFailed,    // the capture loop stopped on an error
};

struct CaptureSnapshot {
  CaptureState state = CaptureState::kStarting;
  std::string error;  // why it failed (kFailed)
  int64_t started_steady_ns = 0;
  int64_t last_packet_steady_ns = 0;  // 0: no packet yet
  int64_t heartbeat_steady_ns = 0;    // last capture-loop iteration, packet or timeout
  uint64_t packets = 0;               // frames read from the capture
  uint64_t bytes = 0;                 // their wire bytes
  uint64_t kernel_drops = 0;          // pcap_stats ps_drop
  uint64_t interface_drops = 0;       // pcap_stats ps_ifdrop
  uint64_t link_down = 0;             // the interface went down or disappeared
  uint64_t link_resumed = 0;          // capture resumed after that
  uint64_t link_reopens = 0;          // ... by reopening the interface
  uint64_t link_reopen_failures = 0;  // reopen attempts that failed (no CAP_NET_RAW, ...)
};

struct WorkerSnapshot {
  int id = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct FlowSnapshot {
  uint64_t active = 0;
  uint64_t created = 0;
  uint64_t evicted = 0;
  uint64_t idle_timeouts = 0;
  uint64_t hard_timeouts = 0;
  uint64_t closed = 0;
  uint64_t drained = 0;
  uint64_t evicted_memory = 0;  // part of evicted: made room under the memory cap
  uint64_t memory_bytes = 0;    // gauge: per-connection state charged to the memory cap
  uint64_t memory_cap_bytes = 0;
};

struct ReassemblySnapshot {
  uint64_t segments = 0;
  uint64_t bytes_delivered = 0;
  uint64_t out_of_order_segments = 0;
  uint64_t bytes_buffered = 0;  // gauge: out-of-order bytes held now
  uint64_t retransmissions = 0;
  uint64_t overlaps = 0;
  uint64_t overlap_conflicts = 0;
  uint64_t retransmission_conflicts = 0;
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t per_flow_cap_hits = 0;
  uint64_t segment_cap_hits = 0;
  uint64_t global_cap_hits = 0;
  uint64_t hole_timeouts = 0;
};

struct HttpSnapshot {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t transactions = 0;
  uint64_t resyncs = 0;
  uint64_t gaps = 0;
  uint64_t lost_requests = 0;
  std::array<uint64_t, http::kHttpErrorCount> errors{};
};

// Requests per (provider, operation index, auth class, outcome), summed over workers.
struct StorageSnapshot {
  struct Key {
    uint8_t provider = 0;
    uint16_t operation = 0;  // OperationIndex()
    uint8_t auth = 0;
    uint8_t outcome = 0;
    bool operator<(const Key& o) const {
      return std::tie(provider, operation, auth, outcome) <
             std::tie(o.provider, o.operation, o.auth, o.outcome);
    }
  };
  std::map<Key, uint64_t> requests;  // only non-zero combinations
  std::array<uint64_t, kProviderCount> anonymous_bytes_served{};
};

struct AlertSnapshot {
  std::string rule;      // a known rule name or "other" (AddAlerts() folds)
  std::string severity;  // info, low, medium, high, critical or "unknown"
  uint64_t raised = 0;
};

struct SuppressedSnapshot {
  std::string rule;    // as above
  uint64_t count = 0;  // repeats of an already-raised dedup key, not sent again
};

struct SinkSnapshot {
  std::string name;              // configured sink name (bounded by the config file)
  std::string type;              // webhook, alertmanager, pagerduty, slack, syslog
  uint64_t deliveries = 0;       // alerts acknowledged
  uint64_t failures = 0;         // failed delivery attempts
  uint64_t retries = 0;          // attempts after a failed one
  uint64_t queue_depth = 0;      // gauge: alerts waiting in memory for this sink
  uint64_t pending = 0;          // gauge: spooled alerts not yet delivered to this sink
  uint64_t queue_overflows = 0;  // alerts not queued in memory (queue full); still spooled
};

// The persistent spool shared by the sinks (at-least-once delivery across restarts).
struct SpoolSnapshot {
  uint64_t alerts = 0;        // gauge: alerts held, not yet delivered to every sink
  uint64_t bytes = 0;         // gauge: their bytes on disk
  uint64_t evicted = 0;       // oldest dropped at the size bound, undelivered: alerts lost
  uint64_t write_errors = 0;  // append/remove failures
};

struct ProcessSnapshot {
  uint64_t resident_bytes = 0;
  uint64_t peak_resident_bytes = 0;  // VmHWM
  uint64_t memory_cap_bytes = 0;     // memory_cap_mib (set by the sensor, not read from /proc)
  uint64_t virtual_bytes = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // Unix time the process started
};

struct SensorSnapshot {
  BuildInfo build;
  uint64_t detection_memory_bytes = 0;      // detection state held
  uint64_t detection_memory_cap_bytes = 0;  // detection.memory_mib
  CaptureSnapshot capture;
  std::vector<WorkerSnapshot> workers;
  std::array<uint64_t, decode::kDropReasonCount> decode_drops{};
  FlowSnapshot flows;
  ReassemblySnapshot reassembly;
  HttpSnapshot http;
  StorageSnapshot storage;
  std::vector<AlertSnapshot> alerts;
  std::vector<SuppressedSnapshot> suppressed;
  std::vector<SinkSnapshot> sinks;
  SpoolSnapshot spool;
  uint64_t config_reloads = 0;
  uint64_t config_reload_failures = 0;
  // The output stage: records the workers handed it, those a full queue dropped (live only),
  // and records waiting in the queues now.
  uint64_t output_records = 0;
  uint64_t output_records_dropped = 0;
  uint64_t output_queued = 0;
  ProcessSnapshot process;
};

}  // namespace bw::metrics
