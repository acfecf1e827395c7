#pragma once
// Reads ledger files line by line in bounded memory: plain or gzip-compressed
// (detected from the content, so a rotated file is read the same whether or not
// it was compressed yet). Lines longer than kMaxLineBytes are skipped and
// counted, never buffered whole.

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bw::report {

inline constexpr size_t kMaxLineBytes = 1 << 20;

class LedgerReader {
 public:
  LedgerReader() = default;
  ~LedgerReader();
  LedgerReader(const LedgerReader&) = delete;
  LedgerReader& operator=(const LedgerReader&) = delete;

  [[nodiscard]] bool Open(const std::string& path, std::string& error);
  // The next line without its newline (valid until the next call); false at end
  // of file or on a read error (then error() is set).
  bool Next(std::string_view& line);
  void Close();

  const std::string& error() const { return error_; }
  uint64_t oversized_lines() const { return oversized_; }
  // Progress through the file on disk, 0..1 (compressed bytes for a .gz).
  double Fraction() const;

 private:
  bool Fill();

  gzFile gz_ = nullptr;
  std::string path_;
  std::string error_;
  uint64_t file_size_ = 0;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // inside an oversized line
  std::string carry_;      // a line that straddles buffer refills
  uint64_t oversized_ = 0;
};

// Orders ledger paths for reading and verifying: per active ledger, its rotated
// files by rotation time, then the active file; unrelated paths keep their
// relative order.
std::vector<std::string> OrderLedgerPaths(const std::vector<std::string>& paths);

}  // namespace bw::report
