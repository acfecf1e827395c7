#pragma once
// A JSON-lines file shared by the workers: whole lines only (one lock per line, never a torn
// line), created 0640, "-" means stdout. Each line goes to the file with one write(2), so a
// counted line is in the file, not in a buffer a crash or a full disk can still lose. A write
// error (disk full) is counted per line, reported once, and any part of the line that did get
// in is cut off again; the sensor keeps running and writes again once there is room.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace bw::output {

// Appends `line` and a newline to `fd` (opened O_APPEND) as one whole line. On failure, when
// `truncatable` (a regular file we alone append to), the file is cut back to `size_before` so
// no torn line remains; `err` gets the errno. Shared by the ledger and the alerts file.
[[nodiscard]] bool AppendWholeLine(int fd, std::string_view line, uint64_t size_before,
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

class LineWriter {
 public:
  LineWriter() = default;
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Opens (appends to) `path`; false with a one-line error when it cannot.
  [[nodiscard]] bool Open(const std::string& path, std::string& error);
  bool is_open() const { return file_ != nullptr; }

  // Appends `line` and a newline. Thread-safe.
  void Write(std::string_view line);
  void Flush();

  uint64_t lines_written() const { return lines_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return errors_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  FILE* file_ = nullptr;
  bool owns_ = false;
  std::string path_;
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> errors_{0};
  uint64_t size_ = 0;  // bytes in the file (guarded by mu_)
};

}  // namespace bw::output
