#include "sensor/output/json_time.h"

#include <cstdio>
#include <ctime>

namespace bw::output {

std::string FormatTimestamp(TimestampNs ts) {
  time_t secs = static_cast<time_t>(ts / kNsPerSecond);
  long nanos = static_cast<long>(ts % kNsPerSecond);
  if (nanos < 0) {
    nanos += kNsPerSecond;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
  return buf;
}

}  // namespace bw::output
