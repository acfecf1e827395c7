#pragma once
// The running sensor: capture -> decode -> (dispatch) -> workers -> outputs. With one worker the
// capture thread processes packets itself. With N reading a live interface or a pipe, it
// decodes, hashes each packet's flow key symmetrically and hands it to the owning worker through
// a PacketRing. With N reading a classic pcap file (file fanout), there is no hand-off: each
// worker thread is a lane of the file reader, which reads and indexes every chunk once, and
// jumps to the records of its own flows (FlowSplitter, FlowShare), so reading and decoding run
// in parallel too. Either way a flow lands on the same worker. Time is
// packet time: workers are ticked from capture timestamps, so a replayed capture behaves like
// the live run.
//
// This file and sensor.cc wire the parts together; each loop has a file of its own
// (capture_loop.cc, worker_loop.cc, lane_loop.cc), Snapshot() is in snapshot.cc, and the
// end-of-run report is rendered from a snapshot by run_report.h.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sensor/app/app_session.h"
#include "sensor/capture/packet_source.h"
#include "sensor/clickhouse/ledger_sink.h"
#include "sensor/config/cli_overrides.h"
#include "sensor/config/config.h"
#include "sensor/decode/decoder.h"
#include "sensor/output/ledger_file.h"
#include "sensor/output/line_writer.h"
#include "sensor/output/metrics/metrics_server.h"
#include "sensor/output/metrics/snapshot_builder.h"
#include "sensor/output/metrics/storage_request_counters.h"
#include "sensor/output/sinks/alert_dispatcher.h"
#include "sensor/pipeline/flow_share.h"
#include "sensor/pipeline/flow_splitter.h"
#include "sensor/pipeline/key_store_source.h"
#include "sensor/pipeline/memory_budget.h"
#include "sensor/pipeline/output_stage.h"
#include "sensor/pipeline/packet_ring.h"
#include "sensor/pipeline/process.h"
#include "sensor/pipeline/worker.h"
#include "sensor/tls/key_log_source.h"
#include "sensor/tls/shared_key_store.h"

namespace bw::pipeline {

// How far each record travels, for bench/run's split of the cost of a storage request: a
// stage's cost is the run that stops after it minus the run that stops after the one before.
// kNothing is the sensor; any other value writes no ledger, raises no alert, and is not for
// operators (the option is hidden from --help).
enum class StopAfter : uint8_t {
  kFlows,      // flow table, TCP reassembly and nDPI; the reassembled bytes go nowhere
  kParse,      // + HTTP and TLS dissection; transactions are counted, not recognised
  kRecognise,  // + storage recognition; the records are dropped at the worker
  kDetect,     // + the output stage: detection and metrics, no ledger
  kNothing,
};

struct SensorOptions {
  config::Config config;
  capture::CaptureOptions capture;
  std::string flow_log;
  std::string http_log;
  bool flow_digests = false;
  std::string stats_json;
  bool summary = true;
  int linger_seconds = 0;  // keep serving (metrics) this long after the input ended
  // Where the config came from, so SIGHUP can load it again.
  std::string config_path;
  std::vector<std::string> config_sets;
  config::CliOverrides cli_overrides;  // applied again on top of what a reload reads
  StopAfter stop_after = StopAfter::kNothing;
};

class Sensor {
 public:
  explicit Sensor(SensorOptions options);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Opens the capture and the output files; false with a one-line error. `usage_error` is set
  // when the request itself was wrong (exit code 2) rather than the environment (exit code 1).
  [[nodiscard]] bool Open(std::string& error, bool& usage_error);
  // After Open: what the sensor will write once it runs as --user (process.h).
  RunUserPaths PathsForRunUser() const;
  // Processes until the end of the file or RequestStop(); returns the process exit code: 0, or
  // 1 when the capture failed or the run lost ledger lines or alerts (RunLosses), or 128 + the
  // signal when one stopped a --read before its input ended (130 SIGINT, 143 SIGTERM).
  int Run();
  // Async-signal-safe: asks Run() to stop, drain and return; `signal` (SIGINT, SIGTERM, or 0
  // when no signal asked) names what interrupted a --read.
  void RequestStop(int signal = 0);
  // Async-signal-safe: asks Run() to reload the config file at its next loop turn.
  void RequestReload() { reload_.store(true, std::memory_order_relaxed); }
  uint64_t config_reloads() const { return reloads_.load(); }
  // Everything /metrics, --stats-json and the run summary report, read with relaxed loads (any
  // thread); the end-of-run fields once Run() stopped the pipeline.
  metrics::SensorSnapshot Snapshot() const;
  // The TLS keys read from tls.keylog, for the workers to look up and erase (issue 19); null
  // when no key log is configured. Valid from Open() until the sensor is destroyed, and
  // outlives the workers.
  tls::SharedKeyStore* key_store() const { return key_store_.get(); }
  // What reading the key logs counted; null when no key log is configured.
  const tls::KeyLogSource* key_log_source() const { return key_log_.get(); }

 private:
  // state.dir: loads what an earlier run learned into the output stage (a bad file is logged and
  // moved aside; the run starts without it).
  void RestoreState();
  struct Lane;  // file_lane.h
  // Packet time between two Tick()s of a worker, and of the fragment expiry.
  static constexpr TimestampNs kTickInterval = kNsPerSecond;
  // Ring records the capture thread pushes before publishing them, and a worker pops before
  // releasing their room: the release/acquire pair is paid per batch, not per packet.
  static constexpr int kPublishBatch = 64;

  // Reads the capture until its end, an error or RequestStop(); false when the capture failed
  // (capture_error_ says why).
  [[nodiscard]] bool CaptureLoop();
  void ProcessInline(const decode::PacketMeta& meta);
  void Dispatch(const decode::PacketMeta& meta);
  void TickAll(TimestampNs now);
  // Hands the capture thread's clock to every threaded worker (kClock), so that idle workers'
  // watermarks keep up and the output stage's merge does not wait on them.
  void ClockAll(TimestampNs now);
  void ClockRings(TimestampNs now);  // only the threaded ones
  void WorkerLoop(size_t index);
  void LaneLoop(size_t index);
  // Every decoder: the capture thread's and the fanout lanes'.
  std::vector<const decode::Decoder*> Decoders() const;
  void StopWorkers(TimestampNs now);
  void Reload();
  void Linger();

  SensorOptions options_;
  app::AppConfig app_config_;
  event::Observer observer_;  // sensor.name and the host name, resolved at Open
  std::unique_ptr<capture::PacketSource> source_;
  decode::DropCounters drops_;
  std::unique_ptr<FlowShare> capture_share_;  // file fanout: worker 0's flows
  std::unique_ptr<FlowSplitter> capture_splitter_;
  std::unique_ptr<decode::Decoder> decoder_;
  output::LedgerFile ledger_;
  output::LineWriter flow_log_;
  output::LineWriter http_log_;
  output::LineWriter alerts_;
  std::unique_ptr<output::AlertDispatcher> dispatcher_;
  // ledger.clickhouse: the central ledger; null when off. Stopped after the output stage.
  std::unique_ptr<clickhouse::LedgerSink> ledger_sink_;
  // Everything after dissection; stopped before what it writes to is closed.
  std::unique_ptr<state::StateFile> state_file_;  // state.dir; null when none
  std::unique_ptr<OutputStage> output_;
  MemoryBudget memory_budget_;  // read by the workers: outlives them
  // tls.keylog: the keys the workers share (outlives them) and what fills it: read at Open,
  // followed from Run (live captures) until the workers stopped.
  std::unique_ptr<tls::SharedKeyStore> key_store_;
  std::unique_ptr<tls::KeyLogSource> key_log_;
  std::unique_ptr<KeyStoreSource> key_source_;  // key_store_ for the workers
  std::vector<std::unique_ptr<Worker>> workers_;
  // Workers [0, first_threaded_) run on the capture thread; rings_[i] feeds worker
  // first_threaded_ + i, each on its own thread.
  size_t first_threaded_ = 1;
  std::vector<std::unique_ptr<PacketRing>> rings_;
  // File fanout: lanes_[i] reads the file for worker i + 1 on its own thread (rings_ is empty).
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int> stop_signal_{0};  // the first signal that asked to stop
  std::atomic<bool> reload_{false};
  std::atomic<uint64_t> reloads_{0};  // read by the metrics thread
  std::atomic<uint64_t> reload_failures_{0};
  // Set (release) once every thread that writes the end-of-run state has stopped: Snapshot()
  // reads that state only after seeing it (acquire).
  std::atomic<bool> stopped_{false};
  metrics::CaptureStatus capture_status_;
  metrics::StorageRequestCounters storage_counters_;
  // Last member: destroyed (stopped) first, while everything it reads still exists.
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  capture::KernelStats kernel_stats_;
  std::string capture_error_;
  bool input_ended_ = false;  // the capture reached its end (not stopped, not failed)
  int interrupted_by_ = 0;    // end of run: the signal that stopped a --read before its end
  uint64_t packets_ = 0;      // of the capture (file fanout: with those the other lanes took)
  uint64_t frames_read_ = 0;  // by the capture thread
  uint64_t bytes_ = 0;
  uint64_t ring_waits_ = 0;
  TimestampNs first_ts_ = 0;
  TimestampNs last_ts_ = 0;
  TimestampNs last_tick_ = 0;
  int64_t last_clock_ns_ = 0;  // steady time of the last ClockAll
};

}  // namespace bw::pipeline
