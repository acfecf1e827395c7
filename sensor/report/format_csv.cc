// The spreadsheet format: the per-object table only, one row per object read
// anonymously (RFC 4180 quoting). A cell that a spreadsheet would run as a
// formula (=, +, -, @) is prefixed with a single quote, so opening the report
// cannot execute attacker-chosen key names.
#include <ostream>

#include "sensor/report/csv_cell.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

class CsvFormatter : public ReportFormatter {
 public:
  explicit CsvFormatter(std::ostream& out) : out_(out) {}

  void Begin(const ReportMeta&) override {
    out_ << "provider,account,bucket,key,first_read,last_read,reads,full_reads,"
            "range_reads,bytes,"
            "readers,readers_truncated\r\n";
  }
  void BeginBucket(const BucketReport&) override {}
  void Object(const BucketReport& b, const ObjectRow& r) override {
    std::string readers;
    for (size_t i = 0; i < r.readers.size(); ++i) readers += (i ? " " : "") + r.readers[i];
    out_ << CsvCell(b.provider) << ',' << CsvCell(b.account) << ',' << CsvCell(b.bucket) << ','
         << CsvCell(r.key) << ',' << TimeText(r.first_read) << ',' << TimeText(r.last_read) << ','
         << r.reads << ',' << r.full_reads << ',' << r.range_reads << ',' << r.bytes << ','
         << CsvCell(readers) << ',' << (r.readers_truncated ? "true" : "false") << "\r\n";
  }
  void EndBucket(const BucketReport&, const ObjectTotals&) override {}
  void End(const ReportMeta&) override { out_.flush(); }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<ReportFormatter> MakeCsvFormatter(std::ostream& out) {
  return std::make_unique<CsvFormatter>(out);
}

}  // namespace bw::report
