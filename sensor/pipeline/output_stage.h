#pragma once
// The output stage: one thread that owns everything after dissection — the ledger, the flow log,
// detection, the alert file and the alert fan-out (spool and sinks), and the map of servers
// learned to be storage. Workers only push records into their own OutputQueue; no file, fsync or
// lock shared with another worker is ever on a packet thread.
//
// Guarantees:
//  - Records are merged from the workers' queues in stamp order (the workers' packet-time
//    clocks), a record leaving only once every other worker's watermark has reached its stamp;
//    ties go to the lower worker. So the ledger's order, detection's view of time and the alerts
//    raised do not depend on how many workers ran or how their threads were scheduled, and a
//    file replays as the live run did.
//  - A request to a server that did not name itself as storage (KnownServerCandidate) is
//    decided here, against what every worker's requests taught before it in that order; its
//    HTTP-log entry, which the worker queues right after it, is decided the same way.
//  - Alerts raised while one batch of records is merged reach the spool together (one group
//    commit), so an alert storm costs the stage a few fsyncs per batch, not two per alert. The
//    spool commit comes before the alerts file: an alert in the file is always in the spool.
//  - What the stage learned (known servers, dedup windows, exposed buckets) is saved to the state
//  file, when one
//    is given, every save_interval of wall time and once more when Finish() has handled the
//    last record; Restore() puts a saved state back before Start().
//  - Finish() returns once every record was handled; the counters may be read from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dissectors/storage/endpoint.h"
#include "sensor/app/known_servers.h"
#include "sensor/clickhouse/ledger_sink.h"
#include "sensor/config/detection_config.h"
#include "sensor/detect/detection_engine.h"
#include "sensor/event/observer.h"
#include "sensor/output/ledger_file.h"
#include "sensor/output/line_writer.h"
#include "sensor/output/metrics/storage_request_counters.h"
#include "sensor/output/sinks/alert_dispatcher.h"
#include "sensor/pipeline/output_queue.h"
#include "sensor/state/learned_state.h"
#include "sensor/state/state_file.h"

namespace bw::pipeline {

struct OutputStageOptions {
  size_t workers = 1;
  size_t queue_capacity = 4096;  // records per worker
  OutputQueue::WhenFull when_full = OutputQueue::WhenFull::kWait;
  uint64_t known_servers = 4096;
  TimestampNs known_server_ttl = 3600 * kNsPerSecond;
  std::vector<storage::EndpointRule> storage_endpoints;  // storage.endpoints, for TLS names
  TimestampNs state_save_interval = 60 * kNsPerSecond;   // wall time between state saves
  event::Observer observer;  // written into every ledger line and alert; empty: left out
};

// Where the stage writes; each may be closed (not configured). Outlive the stage.
struct OutputTargets {
  output::LedgerFile* ledger = nullptr;
  clickhouse::LedgerSink* ledger_sink = nullptr;  // the central ledger; null when off
  output::LineWriter* flow_log = nullptr;
  output::LineWriter* http_log = nullptr;
  output::LineWriter* alerts = nullptr;
  output::AlertDispatcher* dispatcher = nullptr;
  metrics::StorageRequestCounters* storage_counters = nullptr;
  state::StateFile* state = nullptr;
};

struct OutputStageCounters {
  std::atomic<uint64_t> storage_requests{0};    // reached the ledger and detection
  std::atomic<uint64_t> candidates{0};          // requests to servers not named as storage
  std::atomic<uint64_t> candidates_storage{0};  // of those, to a server known as storage
  std::atomic<uint64_t> encrypted_summaries{0};
  std::atomic<uint64_t> flow_records{0};
  std::atomic<uint64_t> http_log_records{0};
  std::atomic<uint64_t> alerts_raised{0};
  std::atomic<uint64_t> batches{0};        // merge rounds that handled at least one record
  std::atomic<uint64_t> alert_batches{0};  // group commits of alerts to the sinks' spool
  std::atomic<uint64_t> state_saves{0};    // state files written
  std::atomic<uint64_t> state_save_errors{0};
  std::atomic<uint64_t> state_windows_left_out{0};  // open windows a save's budget did not take
};

class OutputStage final : private detect::AlertSink {
 public:
  OutputStage(const OutputStageOptions& options, const config::DetectionConfig& detection,
              OutputTargets targets);
  ~OutputStage() override;
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  OutputQueue& queue(size_t worker) { return *queues_[worker]; }
  const OutputQueue& queue(size_t worker) const { return *queues_[worker]; }
  size_t workers() const { return queues_.size(); }

  // Before Start(): the known servers, dedup entries, open detection windows and exposed
  // buckets of an earlier run.
  void Restore(const state::LearnedState& state);
  void Start();
  // Every producer has pushed its last record and advanced its watermark to kForever: handles
  // what is left, advances detection to `end` (packet time) and stops the thread. Idempotent.
  void Finish(TimestampNs end);
  // SIGHUP, from any thread: the new rules, storage endpoints (for TLS server names),
  // known-server bounds and ledger rotation apply from the next record the stage handles.
  struct Reconfiguration {
    config::DetectionConfig detection;
    std::vector<storage::EndpointRule> storage_endpoints;
    uint64_t known_servers = 4096;
    TimestampNs known_server_ttl = 3600 * kNsPerSecond;
    config::LedgerConfig ledger;  // rotation and compression (not hash_chain)
  };
  void Reconfigure(Reconfiguration next);
  // From any thread (SIGHUP): check at once whether the output files were deleted or moved away,
  // and reopen them (LedgerFile::CheckPath). The stage also checks about once a second.
  void RequestFileCheck();

  const OutputStageCounters& counters() const { return counters_; }
  detect::DetectionStats DetectionStats() const { return detection_.Stats(); }
  size_t known_servers() const { return known_.size(); }

 private:
  void Run();
  // Handles up to `budget` records that are ready; returns how many.
  size_t MergeReady(size_t budget);
  void Handle(OutputRecord& record, size_t queue);
  void HandleStorage(event::StorageRequest& request);
  bool IsStorage(const event::HttpLogEntry& e, size_t queue) const;
  void OnAlert(const detect::Alert& alert) override;
  void FlushAlerts();
  void AdvanceDetection(TimestampNs now);
  void SaveState();
  void CheckFiles();
  // The lowest watermark among queues with nothing queued, or kForever.
  TimestampNs IdleWatermark() const;

  OutputTargets targets_;
  std::vector<std::unique_ptr<OutputQueue>> queues_;
  Doorbell doorbell_;
  detect::DetectionEngine detection_;
  app::KnownServers known_;
  OutputStageCounters counters_;
  // Per queue: whether its last KnownServerCandidate became a storage request (for the HTTP-log
  // entry that follows it).
  std::vector<uint8_t> last_candidate_storage_;
  std::vector<std::string> pending_alerts_;  // raised in this batch, not yet spooled
  std::string ledger_line_;                  // formatting buffer, kept across lines
  std::string line_hash_;                    // its SHA-256, for the ClickHouse row
  TimestampNs advanced_ = 0;                 // detection's clock
  std::thread thread_;
  std::atomic<bool> finishing_{false};
  TimestampNs end_ = 0;
  std::chrono::nanoseconds state_save_interval_;
  const event::Observer observer_;
  std::chrono::steady_clock::time_point next_state_save_;
  std::chrono::steady_clock::time_point ledger_flushed_;  // the ledger's batch last written out
  bool state_error_logged_ = false;                       // one log line per run of failed saves
  std::atomic<bool> check_files_{false};
  std::chrono::steady_clock::time_point files_checked_{};
  std::atomic<bool> reconfigure_{false};
  std::mutex reconfigure_mu_;
  std::optional<Reconfiguration> next_;
};

}  // namespace bw::pipeline
