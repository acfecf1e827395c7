#include "sensor/output/community_id.h"

#include <gtest/gtest.h>

namespace bw::output {
namespace {

decode::IpAddress Ip(const char* text) {
  decode::IpAddress a;
  EXPECT_TRUE(decode::IpAddress::Parse(text, a)) << text;
  return a;
}

// Reference value from the community-id-spec README's TCP example.
TEST(CommunityIdTest, MatchesSpecBaselines) {
  EXPECT_EQ(CommunityId(Ip("128.232.110.120"), 34855, Ip("66.35.250.204"), 80, 6),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(CommunityId(Ip("66.35.250.204"), 80, Ip("128.232.110.120"), 34855, 6),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_NE(CommunityId(Ip("128.232.110.120"), 34855, Ip("66.35.250.204"), 80, 6, 1),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

TEST(CommunityIdTest, Ipv6IsSymmetric) {
  auto x = CommunityId(Ip("2001:db8::1"), 40000, Ip("::1"), 443, 6);
  auto y = CommunityId(Ip("::1"), 443, Ip("2001:db8::1"), 40000, 6);
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.rfind("1:", 0), 0u);
  EXPECT_EQ(x.size(), 2u + 28u);
}

}  // namespace
}  // namespace bw::output
