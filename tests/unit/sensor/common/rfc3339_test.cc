#include "sensor/common/rfc3339.h"

#include <gtest/gtest.h>

namespace bw::common {
namespace {

constexpr TimestampNs S(int64_t seconds) { return seconds * kNsPerSecond; }

TEST(Rfc3339, FormatsUtcWithNanoseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339(S(1795429575) + 123456789), "2026-11-23T10:26:15.123456789Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(S(-86400)), "1969-12-31T00:00:00.000000000Z");
}

TEST(Rfc3339, FewerFractionDigitsCutNeverRound) {
  TimestampNs t = S(951868800) + 999999;  // 2000-03-01, 0.999999 ms
  EXPECT_EQ(FormatRfc3339(t, 6), "2000-03-01T00:00:00.000999Z");
  EXPECT_EQ(FormatRfc3339(t, 3), "2000-03-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(S(1) - 1, 6), "1970-01-01T00:00:00.999999Z");
  EXPECT_EQ(FormatRfc3339(S(1) - 1, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(5, -3), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(5, 12), "1970-01-01T00:00:00.000000005Z");
}

// The whole range int64 nanoseconds hold, written digit by digit into a caller's buffer.
TEST(Rfc3339, WritesTheEdgesOfTheRangeIntoABuffer) {
  char buf[kRfc3339MaxBytes];
  EXPECT_EQ(std::string_view(buf, WriteRfc3339(buf, INT64_MIN)), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(std::string_view(buf, WriteRfc3339(buf, INT64_MAX)), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(std::string_view(buf, WriteRfc3339(buf, S(4102444799), 6)),
            "2099-12-31T23:59:59.000000Z");
}

TEST(Rfc3339, LeapYears) {
  EXPECT_EQ(FormatRfc3339(S(951782400)), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339(S(1709164800)), "2024-02-29T00:00:00.000000000Z");
  EXPECT_EQ(ParseRfc3339("2000-02-29T00:00:00Z"), S(951782400));  // 400-year rule
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), S(1709164800));
  EXPECT_EQ(ParseRfc3339("2024-12-31T23:59:59Z"), S(1735689599));  // day 366
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("1900-02-29T00:00:00Z"));  // 100-year rule
  EXPECT_FALSE(ParseRfc3339("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-04-31T00:00:00Z"));
}

TEST(Rfc3339, RoundTripsEveryPrecision) {
  for (TimestampNs t :
       {TimestampNs{0}, TimestampNs{-1}, S(951782400) + 1, S(1795429575) + 123456789,
        S(4102444799) + 999999999, S(-2208988800) + 500}) {
    std::string text = FormatRfc3339(t);
    EXPECT_EQ(ParseRfc3339(text), t) << text;
    // Microseconds: the cut part is lost, the rest comes back.
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t, 6)), t - ((t % 1000) + 1000) % 1000) << text;
  }
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("1970-01-01t00:00:00z"), 0);
  EXPECT_EQ(ParseRfc3339("1970-01-01T01:00:00.5+01:00"), 500'000'000);
  EXPECT_EQ(ParseRfc3339("1969-12-31T19:00:00-05:00"), 0);
  EXPECT_EQ(ParseRfc3339("2026-11-23T10:16:15.123456789Z"), S(1795428975) + 123456789);
  EXPECT_EQ(ParseRfc3339("2026-11-23T10:16:15.1234567891234Z"), S(1795428975) + 123456789);
  EXPECT_EQ(ParseRfc3339("2026-11-23T10:16:15.1Z"), S(1795428975) + 100'000'000);
  // A leap second is read as the first second of the next minute.
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z"), ParseRfc3339("2017-01-01T00:00:00Z"));
}

TEST(Rfc3339, RejectsTimesInt64NanosecondsCannotHold) {
  EXPECT_TRUE(ParseRfc3339("2262-04-10T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("1677-09-22T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2262-04-12T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59.999999999Z"));
  EXPECT_FALSE(ParseRfc3339("1677-09-20T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("0000-01-01T00:00:00Z"));
}

TEST(Rfc3339, RejectsBadInput) {
  for (std::string_view bad : {"",
                               "2000",
                               "2000-03-01",
                               "2000-03-01 00:00:00Z",
                               "2000-13-01T00:00:00Z",
                               "2000-00-01T00:00:00Z",
                               "2000-03-00T00:00:00Z",
                               "2000-03-01T24:00:00Z",
                               "2000-03-01T00:60:00Z",
                               "2000-03-01T00:00:61Z",
                               "2000-03-01T00:00:00",
                               "2000-03-01T00:00:00.Z",
                               "2000-03-01T00:00:00Zjunk",
                               "2000-03-01T00:00:00+01",
                               "2000-03-01T00:00:00+0100",
                               "2000-03-01T00:00:00+24:00",
                               "2000-03-01T00:00:00+01:60",
                               "2000-3-01T00:00:00Z",
                               "+2000-03-01T00:00:00Z",
                               "2000-03-01T00:00:00.-1Z",
                               "2000-03-01T00:00:00 Z",
                               "２０００-03-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace bw::common
