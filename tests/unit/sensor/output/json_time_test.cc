#include "sensor/output/json_time.h"

#include <gtest/gtest.h>

namespace bw::output {
namespace {

TEST(JsonTimeTest, FormatsUtcWithNanoseconds) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatTimestamp(1795429575 * kNsPerSecond + 123456789),
            "2026-11-23T10:26:15.123456789Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999999Z");
}

}  // namespace
}  // namespace bw::output
