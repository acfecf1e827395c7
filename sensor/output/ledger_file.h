#pragma once
// The ledger as evidence: a JSON-lines file shared by the workers that writes
// whole lines only (one lock per line), is created 0640, rotates by size and by
// age, compresses rotated files with gzip off the write path, and can chain
// every line to the one before it.
//
// Hash chain: with hash_chain on, each line ends with
// "log":{"prev_sha256":"<hex>"}, the SHA-256 of the previous line's bytes as
// written (without its newline). The first line ever written chains to 64
// zeros; the first line of a new file chains to the last line of the file rotated before it, and a
// restarted sensor continues the chain of the file it reopens. A torn last line left by a crash (no
// newline) is moved, byte for byte, to <path>.torn-<UTC stamp> (logged) and the file cut back to
// its last whole line, so readers and `report --verify` see whole, chained lines only. An edited,
// deleted or reordered line breaks the chain at the line after it; the newest line is protected
// once a successor exists (`report --verify` prints the head hash to record elsewhere).
//
// Rotated files are named <path>.<UTC YYYYMMDDTHHMMSSZ>[.<n>][.gz];
// ParseRotatedName orders them. Lines are batched: they go to the file in one write(2) per
// kLedgerBatchBytes, and at least whenever Flush() is called (the output stage does every
// 100 ms), before a rotation, a path check and at Close, so a crash loses at most the lines of
// that window. A line counts as written once it is in the file. A write error (disk full) is
// counted per line and reported once: a batch that does not fit is cut off again and its lines
// go in one by one while they fit, so the file holds whole, chained lines only, and the chain
// resumes from the last line written when there is room again. The sensor keeps running.
//
// Deleted or replaced: CheckPath(), called by the writer thread about once a second, on SIGHUP
// and by Close, notices a ledger deleted (`rm`) or moved away (renamed, or another file put at
// the path) while open, logs it once and opens the file at the path again (created 0640 when
// none is there). The lines a deleted file received since it was last seen in place are copied
// to the new file, so nothing written after an `rm` is lost with it; a moved file keeps its lines.
// The new file chains as after a rotation: its first line to the last line written before it.
// Lines that reach no file (a failed write, no file open, a deleted file's lines that could not
// be copied) are counted as lost.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "dissectors/common/timestamp.h"
#include "sensor/config/ledger_config.h"

namespace bw::output {

inline constexpr std::string_view kChainGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";
// The chain field is always the last member of the line, so readers can find it
// by suffix.
inline constexpr std::string_view kChainFieldPrefix = ",\"log\":{\"prev_sha256\":\"";
inline constexpr std::string_view kChainFieldSuffix = "\"}}";

// Bytes of ledger lines gathered before one write(2).
inline constexpr size_t kLedgerBatchBytes = 64 * 1024;

// Lower-case hex SHA-256 of `data`; the second form reuses `out`'s storage.
std::string Sha256Hex(std::string_view data);
void Sha256HexTo(std::string_view data, std::string& out);

// `line` (a JSON object) with the chain field appended as its last member; the second form
// appends it to `out`.
std::string AppendChainField(std::string_view line, std::string_view prev_sha256_hex);
void AppendChainFieldTo(std::string& out, std::string_view line, std::string_view prev_sha256_hex);

// The prev_sha256 carried by `line`, or nullopt when the line has no chain
// field at its end.
std::optional<std::string_view> ChainFieldOf(std::string_view line);

struct RotatedName {
  std::string base;   // the active ledger path it was rotated from
  std::string stamp;  // YYYYMMDDTHHMMSSZ (rotation time, UTC)
  uint32_t seq = 0;   // disambiguates rotations within one second
  bool gzip = false;
};
// Parses <base>.<stamp>[.<n>][.gz]; nullopt for any other name (an active
// ledger).
std::optional<RotatedName> ParseRotatedName(std::string_view path);

struct LedgerFileOptions {
  uint64_t rotate_bytes = 1ull << 30;
  TimestampNs rotate_interval = 86400 * kNsPerSecond;
  bool compress = true;
  bool hash_chain = true;
  // Wall clock for age-based rotation and rotated names; tests inject their
  // own.
  std::function<TimestampNs()> clock;

  static LedgerFileOptions FromConfig(const config::LedgerConfig& c);
};

class LedgerFile {
 public:
  LedgerFile() = default;
  ~LedgerFile();
  LedgerFile(const LedgerFile&) = delete;
  LedgerFile& operator=(const LedgerFile&) = delete;

  // Opens (appends to) `path`, continuing the hash chain from its last line or
  // from the newest rotated sibling, and queues any rotated file a previous run
  // left uncompressed. "-" writes to stdout (no rotation). False with a
  // one-line error when the file cannot be opened.
  [[nodiscard]] bool Open(const std::string& path, const LedgerFileOptions& options,
                          std::string& error);
  bool is_open() const { return open_.load(std::memory_order_relaxed); }

  // Appends `line` (one JSON object, no newline) and a newline to the batch; rotates first
  // when due. Thread-safe.
  void Write(std::string_view line);
  // Reopens the file at the path when the open one was deleted or moved away (see above), or
  // when no file could be opened before. Two stat calls when nothing changed. Thread-safe.
  void CheckPath();
  // SIGHUP: new rotation thresholds and compression apply to the next line (the hash chain
  // setting does not change while a file is open: it would break the chain).
  void SetRotation(uint64_t rotate_bytes, TimestampNs rotate_interval, bool compress);
  // Writes the batch out. Thread-safe.
  void Flush();
  // Flushes, closes and waits for pending compressions. Idempotent.
  void Close();

  // Lines appended to the open file (also those later lost with it when it was deleted).
  uint64_t lines_written() const { return lines_.load(std::memory_order_relaxed); }
  // Lines in no ledger file: dropped on a write error or with no file open, or written to a
  // deleted file and not copied to its successor.
  uint64_t lines_lost() const { return lost_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return errors_.load(std::memory_order_relaxed); }
  uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }
  // The file at the path was opened again: the open one was deleted or moved away.
  uint64_t reopens() const { return reopens_.load(std::memory_order_relaxed); }
  uint64_t files_compressed() const { return compressed_.load(std::memory_order_relaxed); }
  uint64_t compress_errors() const { return compress_errors_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  bool OpenActive(std::string& error);
  void RotateLocked(TimestampNs now);
  void CheckPathLocked();
  void LoseLineLocked(int err);
  void FlushBatchLocked();
  // Forgets the batch (its lines counted lost by the caller) and takes the chain back to the
  // last line in the file.
  void DropBatchLocked();
  // A last line without its newline (a crash mid-write) is moved to <path>.torn-<stamp>.
  void SetAsideTornLine();
  void ResumeChain();
  void Enqueue(std::string rotated);
  void CompressLoop();
  TimestampNs Now() const;

  std::mutex mu_;
  FILE* file_ = nullptr;
  bool owns_ = false;
  std::string path_;
  LedgerFileOptions options_;
  uint64_t file_bytes_ = 0;
  // The file was last seen in place at this size; lines written after that are the ones a
  // deletion noticed later must copy to the new file.
  uint64_t checked_bytes_ = 0;
  uint64_t unchecked_lines_ = 0;
  TimestampNs opened_at_ = 0;
  std::string prev_hash_{kChainGenesis};     // of the last line batched
  std::string written_hash_{kChainGenesis};  // of the last line in the file
  std::string batch_;                        // whole lines, each ending in '\n'
  uint64_t batch_lines_ = 0;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread compressor_;

  std::atomic<bool> open_{false};  // between Open and Close (file_ may be null mid-rotation)
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> rotations_{0};
  std::atomic<uint64_t> reopens_{0};
  std::atomic<uint64_t> compressed_{0};
  std::atomic<uint64_t> compress_errors_{0};
};

// Compresses `path` to `path`.gz (mode 0640, written to a temporary name and
// renamed), then removes `path`. False with a message on failure, leaving
// `path` in place.
[[nodiscard]] bool GzipFile(const std::string& path, std::string& error);

}  // namespace bw::output
