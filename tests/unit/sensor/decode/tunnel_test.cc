#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

using TunnelTest = DecoderTest;

constexpr uint8_t kGre = 47;

Ipv4Spec Outer(uint8_t proto) {
  Ipv4Spec ip;
  ip.src = {172, 16, 0, 1};
  ip.dst = {172, 16, 0, 2};
  ip.proto = proto;
  return ip;
}

Ipv4Spec InnerIp() {
  Ipv4Spec ip;
  ip.src = {192, 168, 1, 10};
  ip.dst = {192, 168, 1, 20};
  return ip;
}

TcpSpec InnerTcp() {
  TcpSpec t;
  t.src_port = 51000;
  t.dst_port = 443;
  return t;
}

Bytes InnerFrame(std::string_view payload = "inner") {
  return Cat({Eth(0x0800), Ipv4Tcp(InnerIp(), InnerTcp(), Text(payload))});
}

Bytes InVxlan(const Bytes& inner_frame) {
  return Cat(
      {Eth(0x0800), Ipv4(Outer(kIpProtoUdp), Udp(33333, 4789, Cat({Vxlan(1000), inner_frame})))});
}

Bytes InGre(const Bytes& gre_and_payload) {
  return Cat({Eth(0x0800), Ipv4(Outer(kGre), gre_and_payload)});
}

class TunnelResultTest : public TunnelTest {
 protected:
  void ExpectInner(const Bytes& frame, uint8_t depth, uint16_t flags,
                   std::string_view payload = "inner") {
    ASSERT_EQ(Run(frame), DecodeStatus::kOk);
    EXPECT_EQ(meta_.src.ToString(), "192.168.1.10");
    EXPECT_EQ(meta_.dst.ToString(), "192.168.1.20");
    EXPECT_EQ(meta_.src_port, 51000);
    EXPECT_EQ(meta_.dst_port, 443);
    EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
    EXPECT_EQ(AsStringView(meta_.payload), payload);
    EXPECT_EQ(meta_.encapsulation_depth, depth);
    EXPECT_EQ(meta_.tunnel_flags, flags);
    // l3 is the inner IP packet.
    EXPECT_EQ(meta_.l3.size(), 20u + 20u + payload.size());
    EXPECT_EQ(meta_.l3[12], 192);
  }
};

TEST_F(TunnelResultTest, Vxlan) { ExpectInner(InVxlan(InnerFrame()), 1, kTunnelVxlan); }

TEST_F(TunnelResultTest, VxlanWithoutIFlagIsPlainUdp) {
  Bytes frame = Cat({Eth(0x0800), Ipv4(Outer(kIpProtoUdp),
                                       Udp(33333, 4789, Cat({Vxlan(1, 0x00), InnerFrame()})))});
  ASSERT_EQ(Run(frame), DecodeStatus::kOk);
  EXPECT_EQ(meta_.dst_port, 4789);
  EXPECT_EQ(meta_.encapsulation_depth, 0);
  EXPECT_EQ(meta_.payload.size(), 8 + InnerFrame().size());
  // Too short to be VXLAN at all: plain UDP too.
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4(Outer(kIpProtoUdp), Udp(1, 4789, Bytes{8, 0, 0}))})),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.payload.size(), 3u);
}

TEST_F(TunnelResultTest, VxlanTruncatedBySnaplen) {
  Bytes frame = InVxlan(InnerFrame());
  Bytes cut(frame.begin(), frame.begin() + 14 + 20 + 8 + 5);
  ExpectDrop(cut, DropReason::kTruncatedVxlan, LinkType::kEthernet,
             static_cast<uint32_t>(frame.size()));
}

TEST_F(TunnelResultTest, VxlanInnerNonIp) {
  ExpectDrop(InVxlan(Cat({Eth(0x0806), Bytes(28, 0)})), DropReason::kNotIp);
}

TEST_F(TunnelResultTest, GreCarriesIpv4Ipv6EthernetAndMpls) {
  ExpectInner(InGre(Cat({Gre(0x0800), Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))})), 1,
              kTunnelGre);
  ExpectInner(InGre(Cat({Gre(0x6558), InnerFrame()})), 1, kTunnelGre);
  ExpectInner(
      InGre(Cat({Gre(0x8847), Mpls(20, true), Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))})), 1,
      kTunnelGre | kTunnelMpls);
  Ipv6Spec v6;
  ASSERT_EQ(Run(InGre(Cat({Gre(0x86DD), Ipv6(v6, Tcp(InnerTcp(), Text("six")))}))),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
  EXPECT_EQ(AsStringView(meta_.payload), "six");
}

TEST_F(TunnelResultTest, GreOptionalFields) {
  for (uint8_t flags : {uint8_t{0x80}, uint8_t{0x20}, uint8_t{0x10}, uint8_t{0xB0}}) {
    ExpectInner(InGre(Cat({Gre(0x0800, flags), Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))})), 1,
                kTunnelGre);
  }
}

TEST_F(TunnelResultTest, GreOverIpv6) {
  Ipv6Spec outer;
  outer.next = kGre;
  ExpectInner(Cat({Eth(0x86DD), Ipv6(outer, Cat({Gre(0x6558, 0x20), InnerFrame()}))}), 1,
              kTunnelGre);
}

TEST_F(TunnelResultTest, GreErrors) {
  ExpectDrop(InGre(Bytes{0, 0, 0x08}), DropReason::kTruncatedGre);
  ExpectDrop(InGre(Bytes{0xB0, 0, 0x08, 0x00, 0, 0, 0, 0}), DropReason::kTruncatedGre);
  ExpectDrop(InGre(Cat({Gre(0x880B, 0x20, 1), Bytes(8, 0)})), DropReason::kGreUnsupported);
  ExpectDrop(InGre(Cat({Gre(0x0800, 0x40), Bytes(8, 0)})), DropReason::kGreUnsupported);
  ExpectDrop(InGre(Cat({Gre(0x880B), Bytes(8, 0)})), DropReason::kGreUnsupported);
}

TEST_F(TunnelResultTest, ErspanTypeI) {
  ExpectInner(InGre(Cat({Gre(0x88BE), InnerFrame()})), 1, kTunnelGre | kTunnelErspan);
}

TEST_F(TunnelResultTest, ErspanTypeII) {
  ExpectInner(InGre(Cat({Gre(0x88BE, 0x10), ErspanII(12), InnerFrame()})), 1,
              kTunnelGre | kTunnelErspan);
  ExpectDrop(InGre(Cat({Gre(0x88BE, 0x10), ErspanII(12, 2), InnerFrame()})),
             DropReason::kErspanUnsupported);
  ExpectDrop(InGre(Cat({Gre(0x88BE, 0x10), Bytes{0x10, 0, 0}})), DropReason::kTruncatedErspan);
}

TEST_F(TunnelResultTest, ErspanTypeIII) {
  ExpectInner(InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(3, false), InnerFrame()})), 1,
              kTunnelGre | kTunnelErspan);
  ExpectInner(InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(3, true), InnerFrame()})), 1,
              kTunnelGre | kTunnelErspan);
  // Frame type 2: the mirrored packet starts at its IP header.
  ExpectInner(InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(3, false, 2),
                         Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))})),
              1, kTunnelGre | kTunnelErspan);
  ExpectDrop(InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(3, false, 5), InnerFrame()})),
             DropReason::kErspanUnsupported);
  ExpectDrop(InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(3, false, 0, 1), InnerFrame()})),
             DropReason::kErspanUnsupported);
  ExpectDrop(InGre(Cat({Gre(0x22EB, 0x10), Bytes(11, 0x20)})), DropReason::kTruncatedErspan);
  Bytes platform_cut = ErspanIII(3, true);
  platform_cut.resize(16);
  ExpectDrop(InGre(Cat({Gre(0x22EB, 0x10), platform_cut})), DropReason::kTruncatedErspan);
}

TEST_F(TunnelResultTest, NestedTunnels) {
  // ERSPAN III mirror of a VXLAN packet whose inner frame is GRE-encapsulated Ethernet.
  Bytes gre_inner = Cat({Eth(0x0800), Ipv4(Outer(kGre), Cat({Gre(0x6558), InnerFrame()}))});
  Bytes vxlan = InVxlan(gre_inner);
  Bytes frame = InGre(Cat({Gre(0x22EB, 0x10), ErspanIII(7, true), vxlan}));
  ExpectInner(frame, 3, kTunnelGre | kTunnelErspan | kTunnelVxlan);
}

TEST_F(TunnelResultTest, EncapsulationDepthLimit) {
  Bytes frame = InnerFrame();
  for (uint8_t i = 0; i < kMaxEncapsulationDepth; ++i) frame = InVxlan(frame);
  ExpectInner(frame, kMaxEncapsulationDepth, kTunnelVxlan);
  ExpectDrop(InVxlan(frame), DropReason::kEncapsulationTooDeep);
  Bytes gre = frame;
  ExpectDrop(InGre(Cat({Gre(0x6558), gre})), DropReason::kEncapsulationTooDeep);
}

TEST_F(TunnelResultTest, VxlanQinQInside) {
  Bytes inner = Cat({Eth(0x88A8), Vlan(30, 0x8100), Vlan(40, 0x0800),
                     Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))});
  Bytes frame = Cat({Eth(0x8100), Vlan(5, 0x0800),
                     Ipv4(Outer(kIpProtoUdp), Udp(1, 4789, Cat({Vxlan(9), inner})))});
  ExpectInner(frame, 1, kTunnelVxlan);
  EXPECT_EQ(meta_.vlan_count, 3);
  EXPECT_EQ(meta_.vlan_ids[0], 5);
  EXPECT_EQ(meta_.vlan_ids[2], 40);
}

// VXLAN-GPE on 4790 (Arkime's gre-erspan-vxlan mirror): byte 3 names the inner protocol when
// the P flag is set; without it the inner frame is Ethernet as in VXLAN.
Bytes InVxlanGpe(uint8_t flags, uint8_t next, const Bytes& inner) {
  Bytes gpe = Vxlan(1000, flags);
  gpe[3] = next;
  return Cat({Eth(0x0800), Ipv4(Outer(kIpProtoUdp), Udp(4789, 4790, Cat({gpe, inner})))});
}

TEST_F(TunnelResultTest, VxlanGpeByNextProtocol) {
  ExpectInner(InVxlanGpe(0x0C, 3, InnerFrame()), 1, kTunnelVxlan);
  ExpectInner(InVxlanGpe(0x0C, 1, Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"))), 1, kTunnelVxlan);
  ExpectInner(InVxlanGpe(0x08, 0, InnerFrame()), 1, kTunnelVxlan);
  // NSH (4) is not a packet the sensor reads: the datagram stays plain UDP.
  ASSERT_EQ(Run(InVxlanGpe(0x0C, 4, InnerFrame())), DecodeStatus::kOk);
  EXPECT_EQ(meta_.dst_port, 4790);
  EXPECT_EQ(meta_.encapsulation_depth, 0);
}

// IP in IP: IPv4 in IPv4 (protocol 4), and IPv6 in IPv4 (protocol 41, nDPI's 6in4tunnel).
TEST_F(TunnelResultTest, IpInIp) {
  ExpectInner(Cat({Eth(0x0800), Ipv4(Outer(4), Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner")))}), 1,
              kTunnelIpInIp);
  TcpSpec tcp = InnerTcp();
  Bytes six = Cat({Eth(0x0800), Ipv4(Outer(41), Ipv6({}, Tcp(tcp, Text("inner"))))});
  ASSERT_EQ(Run(six), DecodeStatus::kOk);
  EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
  EXPECT_EQ(meta_.dst_port, 443);
  EXPECT_EQ(AsStringView(meta_.payload), "inner");
  EXPECT_EQ(meta_.tunnel_flags, kTunnelIpInIp);
  // Nesting is bounded like any tunnel, and a cut inner header is the inner layer's drop.
  Bytes nested = Ipv4Tcp(InnerIp(), InnerTcp(), Text("inner"));
  for (uint8_t i = 0; i <= kMaxEncapsulationDepth; ++i) nested = Ipv4(Outer(4), nested);
  ExpectDrop(Cat({Eth(0x0800), nested}), DropReason::kEncapsulationTooDeep);
  ExpectDrop(Cat({Eth(0x0800), Ipv4(Outer(4), Bytes{0x45, 0})}), DropReason::kTruncatedIpv4);
}

}  // namespace
}  // namespace bw::decode::testing
