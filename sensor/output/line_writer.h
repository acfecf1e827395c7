#pragma once
// A JSON-lines file shared by the workers: whole lines only (one lock per line, never a torn
// line), created 0640, "-" means stdout. Each line goes to the file with one write(2), so a
// counted line is in the file, not in a buffer a crash or a full disk can still lose. A write
// error (disk full) is counted per line, reported once, and any part of the line that did get
// in is cut off again; the sensor keeps running and writes again once there is room. A file
// deleted or moved away while open is noticed by CheckPath() and its path opened again, as the
// ledger does (ledger_file.h): a deleted file's lines since it was last seen in place are copied
// to the new one.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace bw::output {

// Appends `line` and a newline to `fd` (opened O_APPEND) as one whole line. On failure, when
// `truncatable` (a regular file we alone append to), the file is cut back to `size_before` so
// no torn line remains; `err` gets the errno. Shared by the ledger and the alerts file.
[[nodiscard]] bool AppendWholeLine(int fd, std::string_view line, uint64_t size_before,
                                   bool truncatable, int& err);
// The same for `lines`, whole lines that each end in a newline already, in one write(2) as far
// as the kernel takes it: all of them get in, or (when truncatable) none.
[[nodiscard]] bool AppendWholeLines(int fd, std::string_view lines, uint64_t size_before,
                                    bool truncatable, int& err);

// What became of the regular file `fd` writes to, seen from `path`. kMoved: renamed away, or
// another file is now at the path; what was written is in the moved file. kDeleted: the open
// file has no name left, so whatever is written to it is lost when it is closed. Anything but a
// regular file (a FIFO, /dev/full) is kInPlace. Two stat calls: cheap enough to ask once a
// second.
enum class FileFate : uint8_t { kInPlace, kMoved, kDeleted };
FileFate FateOf(int fd, const std::string& path);

// Copies bytes [begin, end) of the file `from` writes to (a deleted file too, read back through
// /proc/self/fd) to the end of `to` (opened O_APPEND, `to_size` bytes now): the whole lines a
// deleted file received after it was last seen in place, moved to its successor. On failure
// `to` is cut back to `to_size` and `err` gets the errno.
[[nodiscard]] bool CopyTail(int from, uint64_t begin, uint64_t end, int to, uint64_t to_size,
                            int& err);

// What a file writer counts when its file vanishes from its path.
struct VanishedFileCounters {
  std::atomic<uint64_t>& lost;     // lines in no file
  std::atomic<uint64_t>& errors;   // opens and copies that failed
  std::atomic<uint64_t>& reopens;  // the path opened again
};

// The path no longer names the open `file` (`fate` is kMoved or kDeleted; CheckPath): opens the
// path again with `open` (which sets `file`, `size` and `checked` for the new file), copies the
// `pending` lines a deleted file received past byte `checked` to the new one, closes the old
// file, counts, and says what happened on stderr about `label` ("ledger /x" or "/x"), `note`
// added where writing goes on. Shared by the ledger and the other line files.
void ReplaceVanishedFile(FileFate fate, const std::string& label, const char* note, FILE*& file,
                         uint64_t& size, uint64_t& checked, uint64_t pending,
                         const std::function<bool(std::string&)>& open,
                         VanishedFileCounters counters);

class LineWriter {
 public:
  LineWriter() = default;
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Opens (appends to) `path`; false with a one-line error when it cannot.
  [[nodiscard]] bool Open(const std::string& path, std::string& error);
  bool is_open() const { return open_.load(std::memory_order_relaxed); }

  // Appends `line` and a newline. Thread-safe.
  void Write(std::string_view line);
  void Flush();
  // Reopens the path when the open file was deleted or moved away, or could not be opened
  // again before. Two stat calls when nothing changed. Thread-safe.
  void CheckPath();

  uint64_t lines_written() const { return lines_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return errors_.load(std::memory_order_relaxed); }
  // Lines in no file: failed writes, no file open, a deleted file's lines not copied.
  uint64_t lines_lost() const { return lost_.load(std::memory_order_relaxed); }
  uint64_t reopens() const { return reopens_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  bool OpenFile(std::string& error);  // mu_ held (or not yet shared)
  void LoseLine(int err);

  std::mutex mu_;
  FILE* file_ = nullptr;
  bool owns_ = false;
  std::string path_;
  std::atomic<bool> open_{false};  // since Open (file_ may be null after a failed reopen)
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> reopens_{0};
  uint64_t size_ = 0;  // bytes in the file (guarded by mu_)
  // The file was last seen in place at this size, with these lines written after (mu_).
  uint64_t checked_size_ = 0;
  uint64_t unchecked_lines_ = 0;
};

}  // namespace bw::output
