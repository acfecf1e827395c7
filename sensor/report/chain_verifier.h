#pragma once
// Checks the ledger hash chain (see sensor/output/ledger_file.h) across files
// given in order. Every line must carry the SHA-256 of the line before it; the
// first line of the first file must chain to the genesis value, or the chain is
// reported as starting mid-way (older files not given). A mismatch is reported
// at the line after the edited, deleted or inserted one, and checking
// resynchronises there so one tampering is one finding. A line without the chain
// field at its end is told apart: not JSON, no log.prev_sha256, or re-serialised
// (the field is there, but key order or spacing changed, so the bytes hashed are
// gone); the line after it is not checked against it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bw::report {

struct ChainFinding {
  std::string file;
  uint64_t line = 0;  // 1-based
  std::string message;
};

class ChainVerifier {
 public:
  static constexpr size_t kMaxFindings = 100;

  void BeginFile(const std::string& path);
  void Line(std::string_view line);
  // A line the reader had to skip (too long): the chain cannot be checked
  // across it.
  void SkippedLine();

  bool ok() const { return findings_total_ == 0 && lines_ > 0; }
  uint64_t lines() const { return lines_; }
  uint64_t files() const { return files_; }
  bool starts_at_genesis() const { return starts_at_genesis_; }
  const std::string& head() const { return prev_; }  // SHA-256 of the last line
  const std::vector<ChainFinding>& findings() const { return findings_; }
  uint64_t findings_total() const { return findings_total_; }

 private:
  void Find(std::string message);

  std::string file_;
  uint64_t line_in_file_ = 0;
  uint64_t lines_ = 0;
  uint64_t files_ = 0;
  bool have_prev_ = false;
  bool starts_at_genesis_ = false;
  std::string prev_;
  std::vector<ChainFinding> findings_;
  uint64_t findings_total_ = 0;
};

}  // namespace bw::report
