#include "sensor/pipeline/output_stage.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <type_traits>

#include "sensor/detect/alert.h"
#include "sensor/output/flow_record.h"
#include "sensor/output/http_log_record.h"
#include "sensor/output/ledger_record.h"

namespace bw::pipeline {

namespace {

// Detection expires windows and dedup entries about once a second of packet time, as the
// capture thread's ticks did.
constexpr TimestampNs kAdvanceInterval = kNsPerSecond;
// Records merged before the alerts they raised go to the spool together: a bigger batch means
// fewer fsyncs in a storm, a smaller one less delay before the first alert leaves.
constexpr size_t kBatchRecords = 1024;
// How long the stage sleeps with nothing ready. Bounds how late it notices watermarks move (a
// record waits for an idle worker's clock), so it is part of the alert latency.
constexpr auto kIdleWait = std::chrono::milliseconds(1);
// The ledger batches its lines (output/ledger_file.h); this is the longest a line waits for the
// file, and what a crash can lose.
constexpr auto kLedgerFlushInterval = std::chrono::milliseconds(100);
// How often the stage looks whether its files were deleted or moved away: what a deleted ledger
// received since the last look is copied to its successor, so this bounds that copy, not a loss.
constexpr auto kFileCheckInterval = std::chrono::seconds(1);

void Bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

OutputStage::OutputStage(const OutputStageOptions& options,
                         const config::DetectionConfig& detection, OutputTargets targets)
    : targets_(targets),
      detection_(detection, *this),
      known_(options.known_servers, options.known_server_ttl),
      state_save_interval_(options.state_save_interval),
      observer_(options.observer) {
  detection_.SetStorageEndpoints(options.storage_endpoints);
  for (size_t i = 0; i < std::max<size_t>(1, options.workers); ++i) {
    queues_.push_back(
        std::make_unique<OutputQueue>(options.queue_capacity, options.when_full, doorbell_));
  }
  last_candidate_storage_.assign(queues_.size(), 0);
}

OutputStage::~OutputStage() {
  if (thread_.joinable()) {
    for (auto& q : queues_) q->Advance(OutputQueue::kForever);
    Finish(end_);
  }
}

void OutputStage::Restore(const state::LearnedState& state) {
  known_.Restore(state.known_servers);
  detection_.RestoreDedup(state.dedup);
  detection_.RestoreWindows(state.windows);
  detection_.RestoreExposures(state.exposures);
}

void OutputStage::Start() {
  next_state_save_ = std::chrono::steady_clock::now() + state_save_interval_;
  thread_ = std::thread([this] { Run(); });
}

void OutputStage::Finish(TimestampNs end) {
  if (!thread_.joinable()) return;
  end_ = end;
  finishing_.store(true, std::memory_order_release);
  doorbell_.Ring();
  thread_.join();
}

void OutputStage::Reconfigure(Reconfiguration next) {
  std::lock_guard lock(reconfigure_mu_);
  next_ = std::move(next);
  reconfigure_.store(true, std::memory_order_release);
}

void OutputStage::RequestFileCheck() {
  check_files_.store(true, std::memory_order_release);
  doorbell_.Ring();
}

void OutputStage::CheckFiles() {
  files_checked_ = std::chrono::steady_clock::now();
  if (targets_.ledger) targets_.ledger->CheckPath();
  for (output::LineWriter* w : {targets_.flow_log, targets_.http_log, targets_.alerts}) {
    if (w) w->CheckPath();
  }
}

void OutputStage::Run() {
  files_checked_ = std::chrono::steady_clock::now();
  for (;;) {
    if (check_files_.exchange(false, std::memory_order_acq_rel) ||
        std::chrono::steady_clock::now() - files_checked_ >= kFileCheckInterval) {
      CheckFiles();
    }
    if (reconfigure_.load(std::memory_order_acquire)) {
      std::lock_guard lock(reconfigure_mu_);
      if (next_) {
        detection_.Reconfigure(next_->detection);
        detection_.SetStorageEndpoints(std::move(next_->storage_endpoints));
        known_.SetLimits(next_->known_servers, next_->known_server_ttl);
        if (targets_.ledger && targets_.ledger->is_open()) {
          const auto o = output::LedgerFileOptions::FromConfig(next_->ledger);
          targets_.ledger->SetRotation(o.rotate_bytes, o.rotate_interval, o.compress);
        }
      }
      next_.reset();
      reconfigure_.store(false, std::memory_order_relaxed);
    }
    // Read before merging: if it was set, every producer had finished, so a round that then
    // handles nothing has handled everything.
    const bool finishing = finishing_.load(std::memory_order_acquire);
    size_t handled = MergeReady(kBatchRecords);
    FlushAlerts();
    const auto now = std::chrono::steady_clock::now();
    if (targets_.ledger_sink) targets_.ledger_sink->Tick(now);
    if (targets_.ledger && now - ledger_flushed_ >= kLedgerFlushInterval) {
      targets_.ledger->Flush();
      ledger_flushed_ = now;
    }
    if (targets_.state && now >= next_state_save_) {
      SaveState();
      next_state_save_ = std::chrono::steady_clock::now() + state_save_interval_;
    }
    if (handled > 0) {
      Bump(counters_.batches);
      continue;
    }
    if (finishing) break;
    // Nothing ready: time still passes for detection while every worker's clock moves on (a live
    // link gone quiet), as far as the slowest worker has promised.
    TimestampNs idle = IdleWatermark();
    if (idle != OutputQueue::kForever) AdvanceDetection(idle);
    FlushAlerts();
    doorbell_.Wait(kIdleWait);
  }
  if (end_ > advanced_) detection_.Advance(end_);
  FlushAlerts();
  if (targets_.ledger_sink) targets_.ledger_sink->Flush();
  // What a file deleted in the last second received is still to be moved to its successor.
  CheckFiles();
  SaveState();
}

void OutputStage::SaveState() {
  if (!targets_.state) return;
  // Open windows get half the file; servers and dedup entries, bounded by their caps, the rest.
  state::LearnedState learned{known_.Export(), detection_.ExportDedup(),
                              detection_.ExportWindows(targets_.state->max_bytes() / 2),
                              detection_.ExportExposures()};
  counters_.state_windows_left_out.fetch_add(learned.windows.left_out, std::memory_order_relaxed);
  std::string error;
  if (targets_.state->Save(state::Serialise(learned, advanced_), error)) {
    Bump(counters_.state_saves);
    state_error_logged_ = false;
    return;
  }
  Bump(counters_.state_save_errors);
  if (!state_error_logged_) {
    spdlog::error("state: {} (a restart now would forget what was learned since the last save)",
                  error);
    state_error_logged_ = true;
  }
}

TimestampNs OutputStage::IdleWatermark() const {
  TimestampNs low = OutputQueue::kForever;
  for (const auto& q : queues_) low = std::min(low, q->watermark());
  return low;
}

size_t OutputStage::MergeReady(size_t budget) {
  const size_t n = queues_.size();
  size_t handled = 0;
  while (handled < budget) {
    // Watermarks first, then the queues: a queue found empty after its watermark was read
    // cannot later deliver a record stamped below it.
    size_t best = n;
    TimestampNs best_stamp = 0;
    TimestampNs bound = OutputQueue::kForever;  // lowest watermark of the empty queues
    for (size_t i = 0; i < n; ++i) {
      TimestampNs w = queues_[i]->watermark();
      OutputRecord* front = queues_[i]->Front();
      if (front == nullptr) {
        bound = std::min(bound, w);
      } else if (best == n || front->stamp < best_stamp) {
        best = i;
        best_stamp = front->stamp;
      }
    }
    if (best == n || best_stamp > bound) break;
    // A SIGHUP's file check goes before the next record, not after the batch: a record a worker
    // pushed after the request (the capture thread read its packets after the signal) then goes
    // to the reopened file. One relaxed load per record.
    if (check_files_.load(std::memory_order_relaxed)) {
      check_files_.store(false, std::memory_order_relaxed);
      CheckFiles();
    }
    OutputRecord* record = queues_[best]->Front();
    Handle(*record, best);
    queues_[best]->Pop();
    ++handled;
  }
  return handled;
}

void OutputStage::Handle(OutputRecord& record, size_t queue) {
  if (record.stamp - advanced_ >= kAdvanceInterval) AdvanceDetection(record.stamp);
  std::visit(
      [this, queue](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, event::StorageRequest>) {
          HandleStorage(body);
        } else if constexpr (std::is_same_v<T, event::KnownServerCandidate>) {
          Bump(counters_.candidates);
          last_candidate_storage_[queue] = 0;
          auto provider = known_.Lookup(body.ctx.server_ip, body.ctx.server_port, body.ctx.end_ts);
          if (!provider) return;
          const size_t family = event::FamilyOf(*provider);
          if (family >= body.as.size()) return;
          last_candidate_storage_[queue] = 1;
          Bump(counters_.candidates_storage);
          storage::StorageEvent& as = body.as[family];
          as.provider = *provider;
          event::StorageRequest request{std::move(body.ctx), std::move(as)};
          HandleStorage(request);
        } else if constexpr (std::is_same_v<T, event::EncryptedFlowSummary>) {
          Bump(counters_.encrypted_summaries);
          detection_.OnEncryptedFlow(body);
        } else if constexpr (std::is_same_v<T, output::FlowRecord>) {
          Bump(counters_.flow_records);
          if (targets_.flow_log && targets_.flow_log->is_open()) {
            targets_.flow_log->Write(output::FormatFlowLine(body));
          }
        } else if constexpr (std::is_same_v<T, event::HttpLogEntry>) {
          Bump(counters_.http_log_records);
          if (targets_.http_log && targets_.http_log->is_open()) {
            targets_.http_log->Write(output::FormatHttpLogLine(body, IsStorage(body, queue)));
          }
        }
      },
      record.body);
}

// A candidate's entry follows the candidate in its worker's queue (the worker emits them one
// after the other), so it takes the decision the candidate got, whatever other workers' records
// were merged in between.
bool OutputStage::IsStorage(const event::HttpLogEntry& e, size_t queue) const {
  switch (e.storage) {
    case event::HttpLogEntry::Storage::kYes:
      return true;
    case event::HttpLogEntry::Storage::kNo:
      return false;
    case event::HttpLogEntry::Storage::kCandidate:
      break;
  }
  return last_candidate_storage_[queue] != 0;
}

void OutputStage::HandleStorage(event::StorageRequest& request) {
  const event::RequestContext& ctx = request.ctx;
  const storage::StorageEvent& ev = request.event;
  // The server spoke storage of its own accord: later requests to it that do not are storage too.
  if (storage::TeachesServer(ev.recognised_by)) {
    known_.Learn(ctx.server_ip, ctx.server_port, ev.provider, ctx.end_ts);
  }
  Bump(counters_.storage_requests);
  if (targets_.storage_counters) targets_.storage_counters->Count(ev);
  const bool file = targets_.ledger && targets_.ledger->is_open();
  if (file || targets_.ledger_sink) {
    const event::Observer* observer = observer_.empty() ? nullptr : &observer_;
    output::FormatLedgerLineTo(ledger_line_, ctx, ev, observer);
    if (file) targets_.ledger->Write(ledger_line_);
    // The row carries the hash of the line as formatted (the file's chain field left out): the
    // same request gives the same row from here and from `ledger-import`, and ClickHouse
    // collapses a row sent twice.
    if (targets_.ledger_sink) {
      output::Sha256HexTo(ledger_line_, line_hash_);
      targets_.ledger_sink->Add(ctx, ev, observer, line_hash_);
    }
  }
  detection_.OnStorageEvent(ctx, ev);
}

void OutputStage::AdvanceDetection(TimestampNs now) {
  if (now <= advanced_) return;
  advanced_ = now;
  detection_.Advance(now);
}

void OutputStage::OnAlert(const detect::Alert& alert) {
  Bump(counters_.alerts_raised);
  pending_alerts_.push_back(alert.ToJson(observer_.empty() ? nullptr : &observer_));
}

void OutputStage::FlushAlerts() {
  if (pending_alerts_.empty()) return;
  // The ledger lines behind these alerts reach the ledger file before the alerts leave: an
  // analyst paged for an alert finds its evidence there, and a crash after the page cannot
  // take it back out of the ledger's batch.
  if (targets_.ledger) targets_.ledger->Flush();
  // The spool first: once SubmitBatch returns the alerts are on disk (fsync'd) and will be
  // delivered whatever happens next. Written to the alerts file first, an alert a SIGKILL caught
  // in between was in the file but never delivered.
  if (targets_.dispatcher) {
    targets_.dispatcher->SubmitBatch(pending_alerts_);
    Bump(counters_.alert_batches);
  }
  if (targets_.alerts && targets_.alerts->is_open()) {
    for (const std::string& json : pending_alerts_) targets_.alerts->Write(json);
  }
  pending_alerts_.clear();
}

}  // namespace bw::pipeline
