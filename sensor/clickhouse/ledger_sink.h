#pragma once
// The ClickHouse ledger sink (issue 20): every ledger line, as a row of the central ledger
// (ledger_row.h), batched into INSERT ... FORMAT TabSeparated requests by a sender thread of its
// own. Guarantees:
//  - the output stage never waits on ClickHouse: Add() appends to a batch the output thread
//    owns; a full batch (batch_rows, batch_max_bytes) or one older than batch_interval (Tick)
//    is handed to the sender through a bounded in-memory queue, and when that is full (the
//    sender is behind, ClickHouse slow or away) the output thread writes the batch to the disk
//    queue itself. Only when the disk queue is at queue_max_bytes are rows dropped: counted, and
//    logged once per run;
//  - at-least-once: while ClickHouse takes every INSERT, a batch goes from memory to ClickHouse
//    and never touches the disk. A batch whose INSERT fails, every batch handed over while
//    ClickHouse keeps failing, and every batch handed over while older ones wait on disk go to
//    the disk queue (row_spool.h, fsync'd) and leave it only after a 2xx; failures are retried
//    with exponential backoff (jittered); a restarted sensor sends what the queue holds first.
//    A ClickHouse outage or restart loses nothing. Rows in memory at a crash of the sensor (the
//    open batch, at most batch_interval of them, and the batches handed to the sender, one of
//    them in flight while the sender keeps up) are lost, as the file ledger's unflushed lines
//    are;
//  - idempotent: a batch sent again (a timeout after ClickHouse took it, a restart) carries the
//    same line hashes, which ReplacingMergeTree collapses (read with FINAL);
//  - Stop() gives the queue a bounded time to drain, then writes what memory holds to disk and
//    says how many rows stay queued for the next start;
//  - the password is never logged, nor written to the queue.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "dissectors/storage/storage_event.h"
#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/clickhouse/row_spool.h"
#include "sensor/config/ledger_config.h"
#include "sensor/event/observer.h"
#include "sensor/event/storage_request.h"

namespace bw::clickhouse {

struct LedgerSinkStats {
  uint64_t rows_sent = 0;  // acknowledged by ClickHouse (a re-sent row counts again)
  uint64_t batches_sent = 0;
  uint64_t send_failures = 0;  // INSERTs that failed (each retried)
  uint64_t rows_queued = 0;    // on disk, not yet acknowledged
  uint64_t queue_bytes = 0;
  uint64_t queue_batches = 0;
  uint64_t rows_pending = 0;  // in memory: the open batch and batches handed to the sender
  uint64_t rows_dropped = 0;  // the disk queue was at its bound (or could not be written)
  uint64_t rows_spilled = 0;  // written to the disk queue by the output thread (sender behind)
  uint64_t queue_corrupt = 0;
  uint64_t queue_write_errors = 0;
  int64_t last_success_unix_ns = 0;  // wall time of the last 2xx; 0: none yet
};

struct LedgerSinkOptions {
  Endpoint endpoint;
  std::string table = "ledger";
  uint64_t batch_rows = 10000;
  uint64_t batch_max_bytes = 16ull << 20;
  std::chrono::milliseconds batch_interval{1000};
  std::string queue_dir;
  uint64_t queue_max_bytes = 1ull << 30;
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  size_t memory_batches = 4;  // batches handed to the sender before the output thread spills

  // From the configuration, reading the password from its file or environment variable. False
  // with a message (never containing the password) when the URL or password source is bad.
  [[nodiscard]] static bool FromConfig(const config::ClickHouseSinkConfig& c,
                                       LedgerSinkOptions& out, std::string& error);
};

class LedgerSink {
 public:
  explicit LedgerSink(LedgerSinkOptions options);
  ~LedgerSink();
  LedgerSink(const LedgerSink&) = delete;
  LedgerSink& operator=(const LedgerSink&) = delete;

  // Opens the disk queue (logging a backlog a previous run left) and starts the sender.
  [[nodiscard]] bool Start(std::string& error);

  // Output thread only. `line_sha256`: hex SHA-256 of the ledger line as formatted.
  void Add(const event::RequestContext& ctx, const storage::StorageEvent& event,
           const event::Observer* observer, std::string_view line_sha256);
  // Output thread: hands the open batch over once it is batch_interval old.
  void Tick(std::chrono::steady_clock::time_point now);
  // Output thread: hands the open batch over now.
  void Flush();

  // Any thread, after the output stage stopped: waits up to `drain` for every row to be
  // acknowledged, stops the sender and keeps what is left on disk. Returns the rows left.
  // Idempotent.
  uint64_t Stop(std::chrono::milliseconds drain);

  LedgerSinkStats Stats() const;
  std::string target() const { return DisplayName(options_.endpoint) + " table " + options_.table; }
  const std::string& queue_dir() const { return options_.queue_dir; }

 private:
  struct Batch {
    std::string rows;
    uint64_t count = 0;
  };
  void Seal();
  // Writes a batch to the disk queue; counts and logs what cannot be.
  void Persist(Batch& batch, bool spilled);
  void SenderLoop();
  void Drop(uint64_t rows, const char* why);

  const LedgerSinkOptions options_;
  RowSpool spool_;
  Client client_;

  // The open batch: the output thread's alone.
  Batch open_;
  std::chrono::steady_clock::time_point opened_at_{};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> handed_;       // to the sender, at most options_.memory_batches
  std::deque<std::string> spare_;  // emptied buffers, reused by Seal: no allocation per batch
  bool stopping_ = false;
  std::thread sender_;
  bool started_ = false;
  bool stopped_ = false;

  std::atomic<uint64_t> rows_open_{0};
  std::atomic<uint64_t> rows_handed_{0};
  std::atomic<uint64_t> rows_sent_{0};
  std::atomic<uint64_t> batches_sent_{0};
  std::atomic<uint64_t> send_failures_{0};
  std::atomic<uint64_t> rows_dropped_{0};
  std::atomic<uint64_t> rows_spilled_{0};
  std::atomic<int64_t> last_success_ns_{0};
  std::atomic<bool> drop_logged_{false};
};

}  // namespace bw::clickhouse
