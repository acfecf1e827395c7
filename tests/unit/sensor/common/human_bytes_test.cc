#include "sensor/common/human_bytes.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace bw::common {
namespace {

TEST(HumanBytes, ExactBelowOneKibibyte) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1), "1 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
}

TEST(HumanBytes, OneDecimalInBinaryUnits) {
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(1572864), "1.5 MiB");
  EXPECT_EQ(HumanBytes(uint64_t{1} << 30), "1.0 GiB");
  EXPECT_EQ(HumanBytes(uint64_t{5} << 40), "5.0 TiB");
  EXPECT_EQ(HumanBytes(uint64_t{1} << 50), "1.0 PiB");
  // Just under the next unit rounds up in the digits but keeps its unit.
  EXPECT_EQ(HumanBytes((uint64_t{1} << 20) - 1), "1024.0 KiB");
}

TEST(HumanBytes, LargestCountsStayInPebibytes) { EXPECT_EQ(HumanBytes(UINT64_MAX), "16384.0 PiB"); }

}  // namespace
}  // namespace bw::common
