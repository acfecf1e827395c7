#include "sensor/clickhouse/ledger_sink.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "sensor/clickhouse/ledger_row.h"
#include "sensor/clickhouse/password_file.h"

namespace bw::clickhouse {

namespace {

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool LedgerSinkOptions::FromConfig(const config::ClickHouseSinkConfig& c, LedgerSinkOptions& out,
                                   std::string& error) {
  if (!ParseSourceUrl(c.url, out.endpoint, error)) {
    error = "ledger.clickhouse.url: " + error;
    return false;
  }
  if (!c.password_file.empty()) {
    if (!ReadPasswordFile(c.password_file, out.endpoint.password, error)) {
      error = "ledger.clickhouse.password_file: " + error;
      return false;
    }
  } else if (!c.password_env.empty()) {
    const char* value = std::getenv(c.password_env.c_str());
    if (value == nullptr) {
      error = "ledger.clickhouse.password_env: " + c.password_env + " is not set";
      return false;
    }
    out.endpoint.password = value;
  }
  out.endpoint.ca_file = c.ca_file;
  out.table = c.table;
  out.batch_rows = c.batch_rows;
  out.batch_max_bytes = c.batch_max_bytes;
  out.batch_interval = std::chrono::milliseconds(c.batch_interval_ms);
  out.queue_dir = c.queue_dir;
  out.queue_max_bytes = c.queue_max_bytes;
  out.timeout = std::chrono::milliseconds(c.timeout_ms);
  out.initial_backoff = std::chrono::milliseconds(c.initial_backoff_ms);
  out.max_backoff = std::chrono::milliseconds(c.max_backoff_ms);
  return true;
}

LedgerSink::LedgerSink(LedgerSinkOptions options)
    : options_(std::move(options)),
      spool_(options_.queue_dir, options_.queue_max_bytes),
      client_(options_.endpoint, options_.timeout) {}

LedgerSink::~LedgerSink() { Stop(std::chrono::milliseconds(0)); }

bool LedgerSink::Start(std::string& error) {
  if (!spool_.Open(error)) return false;
  const RowSpoolStats s = spool_.Stats();
  if (s.rows > 0) {
    spdlog::info(
        "clickhouse: {} rows in {} batches queued in {} by an earlier run; sending them "
        "first",
        s.rows, s.batches, options_.queue_dir);
  }
  started_ = true;
  sender_ = std::thread([this] { SenderLoop(); });
  return true;
}

void LedgerSink::Add(const event::RequestContext& ctx, const storage::StorageEvent& event,
                     const event::Observer* observer, std::string_view line_sha256) {
  if (open_.count == 0) opened_at_ = std::chrono::steady_clock::now();
  AppendLedgerRow(open_.rows, ctx, event, RowSource{observer, line_sha256, false});
  ++open_.count;
  rows_open_.store(open_.count, std::memory_order_relaxed);
  if (open_.count >= options_.batch_rows || open_.rows.size() >= options_.batch_max_bytes) Seal();
}

void LedgerSink::Tick(std::chrono::steady_clock::time_point now) {
  if (open_.count > 0 && now - opened_at_ >= options_.batch_interval) Seal();
}

void LedgerSink::Flush() { Seal(); }

void LedgerSink::Seal() {
  if (open_.count == 0) return;
  Batch batch;
  batch.rows.swap(open_.rows);
  batch.count = open_.count;
  open_.count = 0;
  rows_open_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      open_.rows.swap(spare_.back());
      spare_.pop_back();
    }
    if (handed_.size() < options_.memory_batches && !stopping_) {
      rows_handed_.fetch_add(batch.count, std::memory_order_relaxed);
      handed_.push_back(std::move(batch));
      cv_.notify_one();
      return;
    }
  }
  // The sender is behind (ClickHouse slow or away, the queue's disk slow): the batch goes to the
  // disk queue from here, so that neither memory nor the output stage waits for ClickHouse.
  Persist(batch, /*spilled=*/true);
  if (open_.rows.capacity() < batch.rows.capacity()) {
    batch.rows.clear();
    open_.rows.swap(batch.rows);
  }
}

void LedgerSink::Persist(Batch& batch, bool spilled) {
  switch (spool_.Append(LedgerInsertClause(), batch.rows, batch.count)) {
    case RowSpool::AppendResult::kOk:
      if (spilled) rows_spilled_.fetch_add(batch.count, std::memory_order_relaxed);
      break;
    case RowSpool::AppendResult::kFull:
      Drop(batch.count, "the queue is at ledger.clickhouse.queue_max_bytes");
      break;
    case RowSpool::AppendResult::kError:
      Drop(batch.count, "the queue cannot be written");
      break;
  }
}

void LedgerSink::Drop(uint64_t rows, const char* why) {
  rows_dropped_.fetch_add(rows, std::memory_order_relaxed);
  if (!drop_logged_.exchange(true, std::memory_order_relaxed)) {
    spdlog::error(
        "clickhouse: dropping ledger rows: {} ({}, {} bytes); dropped rows are counted "
        "(bucketwatch_clickhouse_rows_dropped_total) and not logged again",
        why, options_.queue_dir, options_.queue_max_bytes);
  }
}

void LedgerSink::SenderLoop() {
  using Clock = std::chrono::steady_clock;
  std::minstd_rand rng(static_cast<uint32_t>(WallNs()));
  std::string queued_clause, body;
  std::vector<uint64_t> ids;
  auto backoff = options_.initial_backoff;
  Clock::time_point next_attempt{};
  uint64_t failures = 0;  // in a row
  const std::string where = target();

  // One INSERT; on failure, schedules the next attempt. The caller holds no lock.
  auto send = [&](std::string_view clause, std::string_view rows, uint64_t count) {
    Result r = client_.Insert(options_.table, clause, rows);
    if (r.ok) {
      rows_sent_.fetch_add(count, std::memory_order_relaxed);
      batches_sent_.fetch_add(1, std::memory_order_relaxed);
      last_success_ns_.store(WallNs(), std::memory_order_relaxed);
      if (failures > 0) {
        spdlog::info("clickhouse: INSERT into {} succeeds again after {} failed attempts", where,
                     failures);
      }
      failures = 0;
      backoff = options_.initial_backoff;
      return true;
    }
    send_failures_.fetch_add(1, std::memory_order_relaxed);
    if (failures++ == 0) {
      spdlog::error(
          "clickhouse: INSERT into {} failed: {}; its rows are queued in {}, retrying with "
          "backoff up to {} ms (logged again when it succeeds)",
          where, r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error, options_.queue_dir,
          options_.max_backoff.count());
    }
    // Jittered to [50%, 100%] of the backoff: sensors of a fleet do not retry in step.
    const auto wait = backoff / 2 + std::chrono::milliseconds(
                                        rng() % static_cast<uint64_t>(backoff.count() / 2 + 1));
    next_attempt = Clock::now() + wait;
    backoff = std::min(backoff * 2, options_.max_backoff);
    return false;
  };
  auto recycle = [&](std::string& rows) {  // under the lock
    rows.clear();
    if (spare_.size() < options_.memory_batches) spare_.push_back(std::move(rows));
  };

  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) break;
    const bool waiting = Clock::now() < next_attempt;
    const bool backlog = spool_.Stats().batches > 0;
    // While ClickHouse fails, or older rows wait on disk, what the output thread hands over
    // goes to disk at once: an outage costs no memory and a restart loses none of it.
    if (waiting || backlog) {
      while (!handed_.empty()) {
        Batch batch = std::move(handed_.front());
        handed_.pop_front();
        lock.unlock();
        Persist(batch, /*spilled=*/false);
        rows_handed_.fetch_sub(batch.count, std::memory_order_relaxed);
        lock.lock();
        recycle(batch.rows);
      }
      if (stopping_) break;
    }
    if (waiting) {
      cv_.wait_until(lock, next_attempt);
      continue;
    }
    if (backlog) {
      lock.unlock();
      body.clear();
      const uint64_t rows = spool_.ReadOldest(options_.batch_rows, options_.batch_max_bytes, ids,
                                              queued_clause, body);
      if (!ids.empty() && send(queued_clause, body, rows)) spool_.Remove(ids);
      lock.lock();
      continue;
    }
    if (handed_.empty()) {
      cv_.wait(lock, [&] { return stopping_ || !handed_.empty(); });
      continue;
    }
    // The healthy path: the batch goes from memory to ClickHouse and touches the disk only when
    // the INSERT fails. A crash meanwhile loses it, as it loses the open batch.
    Batch batch = std::move(handed_.front());
    handed_.pop_front();
    lock.unlock();
    if (!send(LedgerInsertClause(), batch.rows, batch.count)) Persist(batch, /*spilled=*/false);
    rows_handed_.fetch_sub(batch.count, std::memory_order_relaxed);
    lock.lock();
    recycle(batch.rows);
  }
}

uint64_t LedgerSink::Stop(std::chrono::milliseconds drain) {
  if (stopped_) return spool_.Stats().rows;
  stopped_ = true;
  if (!started_) return 0;
  Seal();
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (std::chrono::steady_clock::now() < deadline) {
    if (rows_handed_.load(std::memory_order_relaxed) == 0 && spool_.Stats().batches == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  sender_.join();
  for (Batch& b : handed_) {
    Persist(b, false);
    rows_handed_.fetch_sub(b.count, std::memory_order_relaxed);
  }
  handed_.clear();
  const RowSpoolStats s = spool_.Stats();
  if (s.rows > 0) {
    spdlog::warn(
        "clickhouse: {} rows in {} batches not yet acknowledged by {}; they stay queued "
        "in {} and are sent at the next start",
        s.rows, s.batches, target(), options_.queue_dir);
  }
  const uint64_t dropped = rows_dropped_.load(std::memory_order_relaxed);
  if (dropped > 0) {
    spdlog::error("clickhouse: {} ledger rows were dropped (queue full or unwritable)", dropped);
  }
  return s.rows;
}

LedgerSinkStats LedgerSink::Stats() const {
  const RowSpoolStats s = spool_.Stats();
  LedgerSinkStats out;
  out.rows_sent = rows_sent_.load(std::memory_order_relaxed);
  out.batches_sent = batches_sent_.load(std::memory_order_relaxed);
  out.send_failures = send_failures_.load(std::memory_order_relaxed);
  out.rows_queued = s.rows;
  out.queue_bytes = s.bytes;
  out.queue_batches = s.batches;
  out.rows_pending =
      rows_open_.load(std::memory_order_relaxed) + rows_handed_.load(std::memory_order_relaxed);
  out.rows_dropped = rows_dropped_.load(std::memory_order_relaxed);
  out.rows_spilled = rows_spilled_.load(std::memory_order_relaxed);
  out.queue_corrupt = s.corrupt;
  out.queue_write_errors = s.write_errors;
  out.last_success_unix_ns = last_success_ns_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace bw::clickhouse
