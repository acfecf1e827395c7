#pragma once
// One packet-processing worker: owns a flow table, TCP reassembly state, an nDPI module and the
// application sessions of the flows the dispatcher hashes to it. Touched by one thread only;
// its counters are relaxed atomics so the metrics and summary threads may read them.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dissectors/http/transaction_pool.h"
#include "sensor/app/app_counters.h"
#include "sensor/app/app_session.h"
#include "sensor/classify/ndpi_classifier.h"
#include "sensor/config/config.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/flow/flow_table.h"
#include "sensor/output/flow_record.h"
#include "sensor/pipeline/memory_budget.h"
#include "sensor/pipeline/output_queue.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/tcp_connection.h"

namespace bw::pipeline {

struct WorkerCounters {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};  // wire bytes of the frames
  std::atomic<uint64_t> tcp_packets{0};
  std::atomic<uint64_t> udp_packets{0};
  std::atomic<uint64_t> other_packets{0};
};

// What a worker hands on, all of it through its own queue to the output stage.
struct WorkerOutputs {
  OutputQueue* queue = nullptr;
  bool flow_log = false;  // make a flow-log record of every flow that ends
  // bench/run's stage split (StopAfter in sensor.h) turns these off; a sensor always has both.
  bool dissect = true;  // false: reassembled bytes go nowhere (no application session)
  bool hand_on = true;  // false: records are made and dropped instead of queued
};

// Its clock is packet time: the latest packet, tick or AdvanceClock() it was given. Records are
// stamped with it, and after every call that moves it the queue's watermark follows, so the
// output stage knows this worker will hand nothing older.
class Worker final : private app::EventOutput {
 public:
  // Evicts least recently active flows when their state passes memory.worker_share(). Workers
  // other than 0 may be built on several threads at once, once worker 0 is (see NdpiClassifier).
  Worker(int id, const config::Config& config, const app::AppConfig& app_config,
         WorkerOutputs outputs, const MemoryBudget& memory);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Process(const decode::PacketMeta& p);
  // Advances the worker's clock (packet time): expires idle flows and reassembly holes.
  void Tick(TimestampNs now);
  // End of input: finishes every flow.
  void Drain(TimestampNs now);
  // Time has reached `now` elsewhere (another worker's packets, the capture thread's clock): no
  // record of this worker will be stamped earlier. Expires nothing.
  void AdvanceClock(TimestampNs now);
  TimestampNs clock() const { return now_; }

  // From any thread (SIGHUP): the storage settings (endpoints, fingerprinting, sample keys,
  // known-server bounds) apply from the worker's next tick, on its own thread.
  void ReconfigureStorage(const storage::RecogniserConfig& storage, uint64_t known_servers,
                          TimestampNs known_server_ttl);

  int id() const { return id_; }
  const WorkerCounters& counters() const { return counters_; }
  const flow::FlowTableCounters& flow_counters() const;
  const reassembly::ReassemblyContext& reassembly() const { return reassembly_; }
  const app::AppCounters& app_counters() const { return app_counters_; }
  const classify::NdpiClassifier& classifier() const { return classifier_; }
  // Flows per nDPI protocol label, counted when flows end (read after the worker stopped).
  const std::map<std::string, uint64_t>& protocols() const { return protocols_; }

 private:
  struct FlowState;
  class LazySink;
  // app::EventOutput
  void OnStorageRequest(event::StorageRequest&& request) override;
  void OnKnownServerCandidate(event::KnownServerCandidate&& candidate) override;
  void OnHttpRequest(event::HttpLogEntry&& entry) override;
  template <typename Body>
  void Emit(Body&& body);
  void PublishWatermark() { outputs_.queue->Advance(now_); }
  app::FlowIdentity Identity(const flow::FlowKey& key, const FlowState& state) const;
  // Encrypted flows feed detection by what TLS still shows: what the last summary said, so that
  // only news is handed on.
  struct EncryptedReport {
    enum class Storage : uint8_t { kUnknown, kYes, kNo };
    Storage storage_name = Storage::kUnknown;  // does the SNI name a storage endpoint?
    bool reported = false;
    uint64_t turns = 0;
    uint64_t to_client = 0;
    uint64_t to_server = 0;
  };
  void ReportEncrypted(app::AppSession& app, EncryptedReport& report, const flow::FlowTimes& times,
                       bool final);
  void Charge(FlowState& state);
  void PublishMemory();
  // Sessions whose connection ended (closed or timed out, not evicted) while its bytes waited
  // for TLS keys: kept (up to kMaxParkedSessions and kMaxParkedBytes) until the keys come or
  // AppConfig::tls_key_wait passes, since key loggers such as HAProxy write a connection's keys as
  // it ends.
  void PollParked();
  void CloseParked();
  void EndFlow(const flow::FlowKey& key, FlowState& state, const flow::FlowTimes& times,
               flow::FlowEndReason reason, TimestampNs now);
  output::FlowRecord FlowRecordOf(const flow::FlowKey& key, const FlowState& state,
                                  const flow::FlowTimes& times, flow::FlowEndReason reason,
                                  const std::string& protocol) const;
  // What the session's parsing and decryption made of the flow: a parked session's changes
  // until its wait ends (its keys decrypt requests after the connection closed).
  static void FillAppOutcome(output::FlowRecord& r, const app::AppSession& app);

  int id_;
  app::KnownServers known_servers_;  // learned from this worker's own flows
  // Message buffers of this worker's idle HTTP connections, for the next request on any of
  // them: a few dozen cover the requests that start while others end.
  http::TransactionPool http_pool_{64};
  storage::RecogniserScratch recogniser_scratch_;  // one recognition at a time on this thread
  std::vector<uint8_t> tls_scratch_;               // one record's plaintext; only with a key log
  // Parked sessions hold waiting TLS bytes: bounded apart from the flows' memory share so that
  // they can never make the worker evict live flows.
  static constexpr size_t kMaxParkedSessions = 256;
  static constexpr size_t kMaxParkedBytes = 4 << 20;
  size_t parked_memory_ = 0;
  struct Parked {
    std::unique_ptr<app::AppSession> app;
    size_t memory = 0;  // charged to memory_ while parked
    // For the encrypted-flow summary it owes when its keys never come (ReportEncrypted).
    EncryptedReport encrypted;
    flow::FlowTimes times;
    // The flow log's line, written when the wait ends, so that it says what decryption came to.
    std::optional<output::FlowRecord> flow;
  };
  std::vector<Parked> parked_;
  // Ends a parked session: its last key lookup, its summary and its flow record.
  void Unpark(Parked& p);
  app::AppConfig app_config_;  // the sensor's, with this worker's own parts above
  WorkerOutputs outputs_;
  WorkerCounters counters_;
  app::AppCounters app_counters_;
  reassembly::ReassemblyContext reassembly_;
  classify::NdpiClassifier classifier_;
  std::unique_ptr<flow::FlowTable<FlowState>> flows_;
  std::map<std::string, uint64_t> protocols_;
  std::unique_ptr<LazySink> sink_;
  const MemoryBudget& budget_;
  size_t memory_ = 0;  // bytes charged by the flows of this worker (see Charge)
  TimestampNs now_ = 0;
  TimestampNs last_hole_check_ = 0;
  struct StorageSettings {
    storage::RecogniserConfig storage;
    uint64_t known_servers = 0;
    TimestampNs known_server_ttl = 0;
  };
  std::atomic<bool> reconfigure_{false};
  std::mutex reconfigure_mu_;
  std::optional<StorageSettings> next_storage_;  // guarded by reconfigure_mu_
};

}  // namespace bw::pipeline
