#pragma once
// Reads NSS key logs (SSLKEYLOGFILE, HAProxy's tune.ssl.keylog) into the shared key store: at
// start, completely, and then, live, followed by a thread of its own while the sensor runs.
//
// Guarantees:
// - Each configured path is a regular file (read from its start, then followed as it grows; when
//   it shrinks or another file takes its name it is read again from its start), a directory
//   (every regular file in it, including files created later, each followed the same way) or a
//   FIFO (read as it comes; writers may open and close it in turn: a writer's last line without
//   a newline ends when it closes).
// - Open() refuses a key log file or directory that is group- or world-writable, world-readable,
//   or owned by neither root nor the sensor's user, unless allow_insecure_permissions (then it
//   warns). A path that does not exist yet is waited for when following and its directory
//   exists; otherwise it is refused. A file appearing later in a directory with such
//   permissions is skipped, logged once and counted.
// - LoadAll() reads every key log to its current end before it returns (--read: every key is
//   in the store before the first packet). Start() then follows them on one thread, polling
//   every poll_interval; Stop() (and the destructor) ends that thread within one interval.
// - Every loop is bounded: bytes per file per poll, files per directory, entries per scan.
// - Key material never reaches a log line, an error message or a counter: messages name the
//   path, the line number and the reason only, and the read buffer is wiped after each chunk.
// - Counts() may be called from any thread (relaxed atomics).

#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dissectors/tls/key_log.h"
#include "sensor/tls/shared_key_store.h"

namespace bw::tls {

struct KeyLogSourceOptions {
  std::vector<std::string> paths;
  bool allow_insecure_permissions = false;
  // Besides root, the only owner a key log may have: the user the sensor runs as once it gave
  // up root (--user), else its effective user.
  uid_t run_uid = 0;
  // Live: a missing path whose directory exists is waited for. Reading a capture: refused.
  bool follow = true;
  std::chrono::milliseconds poll_interval{25};
  // A directory's files rescanned at least this often (and whenever its mtime changes).
  std::chrono::milliseconds rescan_interval{1000};
  // A file in a directory that has not grown for this long is closed (its offset kept) and
  // reopened when a rescan sees it grow: per-process key log files pile up, descriptors do not.
  std::chrono::milliseconds idle_close{30000};
  // Files of one directory remembered at once; more are skipped (counted, logged once).
  size_t max_files_per_directory = 4096;
  // Bytes read from one file per poll, so that one busy writer cannot starve the others.
  size_t max_bytes_per_poll = 16u << 20;
};

struct KeyLogSourceCounts {
  uint64_t bytes_read = 0;
  uint64_t lines_read = 0;
  uint64_t lines_ignored = 0;  // blank, # comments, labels without use here (kUnusedLabel)
  uint64_t keys_loaded = 0;    // added or replaced in the store
  uint64_t keys_duplicate = 0;
  uint64_t malformed_lines = 0;                         // all reasons together
  std::array<uint64_t, kKeyLogErrorCount> malformed{};  // by KeyLogError
  uint64_t overlong_lines = 0;                          // longer than kMaxKeyLogLine
  uint64_t files_opened = 0;
  uint64_t files_reopened = 0;  // truncated, or replaced under the same name
  uint64_t files_refused = 0;   // insecure permissions (not allowed), or not a file
  uint64_t files_skipped = 0;   // beyond max_files_per_directory
  uint64_t read_errors = 0;     // open, stat and read failures other than "not there"
};

class KeyLogSource {
 public:
  KeyLogSource(KeyLogSourceOptions options, SharedKeyStore& store);
  ~KeyLogSource();
  KeyLogSource(const KeyLogSource&) = delete;
  KeyLogSource& operator=(const KeyLogSource&) = delete;

  // Checks every path (kind, permissions) and opens what exists. False with a one-line error
  // naming the path and the fix.
  [[nodiscard]] bool Open(std::string& error);
  // Reads everything there is now, synchronously. Before Start() only.
  void LoadAll();
  // Follows the key logs on a thread of its own until Stop().
  void Start();
  void Stop();

  KeyLogSourceCounts Counts() const;

 private:
  struct Reader;
  struct DirFile;
  struct Watch;
  // Why OpenReader gave no reader (kNone: the file is simply not there).
  struct OpenRefusal {
    enum Kind : uint8_t { kNone, kInsecure, kNotAFile, kError } kind = kNone;
    std::string why;
  };

  void PollAll(bool to_end);
  void PollWatch(Watch& w, bool to_end);
  void PollDirectory(Watch& w, bool to_end);
  void ScanDirectory(Watch& w);
  // Opens `path` (or `name` in the directory `dir_fd`) after checking its kind and permissions;
  // null when it is not there, refused or failed (counted, logged once per cause).
  std::unique_ptr<Reader> OpenReader(const std::string& path, int dir_fd, const char* name,
                                     bool regular_only, OpenRefusal& refusal);
  void LogRefusal(const std::string& path, const OpenRefusal& refusal);
  void Read(Reader& r, bool to_end);
  void Finish(Reader& r);
  void OnLine(Reader& r, std::string_view line);
  // Empty when `st` is acceptable for a key log, else why not.
  std::string InsecureReason(const struct stat& st) const;
  void Loop();

  struct Counters {
    std::atomic<uint64_t> bytes_read{0}, lines_read{0}, lines_ignored{0}, keys_loaded{0},
        keys_duplicate{0}, malformed_lines{0}, overlong_lines{0}, files_opened{0},
        files_reopened{0}, files_refused{0}, files_skipped{0}, read_errors{0};
    std::array<std::atomic<uint64_t>, kKeyLogErrorCount> malformed{};
  };

  KeyLogSourceOptions options_;
  SharedKeyStore& store_;
  std::vector<std::unique_ptr<Watch>> watches_;  // the loader's thread's alone once started
  std::vector<uint8_t> buffer_;                  // wiped after each chunk
  Counters counters_;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mutex_
  std::thread thread_;
};

}  // namespace bw::tls
