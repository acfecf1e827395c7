#pragma once
// SensorSnapshot: every value the sensor reports — /metrics and /healthz while it runs,
// --stats-json and the run summary at its end — copied out of its relaxed atomics. One value
// feeds all three renderers, so they cannot disagree about what a counter summed.
//
// Guarantees:
//  - A plain value: building one takes no lock on the packet path, and no renderer touches live
//    sensor state.
//  - Sums over workers are taken once, by snapshot_builder.h.
//  - Fields marked "end of run" are read from state only the capture thread, the workers or the
//    output thread may touch while they run; they are filled once the pipeline stopped
//    (`stopped`), and hold zero (empty) in a snapshot of a running sensor.
//  - Label values stored here are already bounded (enum tables, the fixed operation table,
//    configured sink names); nothing in it names a bucket, key, account or address. Protocol
//    names (nDPI labels, end of run) are bounded by nDPI's table.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "dissectors/http/http_counters.h"
#include "dissectors/tls/connection_decryptor.h"
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
  // Why it failed (kFailed): cut to 159 bytes while running, the whole message at the end.
  std::string error;
  std::string source;    // the interface, file or pipe, as the log names it
  bool live = false;     // an interface (kernel drops mean something) rather than a file
  uint64_t readers = 1;  // threads reading the input: 1, or one per worker (file fanout)
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
  // End of run.
  int interrupted_by = 0;  // the signal (SIGINT, SIGTERM) that stopped a --read before its end
  double seconds = 0;      // wall time of the run (set by whoever times it)
  // Wall time until the pipeline had handled the last packet (ledger lines formatted, rows
  // batched, detection run), before the final flushes and the sinks' drains: what a packet rate
  // is measured by. 0 until the run ends.
  double processing_seconds = 0;
  uint64_t ring_waits = 0;             // the capture thread waited for room in a worker's ring
  uint64_t pcapng_blocks_skipped = 0;  // pcapng blocks the reader does not use
};

struct WorkerSnapshot {
  int id = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// Packets the workers processed (decoded ones), summed over workers.
struct PacketSnapshot {
  uint64_t processed = 0;
  uint64_t tcp = 0;
  uint64_t udp = 0;
  uint64_t other = 0;
};

struct TcpChecksumSnapshot {
  std::string mode;  // decode.tcp_checksum: verify, ignore or auto (known from the start)
  uint64_t good = 0;
  uint64_t unfilled = 0;  // unfilled (offloaded) sums seen
  uint64_t bad = 0;       // wrong sums seen (weak in auto mode, see reassembly.weak_*)
  uint64_t rejected = 0;  // dropped: verify mode
  uint64_t unverifiable = 0;
};

struct DecodeSnapshot {
  std::array<uint64_t, decode::kDropReasonCount> drops{};
  // End of run (but the checksum mode): kept by the decoders themselves.
  uint64_t fragments_reassembled = 0;
  uint64_t fragments_stored = 0;
  TcpChecksumSnapshot tcp_checksum;
};

struct FlowSnapshot {
  uint64_t active = 0;
  uint64_t created = 0;
  uint64_t evicted = 0;
  uint64_t idle_timeouts = 0;
  uint64_t hard_timeouts = 0;
  uint64_t closed = 0;
  uint64_t drained = 0;
  uint64_t evicted_memory = 0;           // part of evicted: made room under the memory cap
  uint64_t memory_bytes = 0;             // gauge: per-connection state charged to the memory cap
  uint64_t memory_high_water_bytes = 0;  // each worker's most, summed
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
  uint64_t out_of_window = 0;
  uint64_t truncated_segments = 0;
  uint64_t weak_segments = 0;  // segments with a checksum the receiver rejects (auto mode)
  uint64_t weak_replaced = 0;
  uint64_t weak_used = 0;
  uint64_t weak_discarded = 0;
  uint64_t weak_controls_ignored = 0;
  uint64_t weak_syns_confirmed = 0;
  uint64_t buffered_high_water = 0;  // the most one worker buffered (a maximum, not a sum)
};

// Application layer, summed over workers: what the workers recognised before the output stage.
struct AppSnapshot {
  uint64_t http_flows = 0;
  uint64_t tls_flows = 0;
  uint64_t other_flows = 0;
  uint64_t tls_client_hellos = 0;
  uint64_t storage_events = 0;         // requests the workers knew were storage
  uint64_t non_storage_http = 0;       // HTTP transactions they did not (some of them the output
                                       // stage finds were: OutputSnapshot::known_server_requests)
  uint64_t object_digest_matches = 0;  // object reads proven by their MD5 (object_digest.h)
  uint64_t object_digest_mismatches = 0;
  // TLS decryption (app_counters.h says what each counts).
  uint64_t tls_decrypt_attempts = 0;
  uint64_t tls_decrypted = 0;
  uint64_t tls_waited_for_keys = 0;
  uint64_t tls_http2 = 0;
  uint64_t tls_parked = 0;
  uint64_t tls_early_data_bytes = 0;
  uint64_t tls_early_data_rejected_bytes = 0;
  uint64_t tls_early_records_skipped = 0;
  std::array<uint64_t, tls::kSessionFailureCount> tls_decrypt_failures{};
};

// Key logs (sensor/tls): what was read and what the key store holds. Only with key logs.
struct TlsKeyLogSnapshot {
  bool enabled = false;
  uint64_t lines_read = 0;
  uint64_t keys_loaded = 0;  // added or replaced
  uint64_t keys_duplicate = 0;
  std::array<uint64_t, tls::kKeyLogErrorCount> malformed{};  // by KeyLogError
  uint64_t overlong_lines = 0;
  uint64_t files_opened = 0;
  uint64_t files_reopened = 0;
  uint64_t files_refused = 0;
  uint64_t files_skipped = 0;
  uint64_t read_errors = 0;
  uint64_t connections_held = 0;     // connections whose keys are held now
  uint64_t connections_evicted = 0;  // dropped at tls.max_keys before their connection ended
  uint64_t connections_erased = 0;   // dropped because their connection ended
};

struct HttpSnapshot {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t transactions = 0;
  uint64_t no_response = 0;
  uint64_t truncated = 0;
  uint64_t resyncs = 0;
  uint64_t gaps = 0;
  uint64_t lost_requests = 0;
  uint64_t tunnels = 0;
  uint64_t gave_up = 0;
  uint64_t pipelined_max_depth = 0;  // the deepest of any worker (a maximum, not a sum)
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

// Detection state (detect::DetectionStats, copied: this header does not depend on detect).
struct DetectionSnapshot {
  uint64_t storage_events = 0;
  uint64_t tracked_activities = 0, tracked_clients = 0, tracked_dedup = 0, tracked_flows = 0;
  uint64_t evicted_activities = 0, evicted_clients = 0, evicted_dedup = 0, evicted_flows = 0;
  uint64_t evicted_probe_names = 0;
  uint64_t evicted_memory = 0;
  uint64_t memory_bytes = 0;      // detection state held
  uint64_t memory_cap_bytes = 0;  // detection.memory_mib
  // new_public_exposure's inventory: buckets held, forgotten at max_buckets, learned silently.
  uint64_t exposures = 0, exposures_evicted = 0, exposures_learned = 0;
};

struct LedgerSnapshot {
  uint64_t lines = 0;  // appended to the open file (also those later lost with it, deleted)
  uint64_t write_errors = 0;
  uint64_t rotations = 0;
  uint64_t files_compressed = 0;
  uint64_t compress_errors = 0;
  // Lines in no ledger file: failed writes, no file open, a deleted file's lines not copied.
  uint64_t lines_lost = 0;
  uint64_t reopens = 0;  // the file was deleted or moved away and the path opened again
};

// The ClickHouse ledger sink (ledger.clickhouse), when configured.
struct ClickHouseSinkSnapshot {
  bool enabled = false;
  uint64_t rows_sent = 0;
  uint64_t batches_sent = 0;
  uint64_t send_failures = 0;
  uint64_t rows_queued = 0;   // gauge: on disk, not yet acknowledged
  uint64_t queue_bytes = 0;   // gauge
  uint64_t rows_pending = 0;  // gauge: in memory, not yet on disk
  uint64_t rows_dropped = 0;  // the disk queue was full or unwritable: lost
  uint64_t rows_spilled = 0;  // written to the disk queue by the output thread
  uint64_t queue_corrupt = 0;
  int64_t last_success_unix_ns = 0;  // 0: none yet
};

// The state file (--state-dir): saves by result, and open detection windows a save left out
// for its size budget (the oldest go first).
struct StateSnapshot {
  uint64_t saves = 0;
  uint64_t save_errors = 0;
  uint64_t windows_left_out = 0;
};

// The output stage: records the workers handed it, those a full queue dropped (live only),
// records waiting in the queues now, and what it did with them.
struct OutputSnapshot {
  uint64_t records = 0;
  uint64_t records_dropped = 0;
  uint64_t queued = 0;       // gauge
  uint64_t queue_waits = 0;  // a worker waited for room (reading a file)
  uint64_t batches = 0;
  uint64_t alert_batches = 0;
  uint64_t known_server_candidates = 0;  // requests to servers that did not name themselves
  uint64_t known_server_requests = 0;    // ... of which to a server known as storage
  uint64_t known_servers = 0;            // end of run: servers learned to be storage
};

// Alerts as a whole: raised by detection, written to --alerts.
struct AlertTotalsSnapshot {
  uint64_t raised = 0;
  uint64_t lines = 0;
  uint64_t write_errors = 0;
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
  uint64_t alerts = 0;            // gauge: alerts held, not yet delivered to every sink
  uint64_t bytes = 0;             // gauge: their bytes on disk
  uint64_t evicted = 0;           // oldest dropped at the size bound, undelivered: alerts lost
  uint64_t write_errors = 0;      // append/remove failures
  uint64_t memory_only = 0;       // alerts the disk could not take, held in memory only
  uint64_t memory_only_held = 0;  // gauge: of those, not yet delivered (at exit: lost)
  bool append_failing = false;    // the last write of new alerts failed (/healthz fails)
  // At start: alerts recovered from temp files a crash left, and such files (or their torn
  // tails) removed for want of a whole record.
  uint64_t recovered = 0;
  uint64_t temp_discarded = 0;
};

// The /metrics and /healthz listener itself, filled in by MetricsServer for what it serves.
struct MetricsServerSnapshot {
  uint64_t connections = 0;    // gauge: open now
  uint64_t evicted = 0;        // waiting connections closed to make room for a newer one
  uint64_t refused = 0;        // new connections closed: every slot was answering a request
  uint64_t timed_out = 0;      // closed at a deadline (request head late, reply not taken)
  uint64_t accept_errors = 0;  // accept() failures (EMFILE, ENFILE, ENOBUFS, ...)
};

struct ProcessSnapshot {
  uint64_t resident_bytes = 0;
  uint64_t peak_resident_bytes = 0;    // VmHWM
  uint64_t memory_cap_bytes = 0;       // memory_cap_mib (set by the sensor, not read from /proc)
  uint64_t memory_to_run_bytes = 0;    // of the cap: what the sensor needs to run at all
  uint64_t memory_margin_bytes = 0;    // of the cap: kept free
  uint64_t memory_pressure_polls = 0;  // polls that found it near the cap and lowered the
                                       // connections' share
  uint64_t virtual_bytes = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // Unix time the process started
};

// sensor.name and the host name (event/observer.h: label-safe as they stand).
struct ObserverInfo {
  std::string name;
  std::string hostname;
  bool label_every_series = false;  // metrics.sensor_label
};

struct SensorSnapshot {
  bool stopped = false;  // the pipeline has stopped: the "end of run" fields are filled
  BuildInfo build;
  ObserverInfo observer;
  CaptureSnapshot capture;
  std::vector<WorkerSnapshot> workers;
  PacketSnapshot packets;
  DecodeSnapshot decode;
  FlowSnapshot flows;
  std::map<std::string, uint64_t> protocols;  // end of run: flows per nDPI label
  ReassemblySnapshot reassembly;
  AppSnapshot app;
  TlsKeyLogSnapshot tls_keylog;
  HttpSnapshot http;
  StorageSnapshot storage;
  DetectionSnapshot detection;
  LedgerSnapshot ledger;
  ClickHouseSinkSnapshot clickhouse;
  OutputSnapshot output;
  AlertTotalsSnapshot alert_totals;
  std::vector<AlertSnapshot> alerts;
  std::vector<SuppressedSnapshot> suppressed;
  std::vector<SinkSnapshot> sinks;
  SpoolSnapshot spool;
  uint64_t config_reloads = 0;
  uint64_t config_reload_failures = 0;
  StateSnapshot state;
  ProcessSnapshot process;
  MetricsServerSnapshot metrics_server;
};

}  // namespace bw::metrics
