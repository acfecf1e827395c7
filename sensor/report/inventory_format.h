#pragma once
// Output formats of the exposure inventory (`bucketwatch report --inventory`). A formatter gets
// the run's metadata, then the rows in InventoryKey order, then the end; it never sees where the
// rows came from (a local ledger through InventoryBuilder, or SQL aggregates), so both sources
// print the same report. Times are RFC 3339 UTC.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/report/inventory.h"

namespace bw::report {

struct InventoryMeta {
  TimestampNs generated_at = 0;
  std::vector<std::string> sources;  // the ledger files read (or the database queried)
  std::optional<TimestampNs> since;
  std::optional<TimestampNs> until;
  std::string bucket_pattern;
  uint64_t lines = 0;
  uint64_t bad_lines = 0;  // not a ledger record
  uint64_t oversized_lines = 0;
  uint64_t outside_period = 0;  // entries left out by --since/--until
  uint64_t other_buckets = 0;   // entries left out by --bucket
  const InventoryCounters* counters = nullptr;
  const InventoryLimits* limits = nullptr;
};

class InventoryFormatter {
 public:
  virtual ~InventoryFormatter() = default;
  virtual void Begin(const InventoryMeta& meta) = 0;
  virtual void Row(const InventoryRow& row) = 0;
  virtual void End(const InventoryMeta& meta) = 0;
};

// "text", "json" or "csv"; nullptr for anything else.
std::unique_ptr<InventoryFormatter> MakeInventoryFormatter(const std::string& format,
                                                           std::ostream& out);

// "s3 public-data", "azure_blob acct/container", "azure_blob acct/(account level)".
std::string InventoryDisplayName(const InventoryRow& row);

}  // namespace bw::report
