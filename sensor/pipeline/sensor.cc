#include "sensor/pipeline/sensor.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include <spdlog/spdlog.h>

#include "sensor/pipeline/process.h"
#include "sensor/pipeline/run_report.h"

#ifdef NDEBUG
#define BW_BUILD_TYPE_STRING "release"
#else
#define BW_BUILD_TYPE_STRING "debug"
#endif

namespace bw::pipeline {

namespace {

constexpr TimestampNs kTickInterval = kNsPerSecond;
// Per worker. Small enough to stay mostly in cache and to cost few page faults to bring in
// (the first pass over a 32 MiB ring cost more CPU than the packets it carried in a short
// run); bursts beyond it wait in the kernel's capture buffer (capture.buffer_mib).
constexpr size_t kRingBytes = 4u << 20;
constexpr int kPublishBatch = 64;
// How often, in steady time, the capture thread hands its clock to the threaded workers while
// packets flow: an idle worker's watermark lags the busy ones by about this much, and the output
// stage holds records back until every watermark passed them, so it adds to alert latency.
constexpr int64_t kClockIntervalNs = 2'000'000;

TimestampNs WallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t Load(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

}  // namespace

// File fanout: worker `index` reads its share of the capture on its own thread.
struct Sensor::Lane {
  Lane(size_t index, size_t workers, const decode::DecoderLimits& limits, decode::LinkType link)
      : share(index, workers), decoder(limits, drops, discarded, share),
        splitter(workers, link, limits) {}
  FlowShare share;
  decode::DropCounters drops;      // its own: the checksums it rejected
  decode::DropCounters discarded;  // what every lane sees alike, counted by the capture thread
  decode::Decoder decoder;
  FlowSplitter splitter;  // for the chunks of the file this lane reads first
  std::unique_ptr<capture::PacketSource> source;
};

Sensor::Sensor(SensorOptions options) : options_(std::move(options)) {}

Sensor::~Sensor() {
  if (metrics_server_) metrics_server_->Stop();
  for (auto& r : rings_) r->Close();
  if (output_) {
    for (size_t i = 0; i < output_->workers(); ++i) output_->queue(i).Advance(OutputQueue::kForever);
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  if (output_) output_->Finish(last_ts_);
  // Tearing down nDPI's trees costs about as much as building them: in parallel too.
  std::vector<std::thread> teardown;
  for (size_t i = 1; i < workers_.size(); ++i) {
    teardown.emplace_back([this, i] { workers_[i].reset(); });
  }
  if (!workers_.empty()) workers_[0].reset();
  for (auto& t : teardown) t.join();
}

bool Sensor::Open(std::string& error, bool& usage_error) {
  const config::Config& c = options_.config;
  options_.capture.file_lanes = c.workers;
  source_ = capture::PacketSource::Open(options_.capture, error, usage_error);
  if (!source_) return false;

  decode::DecoderLimits dl;
  dl.max_fragment_datagrams = c.decode.fragment_max_datagrams;
  dl.max_fragment_bytes = c.decode.fragment_max_bytes;
  dl.fragment_timeout = c.decode.fragment_timeout;
  dl.tcp_checksum = c.decode.tcp_checksum == "verify"   ? decode::TcpChecksumMode::kVerify
                    : c.decode.tcp_checksum == "ignore" ? decode::TcpChecksumMode::kIgnore
                                                        : decode::TcpChecksumMode::kAuto;
  const bool fanout = c.workers > 1 && source_->lanes() == c.workers;
  if (fanout) {
    capture_share_ = std::make_unique<FlowShare>(0, c.workers);
    decoder_ = std::make_unique<decode::Decoder>(dl, drops_, drops_, *capture_share_);
  } else {
    decoder_ = std::make_unique<decode::Decoder>(dl, drops_);
  }

  if (!c.output.ledger.empty() &&
      !ledger_.Open(c.output.ledger, output::LedgerFileOptions::FromConfig(c.ledger), error)) {
    return false;
  }
  if (!options_.flow_log.empty() && !flow_log_.Open(options_.flow_log, error)) return false;
  if (!c.output.alerts.empty() && !alerts_.Open(c.output.alerts, error)) return false;
  dispatcher_ = std::make_unique<output::AlertDispatcher>(c.alerting);
  if (!dispatcher_->Start(error)) {
    error = "alerting: " + error;
    return false;
  }
  OutputStageOptions oo;
  oo.workers = c.workers;
  oo.queue_capacity = c.output.queue_records;
  // Live, a worker that waited for the output stage would make the kernel drop whole packets;
  // reading a file, waiting loses nothing.
  oo.when_full = source_->live() ? OutputQueue::WhenFull::kDrop : OutputQueue::WhenFull::kWait;
  oo.known_servers = c.storage.known_servers;
  oo.known_server_ttl = c.storage.known_server_ttl;
  OutputTargets targets;
  targets.ledger = &ledger_;
  targets.flow_log = &flow_log_;
  targets.alerts = &alerts_;
  targets.dispatcher = dispatcher_.get();
  targets.storage_counters = &storage_counters_;
  output_ = std::make_unique<OutputStage>(oo, c.detection, targets);

  app_config_.digests = options_.flow_digests;
  app_config_.http.max_start_line = c.http.max_start_line;
  app_config_.http.max_header_line = c.http.max_header_line;
  app_config_.http.max_headers = c.http.max_headers;
  app_config_.http.max_header_block = c.http.max_header_block;
  app_config_.http.max_pending_requests = c.http.max_pending_requests;
  app_config_.http.body_prefix_bytes = c.http.body_prefix_bytes;
  app_config_.storage.fingerprint = c.storage.fingerprint;
  app_config_.storage.sample_keys = c.storage.sample_keys;
  for (const auto& e : c.storage.endpoints) {
    storage::EndpointRule rule;
    rule.host_pattern = e.host;
    rule.port = e.port;
    rule.virtual_hosted = e.virtual_hosted;
    rule.provider = e.provider == "s3"           ? storage::Provider::kS3
                    : e.provider == "azure_blob" ? storage::Provider::kAzureBlob
                    : e.provider == "gcs"        ? storage::Provider::kGcs
                                                 : storage::Provider::kS3Compatible;
    app_config_.storage.endpoints.push_back(std::move(rule));
  }

  // Setting up nDPI takes about 25 ms of CPU per worker (its address trees), so the workers are
  // built in parallel, worker 0 on this thread: only its module initialises the libraries nDPI
  // shares between modules (libgcrypt), and the others skip that step.
  workers_.resize(c.workers);
  auto build = [&](size_t i) {
    WorkerOutputs outs;
    outs.queue = &output_->queue(i);
    outs.flow_log = flow_log_.is_open();
    workers_[i] = std::make_unique<Worker>(static_cast<int>(i), c, app_config_, outs,
                                           memory_budget_);
  };
  {
    std::vector<std::thread> builders;
    for (size_t i = 1; i < workers_.size(); ++i) builders.emplace_back(build, i);
    build(0);
    for (auto& t : builders) t.join();
  }
  for (const auto& w : workers_) {
    if (!w->classifier().ok()) {
      error = "cannot initialise nDPI";
      return false;
    }
  }
  // One worker runs on the capture thread. So does worker 0 of several when a thread each would
  // be more busy threads than CPUs: they would take turns on a core, each packet paying for the
  // hand-off (copy, cache misses, wake-ups) without any gain in parallelism.
  first_threaded_ = 1;
  if (fanout) {
    capture_splitter_ = std::make_unique<FlowSplitter>(workers_.size(), source_->link_type(), dl);
    source_->SetRecordSplitter(capture_splitter_.get());
    source_->SetPassedHook([q = &output_->queue(0)](TimestampNs t) { q->Advance(t); });
    for (size_t i = 1; i < workers_.size(); ++i) {
      lanes_.push_back(std::make_unique<Lane>(i, workers_.size(), dl, source_->link_type()));
      lanes_.back()->source = source_->OpenLane(i);
      lanes_.back()->source->SetRecordSplitter(&lanes_.back()->splitter);
      lanes_.back()->source->SetPassedHook([q = &output_->queue(i)](TimestampNs t) {
        q->Advance(t);
      });
    }
    spdlog::debug("{} workers, each reading {} itself", workers_.size(), options_.capture.file);
  } else if (workers_.size() > 1) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    size_t cpus = sched_getaffinity(0, sizeof(allowed), &allowed) == 0
                      ? static_cast<size_t>(CPU_COUNT(&allowed))
                      : std::max(1u, std::thread::hardware_concurrency());
    first_threaded_ = workers_.size() + 1 > cpus ? 1 : 0;
    for (size_t i = first_threaded_; i < workers_.size(); ++i) {
      rings_.push_back(std::make_unique<PacketRing>(kRingBytes));
    }
    // A worker on this thread that waits for room in its output queue stops this thread; the
    // output stage may be waiting for the other workers' watermarks, which need this thread's
    // clock: hand it to them while waiting.
    for (size_t i = 0; i < first_threaded_; ++i) {
      output_->queue(i).SetWaitHook([this] { ClockRings(last_ts_); });
    }
    spdlog::debug("{} workers on {} CPUs: {}", workers_.size(), cpus,
                  first_threaded_ ? "worker 0 runs on the capture thread"
                                  : "each on its own thread");
  }
  // A --read run serves metrics only when it lingers for a scrape; live captures always do.
  if (!c.metrics.listen.empty() && (source_->live() || options_.linger_seconds > 0)) {
    metrics::MetricsServerOptions mo;
    mo.listen = c.metrics.listen;
    mo.stall_seconds = static_cast<int64_t>(c.metrics.stall_seconds);
    mo.request_timeout_seconds = static_cast<int64_t>(c.metrics.request_timeout_seconds);
    metrics_server_ = std::make_unique<metrics::MetricsServer>(
        mo, [this] { return Snapshot(); });
    if (!metrics_server_->Start(error)) {
      error = "metrics: " + error;
      return false;
    }
    spdlog::info("metrics on http://{}/metrics", c.metrics.listen);
  }
  // Everything that runs is open now, so what it holds is what the sensor needs to run.
  if (!memory_budget_.Plan(c.memory_cap_bytes, c.detection.memory_bytes,
                           rings_.size() * kRingBytes + source_->buffer_bytes(), c.workers,
                           error)) {
    usage_error = true;
    return false;
  }
  const MemoryBudget::Parts& mp = memory_budget_.parts();
  spdlog::debug("memory: cap {} MiB = {} MiB to run + {} MiB detection + {} MiB margin + {} MiB "
                "connections", mp.cap >> 20, mp.fixed >> 20, mp.detection >> 20, mp.margin >> 20,
                mp.flows >> 20);
  return true;
}

void Sensor::Reload() {
  reload_.store(false, std::memory_order_relaxed);
  auto loaded = config::LoadConfig(options_.config_path, options_.config_sets);
  if (!loaded.ok) {
    ++reload_failures_;
    spdlog::error("config reload rejected, keeping the running config: {}", loaded.error);
    return;
  }
  ++reloads_;
  config::Config next = loaded.config;
  if (next.detection.memory_bytes != options_.config.detection.memory_bytes) {
    // Its share of memory_cap_mib was planned at start; changing it now could pass the cap.
    spdlog::warn("config reload: detection.memory_mib applies at the next restart");
    next.detection.memory_bytes = options_.config.detection.memory_bytes;
  }
  options_.config.detection = next.detection;
  output_->Reconfigure(next.detection);
  options_.config.log.level = next.log.level;
  SetLogLevel(next.log.level);
  spdlog::info("config reloaded from {} (log level {}, detection rules); capture, worker and "
               "memory settings apply at the next restart",
               options_.config_path.empty() ? "the embedded default" : options_.config_path,
               next.log.level);
}

void Sensor::Linger() {
  if (options_.linger_seconds <= 0) return;
  spdlog::info("input done; lingering {} s (SIGTERM ends it)", options_.linger_seconds);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(options_.linger_seconds);
  while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Sensor::RequestStop() {
  stop_.store(true, std::memory_order_relaxed);
  if (source_) source_->BreakLoop();
}

void Sensor::ProcessInline(const decode::PacketMeta& meta) { workers_[0]->Process(meta); }

void Sensor::Dispatch(const decode::PacketMeta& meta) {
  size_t index = WorkerOf(meta, workers_.size());
  if (index < first_threaded_) {
    workers_[index]->Process(meta);
    return;
  }
  PacketRing& ring = *rings_[index - first_threaded_];
  while (!ring.TryPushPacket(meta)) {
    // The worker is behind: make what we pushed visible and wait for room. Live, the kernel
    // buffer absorbs the stall (and counts drops); offline, nothing is lost. The others get the
    // clock first: this worker may be waiting on the output stage, which may be waiting for
    // their watermarks.
    ClockAll(last_ts_);
    ring.Publish(true);
    ++ring_waits_;
    ring.WaitForRoom();
  }
  if (ring.unpublished() >= kPublishBatch) ring.Publish();
}

void Sensor::ClockAll(TimestampNs now) {
  for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->AdvanceClock(now);
  ClockRings(now);
}

void Sensor::ClockRings(TimestampNs now) {
  last_clock_ns_ = metrics::CoarseSteadyNowNs();
  for (auto& ring : rings_) {
    // A full ring's worker has packets to move its clock with.
    if (ring->TryPushTick(now, RecordKind::kClock)) ring->Publish(true);
  }
}

void Sensor::TickAll(TimestampNs now) {
  decoder_->ExpireFragments(now);
  for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->Tick(now);
  for (auto& ring : rings_) {
    while (!ring->TryPushTick(now)) {
      ring->Publish(true);
      ring->WaitForRoom();
    }
    ring->Publish(true);
  }
}

void Sensor::WorkerLoop(size_t index) {
  Worker& worker = *workers_[first_threaded_ + index];
  PacketRing& ring = *rings_[index];
  PacketRing::Record rec;
  for (;;) {
    int n = 0;
    while (ring.TryPop(rec)) {
      if (rec.kind == RecordKind::kPacket) {
        worker.Process(rec.meta);
      } else if (rec.kind == RecordKind::kTick) {
        worker.Tick(rec.tick);
      } else if (rec.kind == RecordKind::kClock) {
        worker.AdvanceClock(rec.tick);
      }
      if (++n == kPublishBatch) {
        ring.Release();
        n = 0;
      }
    }
    ring.Release();
    if (ring.closed() && ring.empty()) break;
    ring.WaitForData();
  }
  // Nothing more comes before the drain at the end, which is stamped with the latest time.
  output_->queue(first_threaded_ + index).Advance(OutputQueue::kForever);
}

void Sensor::LaneLoop(size_t index) {
  Lane& lane = *lanes_[index];
  Worker& worker = *workers_[index + 1];
  capture::RawPacket raw;
  decode::PacketMeta meta;
  TimestampNs last_ts = 0;
  TimestampNs last_tick = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    // The end, or an error the capture thread meets at the same record and reports.
    if (lane.source->Next(raw) != capture::NextStatus::kPacket) break;
    // Ticked by the times of its own packets and of the chunks it passed over, so its clock
    // keeps up with the file's as the capture thread's does (TickAll): between two of its own
    // packets nothing reaches its flows, so what expires at the next tick expires as it would
    // there, only noticed later.
    if (raw.ts > last_ts) last_ts = raw.ts;
    if (raw.passed_latest > last_ts) last_ts = raw.passed_latest;
    worker.AdvanceClock(last_ts);
    if (last_ts - last_tick >= kTickInterval) {
      lane.decoder.ExpireFragments(last_ts);
      worker.Tick(last_ts);
      last_tick = last_ts;
    }
    if (lane.decoder.Decode(raw.link_type, raw.data, raw.wire_length, raw.ts, meta,
                            decode::FrameHint::FromByte(raw.hint)) != decode::DecodeStatus::kOk) {
      continue;
    }
    worker.Process(meta);
  }
  lane.source->StopReading();  // stopped early: the other lanes must not wait for this one
  // Nothing more comes before the drain at the end, which is stamped with the latest time.
  output_->queue(index + 1).Advance(OutputQueue::kForever);
}

std::vector<const decode::Decoder*> Sensor::Decoders() const {
  std::vector<const decode::Decoder*> all{decoder_.get()};
  for (const auto& lane : lanes_) all.push_back(&lane->decoder);
  return all;
}

void Sensor::StopWorkers(TimestampNs now) {
  for (auto& r : rings_) r->Close();
  // The workers on this thread are done too: a threaded one still handing records to the output
  // stage must not wait for their watermarks.
  for (size_t i = 0; i < first_threaded_; ++i) output_->queue(i).Advance(OutputQueue::kForever);
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Flows still open end now, every worker at the same (latest) time.
  for (auto& w : workers_) w->Drain(now);
  output_->Finish(now);
}

int Sensor::Run() {
  auto wall_start = std::chrono::steady_clock::now();
  const std::vector<int>& cpus = options_.config.cpu_affinity;
  for (size_t i = 0; i < rings_.size(); ++i) {
    threads_.emplace_back([this, i, &cpus] {
      PinCurrentThread(cpus, 1 + i, "worker");
      WorkerLoop(i);
    });
  }
  for (size_t i = 0; i < lanes_.size(); ++i) {
    threads_.emplace_back([this, i, &cpus] {
      PinCurrentThread(cpus, 1 + i, "worker");
      LaneLoop(i);
    });
  }
  // Before the capture thread is pinned: the output thread must not inherit its CPU.
  output_->Start();
  PinCurrentThread(cpus, 0, "capture");

  const decode::LinkType link = source_->link_type();
  const bool live = source_->live();
  if (live) {
    spdlog::info("capturing on {} (link type {}, snaplen {}, {} worker{})", source_->description(),
                 static_cast<int>(link), options_.capture.snaplen, workers_.size(),
                 workers_.size() == 1 ? "" : "s");
  }
  capture::RawPacket raw;
  decode::PacketMeta meta;
  bool failed = false;
  capture_status_.Start();
  while (!stop_.load(std::memory_order_relaxed)) {
    if (reload_.load(std::memory_order_relaxed)) Reload();
    capture::NextStatus st = source_->Next(raw);
    if (raw.passed > 0) {
      // File fanout: frames the other workers took (they count nothing of the capture).
      packets_ += raw.passed;
      bytes_ += raw.passed_wire_bytes;
      capture_status_.Packet(raw.passed_wire_bytes, raw.passed);
      if (raw.passed_latest > last_ts_) last_ts_ = raw.passed_latest;
    }
    if (st == capture::NextStatus::kPacket) {
      ++packets_;
      bytes_ += raw.wire_length;
      if ((++frames_read_ & 1023) == 0) memory_budget_.Poll();
      capture_status_.Packet(raw.wire_length);
      if (first_ts_ == 0) first_ts_ = raw.ts;
      // Packet time never runs backwards for the workers, whatever the capture's order.
      if (raw.ts > last_ts_) last_ts_ = raw.ts;
      if (last_ts_ - last_tick_ >= kTickInterval) {
        TickAll(last_ts_);
        last_tick_ = last_ts_;
      }
      auto status = decoder_->Decode(raw.link_type, raw.data, raw.wire_length, raw.ts, meta,
                                     decode::FrameHint::FromByte(raw.hint));
      if (status != decode::DecodeStatus::kOk) continue;
      meta.wire_length = raw.wire_length;
      if (rings_.empty()) {
        ProcessInline(meta);
      } else {
        Dispatch(meta);
      }
      for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->AdvanceClock(last_ts_);
      if (!rings_.empty() && metrics::CoarseSteadyNowNs() - last_clock_ns_ >= kClockIntervalNs) {
        ClockAll(last_ts_);
      }
    } else if (st == capture::NextStatus::kTimeout) {
      capture_status_.Beat();
      memory_budget_.Poll();
      for (auto& r : rings_) r->Publish(true);
      // Idle live link: wall-clock time still passes for timeouts.
      TimestampNs now = WallClockNs();
      if (now - last_tick_ >= kTickInterval) {
        TickAll(now);
        capture::KernelStats ks;
        if (source_->Stats(ks)) capture_status_.SetKernelStats(ks.kernel_drops, ks.interface_drops);
        const capture::LinkEvents& le = source_->link_events();
        capture_status_.SetLinkEvents(le.interface_down, le.resumed, le.reopens,
                                      le.reopen_failures);
        last_tick_ = now;
        if (now > last_ts_) last_ts_ = now;
      }
      ClockAll(last_ts_);
    } else if (st == capture::NextStatus::kEnd) {
      capture_status_.Finish();
      break;
    } else {
      capture_error_ = source_->error();
      capture_status_.Fail(capture_error_);
      failed = true;
      break;
    }
  }
  if (live && source_->Stats(kernel_stats_)) {
    capture_status_.SetKernelStats(kernel_stats_.kernel_drops, kernel_stats_.interface_drops);
  }
  // The last link events: the loop passes them on only at idle ticks, and a scrape during the
  // drain or the report must not see older ones than --stats-json prints.
  const capture::LinkEvents& events = source_->link_events();
  capture_status_.SetLinkEvents(events.interface_down, events.resumed, events.reopens,
                                events.reopen_failures);
  source_->StopReading();
  StopWorkers(last_ts_);
  stopped_.store(true, std::memory_order_release);
  if (!live && !stop_.load(std::memory_order_relaxed)) Linger();
  ledger_.Close();
  flow_log_.Flush();
  alerts_.Flush();
  // Queued alerts get a bounded time to go out; the spool keeps the rest for the next start.
  dispatcher_->Drain(std::chrono::milliseconds(options_.config.alerting.drain_timeout_ms));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (failed) {
    spdlog::error("{}: {} (processed the {} packets before it)", source_->description(),
                  capture_error_, packets_);
  }
  // One snapshot for both: the summary and the file cannot disagree.
  metrics::SensorSnapshot snapshot = Snapshot();
  snapshot.capture.seconds = seconds;
  if (options_.summary) std::fputs(SummaryText(snapshot).c_str(), stderr);
  if (!options_.stats_json.empty()) {
    std::ofstream out(options_.stats_json);
    out << StatsJson(snapshot) << "\n";
    if (!out) {
      spdlog::error("cannot write {}", options_.stats_json);
      return 1;
    }
  }
  return failed ? 1 : 0;
}

metrics::SensorSnapshot Sensor::Snapshot() const {
  metrics::SensorSnapshot s;
  // Pairs with Run's release store: once it is seen, every thread that wrote the end-of-run
  // state has stopped, and that state may be read from here.
  s.stopped = stopped_.load(std::memory_order_acquire);
  s.build.version = BW_VERSION;
  s.build.compiler = "gcc " __VERSION__;
  s.build.build_type = BW_BUILD_TYPE_STRING;
  capture_status_.Fill(s.capture);
  s.capture.source = source_->description();
  s.capture.live = source_->live();
  s.capture.readers = 1 + lanes_.size();
  for (const auto& w : workers_) {
    const WorkerCounters& wc = w->counters();
    metrics::AddWorker(s, {w->id(), Load(wc.packets), Load(wc.bytes), &w->flow_counters(),
                           &w->reassembly(), &w->app_counters(), nullptr, Load(wc.tcp_packets),
                           Load(wc.udp_packets), Load(wc.other_packets),
                           s.stopped ? &w->protocols() : nullptr});
  }
  // Storage requests are counted once for all workers (StorageRequestCounters is thread-safe).
  metrics::AddStorage(s, storage_counters_);
  metrics::AddDecodeDrops(s, drops_);
  for (const auto& lane : lanes_) metrics::AddDecodeDrops(s, lane->drops);
  s.decode.tcp_checksum.mode = options_.config.decode.tcp_checksum;
  if (output_) {
    for (size_t i = 0; i < output_->workers(); ++i) {
      const OutputQueue& q = output_->queue(i);
      s.output.records += Load(q.counters().pushed);
      s.output.records_dropped += Load(q.counters().dropped);
      s.output.queue_waits += Load(q.counters().waits);
      s.output.queued += q.size();
    }
    const OutputStageCounters& oc = output_->counters();
    s.output.batches = Load(oc.batches);
    s.output.alert_batches = Load(oc.alert_batches);
    s.output.known_server_candidates = Load(oc.candidates);
    s.output.known_server_requests = Load(oc.candidates_storage);
    s.alert_totals.raised = Load(oc.alerts_raised);
  }
  s.alert_totals.lines = alerts_.lines_written();
  s.alert_totals.write_errors = alerts_.write_errors();
  s.ledger = {.lines = ledger_.lines_written(),
              .write_errors = ledger_.write_errors(),
              .rotations = ledger_.rotations(),
              .files_compressed = ledger_.files_compressed(),
              .compress_errors = ledger_.compress_errors()};
  s.config_reloads = reloads_.load(std::memory_order_relaxed);
  s.config_reload_failures = reload_failures_.load(std::memory_order_relaxed);
  s.flows.memory_cap_bytes = memory_budget_.flows_share();
  s.process = metrics::ReadProcessSnapshot();
  const MemoryBudget::Parts& mp = memory_budget_.parts();
  s.process.memory_cap_bytes = mp.cap;
  s.process.memory_to_run_bytes = mp.fixed;
  s.process.memory_margin_bytes = mp.margin;
  s.process.memory_pressure_polls = memory_budget_.pressure_polls();
  if (output_) {
    detect::DetectionStats d = output_->DetectionStats();
    s.detection = {.storage_events = d.storage_events,
                   .tracked_activities = d.tracked_activities,
                   .tracked_clients = d.tracked_clients,
                   .tracked_dedup = d.tracked_dedup,
                   .tracked_flows = d.tracked_flows,
                   .evicted_activities = d.evicted_activities,
                   .evicted_clients = d.evicted_clients,
                   .evicted_dedup = d.evicted_dedup,
                   .evicted_flows = d.evicted_flows,
                   .evicted_probe_names = d.evicted_probe_names,
                   .evicted_memory = d.evicted_memory,
                   .memory_bytes = d.memory_bytes,
                   .memory_cap_bytes = options_.config.detection.memory_bytes};
    for (size_t r = 0; r < detect::kRuleCount; ++r) {
      const char* rule = detect::RuleName(static_cast<detect::Rule>(r));
      for (size_t v = 0; v < detect::kSeverityCount; ++v) {
        metrics::AddAlerts(s, rule, detect::SeverityName(static_cast<detect::Severity>(v)),
                           d.alerts[r][v]);
      }
      metrics::AddSuppressed(s, rule, d.suppressed[r]);
    }
  }
  if (dispatcher_) {
    output::DispatcherCounters dc = dispatcher_->Counters();
    for (const auto& k : dc.sinks) {
      s.sinks.push_back({k.name, k.type, k.delivered, k.failed_attempts, k.retries,
                         k.queue_depth, k.pending, k.dropped_from_memory});
    }
    s.spool = {.alerts = dc.spool.alerts,
               .bytes = dc.spool.bytes,
               .evicted = dc.spool.evicted,
               .write_errors = dc.spool.write_errors,
               .memory_only = dc.spool.memory_only};
  }
  if (s.stopped) {
    // The whole message: CaptureStatus keeps a cut copy only so that it can hand it across
    // threads without a lock.
    s.capture.error = capture_error_;
    s.capture.ring_waits = ring_waits_;
    s.capture.pcapng_blocks_skipped = source_->pcapng_blocks_skipped();
    // Fragments: every decoder of a fanout sees all of them, so the capture thread's counts are
    // the totals. Checksums: each verifies its own packets.
    s.decode.fragments_reassembled = decoder_->fragments_reassembled();
    s.decode.fragments_stored = decoder_->fragments_stored();
    for (const decode::Decoder* d : Decoders()) metrics::AddTcpChecksum(s, d->tcp_checksum());
    if (output_) s.output.known_servers = output_->known_servers();
  }
  return s;
}

}  // namespace bw::pipeline
