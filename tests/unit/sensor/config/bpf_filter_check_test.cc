#include "sensor/config/bpf_filter_check.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::config {
namespace {

TEST(BpfFilterCheck, ValidAndEmptyFiltersPass) {
  std::string reason;
  EXPECT_TRUE(CheckBpfFilter("", 262144, reason));
  EXPECT_TRUE(CheckBpfFilter("tcp port 80 or tcp port 443", 262144, reason)) << reason;
  EXPECT_TRUE(CheckBpfFilter("vlan and tcp", 65535, reason)) << reason;
  // Only meaningful on 802.11: compiled for radiotap, not refused for Ethernet's sake.
  EXPECT_TRUE(CheckBpfFilter("wlan type data", 65535, reason)) << reason;
}

TEST(BpfFilterCheck, InvalidFilterIsRefusedWithTheReason) {
  std::string reason;
  ASSERT_FALSE(CheckBpfFilter("tcp prot 80", 262144, reason));
  EXPECT_EQ(reason.rfind("invalid BPF filter (", 0), 0u) << reason;
  EXPECT_NE(reason.find("syntax error"), std::string::npos) << reason;
  EXPECT_NE(reason.find("): 'tcp prot 80'"), std::string::npos) << reason;
  // Well-formed but meaningless on every link type.
  ASSERT_FALSE(CheckBpfFilter("tcp port 99999", 262144, reason));
  EXPECT_NE(reason.find("99999"), std::string::npos) << reason;
}

TEST(BpfFilterCheck, HugeFilterIsNotCompiledNorEchoedWhole) {
  std::string reason;
  ASSERT_FALSE(CheckBpfFilter(std::string(14 << 20, 'x'), 262144, reason));
  EXPECT_EQ(reason, "at most 65536 bytes, got 14680064");
  // Within the length limit, the echo is still cut.
  ASSERT_FALSE(CheckBpfFilter("tcp prot " + std::string(60000, '8'), 262144, reason));
  EXPECT_LT(reason.size(), 400u) << reason;
  EXPECT_NE(reason.find("...' (60009 bytes)"), std::string::npos) << reason;
}

}  // namespace
}  // namespace bw::config
