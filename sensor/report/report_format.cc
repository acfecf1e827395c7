#include "sensor/report/report_format.h"

#include <cstdio>

#include "sensor/common/rfc3339.h"

namespace bw::report {

std::unique_ptr<ReportFormatter> MakeTextFormatter(std::ostream& out);
std::unique_ptr<ReportFormatter> MakeJsonFormatter(std::ostream& out);
std::unique_ptr<ReportFormatter> MakeCsvFormatter(std::ostream& out);
std::unique_ptr<ReportFormatter> MakeHtmlFormatter(std::ostream& out);

std::unique_ptr<ReportFormatter> MakeFormatter(const std::string& format, std::ostream& out) {
  if (format == "text") return MakeTextFormatter(out);
  if (format == "json") return MakeJsonFormatter(out);
  if (format == "csv") return MakeCsvFormatter(out);
  if (format == "html") return MakeHtmlFormatter(out);
  return nullptr;
}

std::string BucketDisplayName(const BucketReport& b) {
  std::string name = b.provider + " ";
  if (!b.account.empty()) name += b.account + "/";
  name += b.bucket.empty() ? "(account level)" : b.bucket;
  return name;
}

std::string TimeText(TimestampNs ts) { return common::FormatRfc3339(ts); }

}  // namespace bw::report
