#include "sensor/pipeline/sensor.h"

#include <pwd.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "sensor/config/reload_scope.h"
#include "sensor/pipeline/file_lane.h"
#include "sensor/pipeline/process.h"
#include "sensor/pipeline/run_report.h"

namespace bw::pipeline {

namespace {

std::vector<storage::EndpointRule> EndpointRules(const config::Config& c) {
  std::vector<storage::EndpointRule> rules;
  for (const auto& e : c.storage.endpoints) {
    storage::EndpointRule rule;
    rule.host_pattern = e.host;
    rule.port = e.port;
    rule.virtual_hosted = e.virtual_hosted;
    rule.provider = e.provider == "s3"           ? storage::Provider::kS3
                    : e.provider == "azure_blob" ? storage::Provider::kAzureBlob
                    : e.provider == "gcs"        ? storage::Provider::kGcs
                                                 : storage::Provider::kS3Compatible;
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// The uid the sensor runs as once it gave up root (--user: a name or a number), else its own:
// besides root, the only owner a key log may have. main() checked that the user exists.
uid_t RunUid(const std::string& user) {
  if (user.empty()) return ::geteuid();
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found) == 0 && found) return pw.pw_uid;
  return static_cast<uid_t>(std::strtoul(user.c_str(), nullptr, 10));
}

// Per worker. Small enough to stay mostly in cache and to cost few page faults to bring in
// (the first pass over a 32 MiB ring cost more CPU than the packets it carried in a short
// run); bursts beyond it wait in the kernel's capture buffer (capture.buffer_mib).
constexpr size_t kRingBytes = 4u << 20;

}  // namespace

Sensor::Sensor(SensorOptions options) : options_(std::move(options)) {
  if (options_.stop_after != StopAfter::kNothing) {
    // A run cut short has no ledger to give; the file must not look like an empty run's.
    options_.config.output.ledger.clear();
    options_.cli_overrides.ledger.clear();
  }
}

Sensor::~Sensor() {
  if (metrics_server_) metrics_server_->Stop();
  for (auto& r : rings_) r->Close();
  if (output_) {
    for (size_t i = 0; i < output_->workers(); ++i)
      output_->queue(i).Advance(OutputQueue::kForever);
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

RunUserPaths Sensor::PathsForRunUser() const {
  const config::Config& c = options_.config;
  RunUserPaths p;
  if (!c.alerting.sinks.empty()) p.owned_dirs.push_back(c.alerting.spool_dir);
  if (ledger_sink_) p.owned_dirs.push_back(c.ledger.clickhouse.queue_dir);
  if (state_file_) p.owned_dirs.push_back(c.state.dir);
  auto file = [&](const std::string& path) {
    if (!path.empty() && path != "-") p.files.push_back(path);
  };
  file(c.output.ledger);
  file(c.output.alerts);
  file(options_.flow_log);
  file(options_.http_log);
  if (!c.output.ledger.empty() && c.output.ledger != "-") {
    struct stat st {};
    // A ledger on a device or a pipe is not rotated.
    if (::stat(c.output.ledger.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      std::string dir = std::filesystem::path(c.output.ledger).parent_path().string();
      p.writable_dirs.push_back(dir.empty() ? "." : dir);
    }
  }
  return p;
}

void Sensor::RestoreState() {
  state::ParseResult saved;
  std::string message;
  switch (state_file_->Load(saved, message)) {
    case state::StateFile::LoadStatus::kNone:
      spdlog::info("state: no {} yet; it is written every {} s and at exit", state_file_->path(),
                   options_.config.state.save_interval / kNsPerSecond);
      return;
    case state::StateFile::LoadStatus::kRejected:
      spdlog::warn("state: {}", message);
      return;
    case state::StateFile::LoadStatus::kLoaded:
      break;
  }
  output_->Restore(saved.state);
  spdlog::info(
      "state: restored {} known storage servers and {} alert dedup windows ({} buckets "
      "known exposed) from {}{}",
      saved.state.known_servers.size(), saved.state.dedup.size(),
      saved.state.exposures.buckets.size(), state_file_->path(),
      saved.skipped ? fmt::format(" ({} malformed entries skipped)", saved.skipped) : "");
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
  if (!c.ledger.clickhouse.url.empty() && options_.stop_after == StopAfter::kNothing) {
    clickhouse::LedgerSinkOptions so;
    if (!clickhouse::LedgerSinkOptions::FromConfig(c.ledger.clickhouse, so, error)) return false;
    ledger_sink_ = std::make_unique<clickhouse::LedgerSink>(std::move(so));
    if (!ledger_sink_->Start(error)) {
      error = "ledger.clickhouse: " + error;
      return false;
    }
    spdlog::info("clickhouse: ledger rows go to {}", ledger_sink_->target());
  }
  if (!options_.flow_log.empty() && !flow_log_.Open(options_.flow_log, error)) return false;
  if (!options_.http_log.empty() && !http_log_.Open(options_.http_log, error)) return false;
  if (!c.output.alerts.empty() && !alerts_.Open(c.output.alerts, error)) return false;
  dispatcher_ = std::make_unique<output::AlertDispatcher>(c.alerting);
  if (!dispatcher_->Start(error)) {
    error = "alerting: " + error;
    return false;
  }
  app_config_.storage.endpoints = EndpointRules(c);
  observer_ = event::ResolveObserver(c.sensor.name);
  OutputStageOptions oo;
  oo.workers = c.workers;
  oo.queue_capacity = c.output.queue_records;
  // Live, a worker that waited for the output stage would make the kernel drop whole packets;
  // reading a file, waiting loses nothing.
  oo.when_full = source_->live() ? OutputQueue::WhenFull::kDrop : OutputQueue::WhenFull::kWait;
  oo.known_servers = c.storage.known_servers;
  oo.known_server_ttl = c.storage.known_server_ttl;
  oo.storage_endpoints = app_config_.storage.endpoints;
  oo.state_save_interval = c.state.save_interval;
  oo.observer = observer_;
  if (!c.state.dir.empty()) {
    state_file_ = std::make_unique<state::StateFile>(c.state.dir, c.state.max_bytes);
    if (!state_file_->Prepare(error)) return false;
  }
  OutputTargets targets;
  targets.ledger = &ledger_;
  targets.ledger_sink = ledger_sink_.get();
  targets.flow_log = &flow_log_;
  targets.http_log = &http_log_;
  targets.alerts = &alerts_;
  targets.dispatcher = dispatcher_.get();
  targets.storage_counters = &storage_counters_;
  targets.state = state_file_.get();
  output_ = std::make_unique<OutputStage>(oo, c.detection, targets);
  if (state_file_) RestoreState();

  if (!c.tls.keylog.empty()) {
    key_store_ = std::make_unique<tls::SharedKeyStore>(
        tls::KeyLogStoreLimits{static_cast<size_t>(c.tls.max_keys)});
    tls::KeyLogSourceOptions ko;
    ko.paths = c.tls.keylog;
    ko.allow_insecure_permissions = c.tls.keylog_allow_insecure_permissions;
    ko.run_uid = RunUid(options_.capture.user);
    ko.follow = source_->live();
    key_log_ = std::make_unique<tls::KeyLogSource>(ko, *key_store_);
    // A key log refused (permissions, a missing path) is a configuration error: exit 2.
    if (!key_log_->Open(error)) {
      usage_error = true;
      return false;
    }
    // Every key there is now, before the first packet (a --read run gets no other chance).
    key_log_->LoadAll();
    key_source_ = std::make_unique<KeyStoreSource>(*key_store_);
    app_config_.tls_keys = key_source_.get();
    app_config_.tls_decrypt.wait_buffer_bytes = static_cast<size_t>(c.tls.wait_buffer_bytes);
    app_config_.tls_key_wait = c.tls.key_wait;
  }

  app_config_.digests = options_.flow_digests;
  app_config_.http_log = http_log_.is_open();
  app_config_.http.max_start_line = c.http.max_start_line;
  app_config_.http.max_header_line = c.http.max_header_line;
  app_config_.http.max_headers = c.http.max_headers;
  app_config_.http.max_header_block = c.http.max_header_block;
  app_config_.http.max_pending_requests = c.http.max_pending_requests;
  app_config_.http.body_prefix_bytes = c.http.body_prefix_bytes;
  app_config_.storage.fingerprint = c.storage.fingerprint;
  app_config_.storage.sample_keys = c.storage.sample_keys;
  app_config_.recognise = options_.stop_after > StopAfter::kParse;

  // Setting up nDPI takes about 25 ms of CPU per worker (its address trees), so the workers are
  // built in parallel, worker 0 on this thread: only its module initialises the libraries nDPI
  // shares between modules (libgcrypt), and the others skip that step.
  workers_.resize(c.workers);
  auto build = [&](size_t i) {
    WorkerOutputs outs;
    outs.queue = &output_->queue(i);
    outs.flow_log = flow_log_.is_open();
    outs.dissect = options_.stop_after > StopAfter::kFlows;
    outs.hand_on = options_.stop_after > StopAfter::kRecognise;
    workers_[i] =
        std::make_unique<Worker>(static_cast<int>(i), c, app_config_, outs, memory_budget_);
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
      lanes_.back()->source->SetPassedHook(
          [q = &output_->queue(i)](TimestampNs t) { q->Advance(t); });
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
    spdlog::debug(
        "{} workers on {} CPUs: {}", workers_.size(), cpus,
        first_threaded_ ? "worker 0 runs on the capture thread" : "each on its own thread");
  }
  // A --read run serves metrics only when it lingers for a scrape; live captures always do.
  if (!c.metrics.listen.empty() && (source_->live() || options_.linger_seconds > 0)) {
    metrics::MetricsServerOptions mo;
    mo.listen = c.metrics.listen;
    mo.stall_seconds = static_cast<int64_t>(c.metrics.stall_seconds);
    mo.request_timeout_seconds = static_cast<int64_t>(c.metrics.request_timeout_seconds);
    metrics_server_ = std::make_unique<metrics::MetricsServer>(mo, [this] { return Snapshot(); });
    if (!metrics_server_->Start(error)) {
      error = "metrics: " + error;
      return false;
    }
    spdlog::info("metrics on http://{}/metrics", c.metrics.listen);
  }
  // Everything that runs is open now, so what it holds is what the sensor needs to run.
  if (!memory_budget_.Plan(c.memory_cap_bytes, c.detection.memory_bytes,
                           rings_.size() * kRingBytes + source_->buffer_bytes() +
                               (key_store_ ? key_store_->capacity_bytes() : 0),
                           c.workers, error)) {
    usage_error = true;
    return false;
  }
  const MemoryBudget::Parts& mp = memory_budget_.parts();
  spdlog::debug(
      "memory: cap {} MiB = {} MiB to run + {} MiB detection + {} MiB margin + {} MiB "
      "connections",
      mp.cap >> 20, mp.fixed >> 20, mp.detection >> 20, mp.margin >> 20, mp.flows >> 20);
  return true;
}

void Sensor::Reload() {
  reload_.store(false, std::memory_order_relaxed);
  // Whatever becomes of the config: a log rotation moves the files away and sends SIGHUP.
  output_->RequestFileCheck();
  const std::string source =
      options_.config_path.empty() ? "the embedded default" : options_.config_path;
  auto loaded = config::LoadConfig(options_.config_path, options_.config_sets);
  if (!loaded.ok) {
    ++reload_failures_;
    spdlog::error("config reload rejected, keeping the running config: {}", loaded.error);
    return;
  }
  config::Config next = loaded.config;
  options_.cli_overrides.ApplyTo(next);
  // All or nothing: a change the running sensor cannot take makes the whole reload fail, so
  // "reloaded" always means every change in the file is in force.
  const config::ReloadChanges changes = config::CompareForReload(options_.config, next);
  const std::vector<std::string>& restart = changes.restart_only;
  if (!restart.empty()) {
    ++reload_failures_;
    spdlog::error(
        "config reload rejected, keeping the running config: {} changed in {}, which applies "
        "only at a restart (restart the sensor, or undo the change and reload)",
        Join(restart), source);
    return;
  }
  const std::vector<std::string>& changed = changes.reloadable;
  // The sinks first: the one change that can still fail (a CA file, the spool), and then
  // nothing else is applied either.
  if (std::find(changed.begin(), changed.end(), "alerting") != changed.end()) {
    std::string error;
    if (!dispatcher_->Reconfigure(next.alerting, error)) {
      ++reload_failures_;
      spdlog::error("config reload rejected, keeping the running config: alerting: {}", error);
      return;
    }
    options_.config.alerting = next.alerting;
  }
  ++reloads_;
  config::Config& c = options_.config;
  c.detection = next.detection;
  c.storage = next.storage;
  c.log = next.log;
  app_config_.storage.endpoints = EndpointRules(c);
  app_config_.storage.fingerprint = c.storage.fingerprint;
  app_config_.storage.sample_keys = c.storage.sample_keys;
  for (auto& w : workers_) {
    w->ReconfigureStorage(app_config_.storage, c.storage.known_servers, c.storage.known_server_ttl);
  }
  c.ledger = next.ledger;
  output_->Reconfigure({c.detection, app_config_.storage.endpoints, c.storage.known_servers,
                        c.storage.known_server_ttl, c.ledger});
  SetLogLevel(c.log.level);
  spdlog::info("config reloaded from {}: {}", source,
               changed.empty() ? std::string("nothing changed") : "applied " + Join(changed));
}

void Sensor::Linger() {
  if (options_.linger_seconds <= 0) return;
  spdlog::info("input done; lingering {} s (SIGTERM ends it)", options_.linger_seconds);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(options_.linger_seconds);
  while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Sensor::RequestStop(int signal) {
  int none = 0;
  if (signal != 0) stop_signal_.compare_exchange_strong(none, signal, std::memory_order_relaxed);
  stop_.store(true, std::memory_order_relaxed);
  if (source_) source_->BreakLoop();
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
  for (size_t i = 0; i < workers_.size(); ++i) {
    output_->queue(i).WaitWhenFull();
    workers_[i]->Drain(now);
  }
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
  // Live, keys keep arriving as connections open; a --read run loaded them all in Open().
  if (key_log_ && source_->live()) key_log_->Start();
  PinCurrentThread(cpus, 0, "capture");

  const bool failed = !CaptureLoop();
  source_->StopReading();
  StopWorkers(last_ts_);
  const double processing_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (key_log_) {
    key_log_->Stop();
    const tls::KeyLogSourceCounts k = key_log_->Counts();
    const tls::SharedKeyStoreCounts s = key_store_->Counts();
    spdlog::info(
        "tls.keylog: {} keys loaded from {} lines ({} malformed, {} overlong, {} read errors); "
        "{} connections' keys evicted at tls.max_keys, {} dropped at their end",
        k.keys_loaded, k.lines_read, k.malformed_lines, k.overlong_lines, k.read_errors,
        s.store.connections_evicted, s.store.connections_erased);
  }
  // Only now is every packet's result in the ledger, the alerts and the counters: a scrape that
  // sees "finished" (or "failed") sees all of it.
  if (input_ended_) capture_status_.Finish();
  if (failed) capture_status_.Fail(capture_error_);
  // A --read stopped before its input ended: what follows in the file was not read. (A live
  // capture is stopped that way normally; a lingering run ended its input first.)
  const bool interrupted = !source_->live() && !input_ended_ && !failed;
  if (interrupted) {
    interrupted_by_ = stop_signal_.load(std::memory_order_relaxed);
    if (interrupted_by_ == 0) interrupted_by_ = -1;  // stopped, but not by a signal
  }
  stopped_.store(true, std::memory_order_release);
  if (!source_->live() && !stop_.load(std::memory_order_relaxed)) Linger();
  ledger_.Close();
  // The rows get a bounded time to reach ClickHouse; the disk queue keeps the rest.
  if (ledger_sink_) {
    ledger_sink_->Stop(
        std::chrono::milliseconds(options_.config.ledger.clickhouse.drain_timeout_ms));
  }
  flow_log_.Flush();
  http_log_.Flush();
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
  snapshot.capture.processing_seconds = processing_seconds;
  if (options_.summary) std::fputs(SummaryText(snapshot).c_str(), stderr);
  // Even with --quiet: what was lost, or left unread, is why the exit code is not 0.
  std::fputs(LossText(snapshot).c_str(), stderr);
  if (!options_.stats_json.empty()) {
    std::ofstream out(options_.stats_json);
    out << StatsJson(snapshot) << "\n";
    if (!out) {
      spdlog::error("cannot write {}", options_.stats_json);
      return 1;
    }
  }
  if (interrupted) return interrupted_by_ > 0 ? 128 + interrupted_by_ : 1;
  const RunLosses lost = Losses(snapshot);
  return failed || lost.ledger_lines > 0 || lost.clickhouse_rows > 0 || lost.alerts > 0 ? 1 : 0;
}

}  // namespace bw::pipeline
