// PPPoE sessions on Ethernet, and the PPP and Cisco HDLC link types.

#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

Bytes V4() { return Ipv4Tcp({}, {}, Text("GET / HTTP/1.1\r\n")); }
Bytes V6() { return Ipv6({}, Tcp({}, Text("GET / HTTP/1.1\r\n"))); }

Bytes Pppoe(const Bytes& ppp, uint8_t code = 0) {
  Bytes b = {0x11, code};
  PutBe16(b, 0x1234);
  PutBe16(b, static_cast<uint16_t>(ppp.size()));
  return Cat({b, ppp});
}

Bytes Ppp(uint16_t proto, const Bytes& packet) {
  Bytes b;
  PutBe16(b, proto);
  return Cat({b, packet});
}

class PppTest : public DecoderTest {
 protected:
  void Expect(const Bytes& frame, LinkType link, int family) {
    ASSERT_EQ(Run(frame, link), DecodeStatus::kOk) << static_cast<int>(link);
    EXPECT_EQ(meta_.src.family, family);
    EXPECT_EQ(meta_.dst_port, 80);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  }
};

TEST_F(PppTest, PppoeSession) {
  Expect(Cat({Eth(0x8864), Pppoe(Ppp(0x0021, V4()))}), LinkType::kEthernet, 4);
  EXPECT_EQ(meta_.tunnel_flags, kTunnelPppoe);
  Expect(Cat({Eth(0x8864), Pppoe(Ppp(0x0057, V6()))}), LinkType::kEthernet, 6);
  // Behind a VLAN tag, as access networks send it; with Ethernet padding after it.
  Expect(Cat({Eth(0x8100), Vlan(7, 0x8864), Pppoe(Ppp(0x0021, V4())), Bytes(6, 0)}),
         LinkType::kEthernet, 4);
  EXPECT_EQ(meta_.vlan_count, 1);
  // Compressed protocol field.
  Expect(Cat({Eth(0x8864), Pppoe(Cat({Bytes{0x21}, V4()}))}), LinkType::kEthernet, 4);
}

// A PPPoE length shorter than the IP packet it carries (seen in Zeek's pppoe-over-qinq trace,
// which tshark reads whole): the IP header's own length decides.
TEST_F(PppTest, PppoeLengthUnderstated) {
  Bytes frame = Cat({Eth(0x8864), Pppoe(Ppp(0x0021, V4()))});
  frame[14 + 5] = static_cast<uint8_t>(frame[14 + 5] - 4);
  Expect(frame, LinkType::kEthernet, 4);
  EXPECT_EQ(TotalDrops(), 0u);
}

TEST_F(PppTest, PppoeNotIp) {
  ExpectDrop(Cat({Eth(0x8864), Pppoe(Ppp(0xC021, Bytes(10, 0)))}), DropReason::kNotIp);  // LCP
  ExpectDrop(Cat({Eth(0x8864), Pppoe(Ppp(0x0021, V4()), 0x09)}), DropReason::kNotIp);
  ExpectDrop(Cat({Eth(0x8863), Bytes(20, 0)}), DropReason::kNotIp);  // discovery
}

TEST_F(PppTest, PppoeTruncation) {
  Bytes frame = Cat({Eth(0x8864), Pppoe(Ppp(0x0021, V4()))});
  ExpectEveryCutCounted(frame, LinkType::kEthernet, 14, 20, DropReason::kTruncatedPppoe);
  ExpectEveryCutCounted(frame, LinkType::kEthernet, 20, 22, DropReason::kTruncatedPpp);
}

TEST_F(PppTest, PppLinkTypes) {
  for (LinkType link : {LinkType::kPpp, LinkType::kPppSerial}) {
    Expect(Cat({Bytes{0xFF, 0x03}, Ppp(0x0021, V4())}), link, 4);
    Expect(Ppp(0x0057, V6()), link, 6);  // address and control compressed away
    ExpectDrop(Cat({Bytes{0xFF, 0x03}, Ppp(0x8021, Bytes(8, 0))}), DropReason::kNotIp, link);
    ExpectDrop(Bytes{0xFF}, DropReason::kTruncatedLinkHeader, link);
  }
  // DLT_PPP_SERIAL may carry Cisco HDLC frames.
  Bytes chdlc = {0x0F, 0x00};
  PutBe16(chdlc, 0x0800);
  Expect(Cat({chdlc, V4()}), LinkType::kPppSerial, 4);
  Expect(Cat({Bytes{0x01, 0xFF, 0x03}, Ppp(0x0021, V4())}), LinkType::kPppWithDir, 4);
  Expect(Pppoe(Ppp(0x0021, V4())), LinkType::kPppEther, 4);
  ExpectEveryCutCounted(Cat({Bytes{0xFF, 0x03}, Ppp(0x0021, V4())}), LinkType::kPpp, 2, 4,
                        DropReason::kTruncatedPpp);
}

TEST_F(PppTest, CiscoHdlc) {
  Bytes v4 = {0x0F, 0x00, 0x08, 0x00};
  Bytes v6 = {0x8F, 0x00, 0x86, 0xDD};
  for (LinkType link : {LinkType::kCiscoHdlc, LinkType::kHdlc}) {
    Expect(Cat({v4, V4()}), link, 4);
    Expect(Cat({v6, V6()}), link, 6);
    ExpectDrop(Cat({Bytes{0x8F, 0x00, 0x80, 0x35}, Bytes(20, 0)}), DropReason::kNotIp, link);
    ExpectEveryCutCounted(Cat({v4, V4()}), link, 0, 4, DropReason::kTruncatedLinkHeader);
  }
  Expect(Cat({Bytes{0x00}, v4, V4()}), LinkType::kCiscoHdlcWithDir, 4);
  ExpectEveryCutCounted(Cat({Bytes{0x01}, v4, V4()}), LinkType::kCiscoHdlcWithDir, 0, 5,
                        DropReason::kTruncatedLinkHeader);
}

}  // namespace
}  // namespace bw::decode::testing
