#pragma once
// A JSON-lines file shared by the workers: whole lines only (one lock per line, never a torn
// line), created 0640, "-" means stdout. A write error (disk full) is counted and reported
// once; the sensor keeps running and keeps counting what it could not write.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace bw::output {

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
};

}  // namespace bw::output
