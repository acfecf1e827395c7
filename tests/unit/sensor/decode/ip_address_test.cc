#include "sensor/decode/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>

namespace bw::decode {
namespace {

std::string Ntop(int af, const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  return inet_ntop(af, a.bytes.data(), buf, sizeof(buf)) ? buf : "";
}

// The hand-written IPv4 form is inet_ntop's, for every byte value in every position.
TEST(IpAddress, Ipv4TextIsInetNtops) {
  std::mt19937 rng(7);
  for (int v = 0; v < 256; ++v) {
    for (int pos = 0; pos < 4; ++pos) {
      uint8_t b[4] = {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                      static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())};
      b[pos] = static_cast<uint8_t>(v);
      IpAddress a = IpAddress::V4(b);
      ASSERT_EQ(a.ToString(), Ntop(AF_INET, a));
    }
  }
  const uint8_t top[4] = {255, 255, 255, 255};
  char buf[IpAddress::kMaxTextBytes];
  EXPECT_EQ(std::string_view(buf, IpAddress::V4(top).Write(buf)), "255.255.255.255");
}

TEST(IpAddress, Ipv6TextFollowsRfc5952AndUnsetIsEmpty) {
  IpAddress a;
  ASSERT_TRUE(IpAddress::Parse("2001:DB8:0:0:1:0:0:1", a));
  EXPECT_EQ(a.ToString(), "2001:db8::1:0:0:1");
  ASSERT_TRUE(IpAddress::Parse("::ffff:10.0.0.1", a));
  EXPECT_EQ(a.ToString(), "::ffff:10.0.0.1");
  EXPECT_EQ(IpAddress{}.ToString(), "");
}

}  // namespace
}  // namespace bw::decode
