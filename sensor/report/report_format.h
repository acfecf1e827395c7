#pragma once
// Output formats of the exposure report. A formatter receives the report as a
// stream: the run metadata, then per bucket its summary, its object rows (in
// key order, possibly millions), and its object totals, then the end. It never
// holds more than one bucket's summary, so the output size does not bound
// memory; the HTML formatter lists at most html_object_rows objects per bucket
// (the full table is in the CSV and JSON formats) and says how many it left
// out.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/report/exposure.h"

namespace bw::report {

struct ReportMeta {
  TimestampNs generated_at = 0;
  std::vector<std::string> ledgers;
  std::optional<TimestampNs> since;
  std::optional<TimestampNs> until;
  std::string bucket_pattern;
  uint64_t lines = 0;
  uint64_t bad_lines = 0;  // not a ledger record (or no parseable timestamp)
  uint64_t oversized_lines = 0;
  const ExposureCounters* counters = nullptr;
  const ExposureLimits* limits = nullptr;
  uint64_t object_spills = 0;
  uint64_t authenticated_only_buckets = 0;  // buckets without anonymous requests (not listed)
  size_t html_object_rows = 2000;
};

struct ObjectTotals {
  uint64_t objects = 0;
  uint64_t reads = 0;
  uint64_t bytes = 0;
  uint64_t range_only_objects = 0;  // objects only ever read in part
};

class ReportFormatter {
 public:
  virtual ~ReportFormatter() = default;
  virtual void Begin(const ReportMeta& meta) = 0;
  virtual void BeginBucket(const BucketReport& bucket) = 0;
  virtual void Object(const BucketReport& bucket, const ObjectRow& row) = 0;
  virtual void EndBucket(const BucketReport& bucket, const ObjectTotals& totals) = 0;
  virtual void End(const ReportMeta& meta) = 0;
};

// "text", "json", "csv" or "html"; nullptr for anything else.
std::unique_ptr<ReportFormatter> MakeFormatter(const std::string& format, std::ostream& out);

// Shared helpers for the formatters.
std::string BucketDisplayName(const BucketReport& b);  // "s3 public-data", "azure_blob acct/c"
std::string TimeText(TimestampNs ts);                  // RFC 3339 UTC, nanoseconds

}  // namespace bw::report
