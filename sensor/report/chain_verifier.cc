#include "sensor/report/chain_verifier.h"

#include "sensor/output/ledger_file.h"

namespace bw::report {

void ChainVerifier::BeginFile(const std::string& path) {
  file_ = path;
  line_in_file_ = 0;
  ++files_;
}

void ChainVerifier::Find(std::string message) {
  ++findings_total_;
  if (findings_.size() < kMaxFindings)
    findings_.push_back({file_, line_in_file_, std::move(message)});
}

void ChainVerifier::SkippedLine() {
  ++line_in_file_;
  ++lines_;
  Find("line too long to check; the chain cannot be followed across it");
  have_prev_ = false;
}

void ChainVerifier::Line(std::string_view line) {
  ++line_in_file_;
  ++lines_;
  auto carried = output::ChainFieldOf(line);
  std::string hash = output::Sha256Hex(line);
  if (!carried) {
    Find(
        "line has no log.prev_sha256 (ledger written without hash_chain, or "
        "the field was "
        "removed)");
  } else if (!have_prev_) {
    // The first line, or the first after an unchecked one: nothing to compare
    // against.
    if (lines_ == 1) starts_at_genesis_ = *carried == output::kChainGenesis;
  } else if (*carried != prev_) {
    if (*carried == output::kChainGenesis) {
      Find(
          "chain restarts here: a new ledger was begun (or the lines before "
          "it were replaced)");
    } else {
      Find(
          "prev_sha256 does not match the line before it: a line before this "
          "one was edited, "
          "deleted, inserted or reordered");
    }
  }
  prev_ = std::move(hash);
  have_prev_ = true;
}

}  // namespace bw::report
