#pragma once
// The ledger sink's on-disk queue: batches of rows waiting for ClickHouse to take
// them. Guarantees:
//  - one file per batch, "<id>.rows" (id: 16 hex digits, increasing, so names sort oldest
//    first), written as "<id>.rows.tmp", fsync'd, renamed and the directory fsync'd: after a
//    crash a batch is whole or absent. A file carries its row count, length, CRC-32 and the
//    INSERT clause (columns and format) its rows were written for, so a queue left by an older
//    sensor is sent in its own format after an upgrade; a
//    leftover temp file or a damaged batch found at Open or Read is removed and counted, never
//    sent;
//  - bounded by bytes: an Append that would take the queue past max_bytes is refused (kFull),
//    the caller counts the rows as dropped: the batches already queued are older and kept;
//  - files 0600, directory 0700; only ledger rows are stored (no URL, user or password);
//  - thread-safe: the output stage spills into it while the sender reads and removes.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bw::clickhouse {

struct RowSpoolStats {
  uint64_t batches = 0;  // held now
  uint64_t rows = 0;
  uint64_t bytes = 0;    // file bytes held now
  uint64_t corrupt = 0;  // damaged batches and temp leftovers removed
  uint64_t write_errors = 0;
};

class RowSpool {
 public:
  RowSpool(std::string dir, uint64_t max_bytes);

  // Creates the directory (0700) if needed, removes temp leftovers and damaged files, and
  // indexes the batches a previous run left. False with a message when unusable.
  [[nodiscard]] bool Open(std::string& error);

  enum class AppendResult { kOk, kFull, kError };
  // Durably queues `rows` (`count` rows, each ending in a newline), to be sent with `clause`
  // (one line: "(a,b) FORMAT TabSeparated").
  AppendResult Append(std::string_view clause, std::string_view rows, uint64_t count);

  // Up to `max_rows` rows (at least one batch) and `max_bytes` of the oldest batches that share
  // the oldest one's clause, in order: their ids, that clause, and their rows appended to
  // `rows`. Damaged batches are removed and skipped. Returns the number of rows.
  uint64_t ReadOldest(uint64_t max_rows, uint64_t max_bytes, std::vector<uint64_t>& ids,
                      std::string& clause, std::string& rows);
  // Removes sent batches (one directory fsync for all).
  void Remove(const std::vector<uint64_t>& ids);

  RowSpoolStats Stats() const;
  const std::string& dir() const { return dir_; }

  static std::string Encode(std::string_view clause, std::string_view rows, uint64_t count);
  // The clause and rows of an encoded file (version 1 files: "FORMAT JSONEachRow"); false when
  // damaged or torn.
  static bool Decode(std::string_view file, std::string_view& clause, std::string_view& rows,
                     uint64_t& count);

 private:
  struct Batch {
    uint64_t rows = 0;
    uint64_t bytes = 0;
  };
  std::string PathOf(uint64_t id) const;
  bool SyncDir();
  void RemoveLocked(uint64_t id);

  const std::string dir_;
  const uint64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<uint64_t, Batch> batches_;
  uint64_t next_id_ = 1;
  RowSpoolStats stats_;
};

}  // namespace bw::clickhouse
