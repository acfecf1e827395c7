#include "sensor/report/chain_verifier.h"

#include <nlohmann/json.hpp>

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

namespace {

// Why a line carries no chain field where the sensor writes it (the end of the line): the field
// may be there in a re-serialised line (jq, a JSON library: other key order or spacing), whose
// bytes are then not the ones the next line's hash was taken of.
std::string WhyUnchained(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "line is not a JSON object";
  auto log = j.find("log");
  if (log == j.end() || !log->is_object() || !log->contains("prev_sha256")) {
    return "line has no log.prev_sha256 (ledger written without hash_chain, or the field was "
           "removed)";
  }
  const nlohmann::json& field = (*log)["prev_sha256"];
  if (!field.is_string() || field.get<std::string>().size() != 64 ||
      field.get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos) {
    return "log.prev_sha256 is not a lower-case hex SHA-256";
  }
  return "line bytes differ from the form the sensor wrote and hashed: log.prev_sha256 is "
         "there but the line was re-serialised (key order, spacing or escaping changed, e.g. "
         "by jq), so its hash cannot match; verify the original file";
}

}  // namespace

void ChainVerifier::Line(std::string_view line) {
  ++line_in_file_;
  ++lines_;
  auto carried = output::ChainFieldOf(line);
  std::string hash = output::Sha256Hex(line);
  if (!carried) {
    Find(WhyUnchained(line));
    // Whatever bytes this line had when it was written, they are not these: the next line
    // cannot be checked against it (one finding, not a second one at the next line).
    have_prev_ = false;
    prev_ = std::move(hash);
    return;
  }
  if (!have_prev_) {
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
