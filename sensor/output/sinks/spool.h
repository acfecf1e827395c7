#pragma once
// The persistent, crash-safe alert spool behind at-least-once delivery. One
// file per alert,
// "<id>.alert" (id: 16 hex digits, increasing, so names sort oldest first),
// written as a temp file, fsync'd, renamed into place and the directory
// fsync'd: after a crash a file is either complete or absent. A temp file a
// crash left ("<id>.alert.tmp": written, maybe whole, never renamed) is
// recovered at the next Open: its whole, valid records are put in place and
// delivered (logged, counted), a torn tail or a file without one whole record
// is removed (logged, counted). A record carries
// its length and CRC-32; a damaged or truncated file is removed and counted,
// never delivered. Delivery to one sink is recorded by an empty marker
// "<id>.<sink>.done" (created and the directory fsync'd); when every configured
// sink has a marker the alert and its markers are removed. Files are 0600, the
// directory 0700. The spool is bounded by alert count and bytes: at a bound the
// oldest alerts are dropped, counted and logged. Only alert JSON is stored — no
// URL, key or other secret. When the disk cannot take a record (full,
// read-only) the alert is held in memory instead, inside the same bounds, and
// still delivered: it is lost only if the process dies before delivery.
// Thread-safe.
//
// Group commit: AppendBatch writes the alerts of one batch into shared files of up to
// kMaxRecordsPerFile records ("<first id>.alert", its records taking the ids that follow), so a
// storm of alerts costs two fsyncs per file, not per alert. A file is removed with the last of
// its alerts; until then the markers of its delivered alerts stay beside it. A file of one
// record is the layout of earlier versions, which therefore still load.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bw::output::sinks {

struct SpoolStats {
  uint64_t alerts = 0;  // alerts held (not yet delivered to every sink)
  uint64_t bytes = 0;   // their record bytes on disk
  uint64_t appended = 0;
  uint64_t removed = 0;       // delivered to every sink and removed
  uint64_t evicted = 0;       // oldest dropped at the bound, undelivered
  uint64_t corrupt = 0;       // damaged files removed at load or read
  uint64_t write_errors = 0;  // append/marker/remove failures (errno-level)
  // Alerts the disk could not take (full, read-only): held in memory only, still delivered,
  // lost if the process dies before every sink acknowledged them.
  uint64_t memory_only = 0;
  // Of the alerts held now, those in memory only: at exit, lost (the run's exit code says so).
  uint64_t memory_only_held = 0;
  // The last write of new alerts failed: alerts raised now are not persisted (/healthz).
  bool append_failing = false;
  // Leftover temp files of an append a crash cut short: alerts recovered from them, and files
  // (or torn tails of files) that held no whole record and were removed.
  uint64_t recovered = 0;
  uint64_t temp_discarded = 0;
};

class Spool {
 public:
  Spool(std::string dir, uint64_t max_alerts, uint64_t max_bytes, std::vector<std::string> sinks);

  // Creates the directory (0700) if needed, removes temp leftovers, loads the
  // index of held alerts and their markers, and removes damaged records and
  // alerts already delivered everywhere. Returns false with a message if the
  // directory is unusable.
  [[nodiscard]] bool Open(std::string& error);

  // Writes the record durably and returns its id; when the write fails
  // (counted, logged at most every 10 s) the alert is held in memory under the
  // id instead. 0 only for an alert larger than the byte bound.
  // Alerts dropped to make room are appended to `evicted`.
  uint64_t Append(std::string_view json, std::vector<uint64_t>* evicted = nullptr);
  // The same for several alerts at once, durably written together (group commit); their ids
  // in order (0 for one refused or dropped to honour the bound).
  std::vector<uint64_t> AppendBatch(std::span<const std::string_view> jsons,
                                    std::vector<uint64_t>* evicted = nullptr);
  static constexpr size_t kMaxRecordsPerFile = 64;

  // Records delivery of `id` to sink number `sink` (index into the
  // constructor's list). Removes the alert when every sink has it. False if the
  // id is no longer held or the marker could not be written (counted).
  // Without `sync` the directory is not fsync'd: the marker survives a crash of
  // the process, and a power loss before the next Sync() only makes the alert
  // delivered again (at-least-once). A sink delivering a backlog marks many
  // alerts per fsync that way.
  bool MarkDelivered(uint64_t id, size_t sink, bool sync = true);
  // fsyncs the directory: every marker and removal so far is durable.
  bool Sync();

  // Up to `limit` held ids above `after`, oldest first, not yet delivered to
  // `sink`.
  std::vector<uint64_t> Pending(size_t sink, uint64_t after, size_t limit) const;
  uint64_t PendingCount(size_t sink) const;

  // The record's JSON, verified; null if gone or damaged (a damaged file is
  // removed, counted).
  std::shared_ptr<const std::string> Read(uint64_t id);

  bool Contains(uint64_t id) const;
  SpoolStats Stats() const;
  const std::string& dir() const { return dir_; }

  static std::string IdName(uint64_t id);
  // "BWSPOOL1 <len> <crc32 hex>\n<json>\n"
  static std::string EncodeRecord(std::string_view json);
  static bool DecodeRecord(std::string_view record, std::string& json);
  // Every record of a file, in order, and (when asked) each record's encoded size; false if any
  // is damaged.
  static bool DecodeRecords(std::string_view file, std::vector<std::string>& jsons,
                            std::vector<uint64_t>* record_bytes = nullptr);
  // The whole, valid records at the start of `file`, up to the first damaged or torn one; returns
  // the bytes they take.
  static size_t DecodeValidPrefix(std::string_view file, std::vector<std::string>& jsons,
                                  std::vector<uint64_t>* record_bytes = nullptr);

 private:
  struct Entry {
    uint64_t bytes = 0;
    std::vector<bool> delivered;
    // Set when the record could not be written: the alert lives here until delivered.
    std::shared_ptr<const std::string> memory_json;
    uint64_t file = 0;   // the id naming the file that holds it
    uint32_t index = 0;  // its place in that file
  };
  struct File {
    uint32_t records = 0;  // written to it (ids file .. file + records - 1)
    uint32_t live = 0;     // of those, still held
  };

  std::string AlertPath(uint64_t id) const;
  std::string MarkerPath(uint64_t id, size_t sink) const;
  void RemoveLocked(uint64_t id);
  // A leftover "<id>.alert.tmp": its whole records become "<id>.alert"; false when none could.
  bool RecoverTempLocked(const std::string& name, uint64_t id);
  // Indexes spool file `id`, whose records (undelivered to every sink) have these sizes.
  void IndexFileLocked(uint64_t id, const std::vector<uint64_t>& record_bytes);
  void AppendFileLocked(std::span<const std::string> records,
                        std::span<const std::string_view> jsons, std::span<uint64_t> ids,
                        std::vector<uint64_t>* evicted);
  bool SyncDir();

  const std::string dir_;
  const uint64_t max_alerts_;
  const uint64_t max_bytes_;
  const std::vector<std::string> sinks_;

  mutable std::mutex mu_;
  std::map<uint64_t, Entry> entries_;
  std::map<uint64_t, File> files_;  // on disk, by the id naming them
  uint64_t cached_file_ = 0;        // Read's last decoded file
  std::vector<std::shared_ptr<const std::string>> cached_;
  uint64_t last_id_ = 0;
  SpoolStats stats_;
  std::vector<uint64_t> pending_;  // per sink: held alerts it has not acknowledged
  std::chrono::steady_clock::time_point last_evict_log_{};
  std::chrono::steady_clock::time_point last_write_error_log_{};
};

}  // namespace bw::output::sinks
