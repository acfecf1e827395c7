#pragma once
// The durable ledger's settings: when the active file is rotated, whether
// rotated files are compressed, and whether every line carries the SHA-256 of
// the line before it. Every limit is finite and range-checked; there is no "0 =
// never rotate".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"

namespace bw::config {

struct LedgerConfig {
  // Rotate before a line would take the active file past this size.
  uint64_t rotate_bytes = 1ull << 30;  // 1 GiB
  // Rotate when the active file has been open this long (wall clock).
  TimestampNs rotate_interval = 86400 * kNsPerSecond;  // one day
  // "gzip" compresses rotated files in the background; "none" leaves them as
  // written.
  std::string compression = "gzip";
  // Each line gets "log": {"prev_sha256": "<hex>"}; `bucketwatch report
  // --verify` checks it.
  bool hash_chain = true;
};

// Reads the `ledger` mapping at `path` strictly (unknown keys and out-of-range
// values throw yaml::ConfigError with the key path). Keys absent from `node`
// keep `out`'s values.
void ReadLedgerConfig(const YAML::Node& node, const std::string& path, LedgerConfig& out);

// Writes the section's keys (not the `ledger:` key itself) into an open YAML
// map.
void DumpLedgerConfig(YAML::Emitter& emitter, const LedgerConfig& config);

}  // namespace bw::config
