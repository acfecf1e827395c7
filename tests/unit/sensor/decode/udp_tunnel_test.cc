// GENEVE, Teredo, AYIYA and GTP-U: found by their UDP ports, left as plain UDP when the datagram
// does not parse as the tunnel, and counted by name when cut.

#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

constexpr size_t kOuter = 14 + 20 + 8;  // Ethernet, IPv4, UDP

Ipv4Spec Outer() {
  Ipv4Spec ip;
  ip.src = {172, 16, 0, 1};
  ip.dst = {172, 16, 0, 2};
  ip.proto = kIpProtoUdp;
  return ip;
}

Bytes InUdp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  return Cat({Eth(0x0800), Ipv4(Outer(), Udp(sport, dport, payload))});
}

Ipv4Spec InnerV4() {
  Ipv4Spec ip;
  ip.src = {192, 168, 1, 10};
  ip.dst = {192, 168, 1, 20};
  return ip;
}

Bytes InnerV4Packet() { return Ipv4Tcp(InnerV4(), {}, Text("GET / HTTP/1.1\r\n")); }
Bytes InnerV6Packet() { return Ipv6({}, Tcp({}, Text("GET / HTTP/1.1\r\n"))); }

Bytes Geneve(uint16_t proto, const Bytes& options, uint8_t version = 0) {
  Bytes b = {static_cast<uint8_t>((version << 6) | (options.size() / 4)), 0};
  PutBe16(b, proto);
  PutBe32(b, 0x00ABCD00);
  b.insert(b.end(), options.begin(), options.end());
  return b;
}

// An AWS GWLB-style option: class 0x0108, type, 8 bytes of value.
Bytes GeneveOption(uint8_t type) {
  Bytes b;
  PutBe16(b, 0x0108);
  b.push_back(type);
  b.push_back(2);
  PutBe32(b, 0);
  PutBe32(b, 42);
  return b;
}

Bytes TeredoOrigin() { return {0, 0, 0xF2, 0x27, 0x3F, 0xFF, 0xFD, 0xFE}; }
Bytes TeredoAuth(uint8_t id_len, uint8_t auth_len) {
  Bytes b = {0, 1, id_len, auth_len};
  b.resize(b.size() + id_len + auth_len + 8 + 1, 0x11);
  return b;
}

Bytes Ayiya(uint8_t next, uint8_t opcode = 1) {
  // Identity 2^4 = 16 bytes, signature 5 * 4 = 20 bytes.
  Bytes b = {0x41, 0x52, static_cast<uint8_t>(0x20 | opcode), next};
  PutBe32(b, 1700000000);
  b.resize(8 + 16 + 20, 0x5A);
  return b;
}

// GTP-U G-PDU; with `ext`, the S and E flags, a sequence number and one 4-byte extension.
Bytes Gtp(const Bytes& inner, bool ext, uint8_t type = 0xFF) {
  Bytes body;
  if (ext) {
    PutBe16(body, 7);
    body.push_back(0);
    body.push_back(0x85);
    body.insert(body.end(), {1, 0x10, 0x09, 0x00});
  }
  Bytes b = {static_cast<uint8_t>(ext ? 0x36 : 0x30), type};
  PutBe16(b, static_cast<uint16_t>(body.size() + inner.size()));
  PutBe32(b, 0xABCD);
  return Cat({b, body, inner});
}

class UdpTunnelTest : public DecoderTest {
 protected:
  void ExpectInnerV4(const Bytes& frame, uint16_t flag) {
    ASSERT_EQ(Run(frame), DecodeStatus::kOk);
    EXPECT_EQ(meta_.src.ToString(), "192.168.1.10");
    EXPECT_EQ(meta_.dst_port, 80);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
    EXPECT_EQ(meta_.encapsulation_depth, 1);
    EXPECT_EQ(meta_.tunnel_flags, flag);
  }
  void ExpectInnerV6(const Bytes& frame, uint16_t flag) {
    ASSERT_EQ(Run(frame), DecodeStatus::kOk);
    EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
    EXPECT_EQ(meta_.dst_port, 80);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
    EXPECT_EQ(meta_.tunnel_flags, flag);
  }
  void ExpectPlainUdp(const Bytes& frame, uint16_t dport) {
    ASSERT_EQ(Run(frame), DecodeStatus::kOk);
    EXPECT_EQ(meta_.ip_proto, kIpProtoUdp);
    EXPECT_EQ(meta_.dst_port, dport);
    EXPECT_EQ(meta_.encapsulation_depth, 0);
  }
};

TEST_F(UdpTunnelTest, GeneveGatewayLoadBalancerCarriesBareIp) {
  Bytes opts = Cat({GeneveOption(1), GeneveOption(2), GeneveOption(3)});
  ExpectInnerV4(InUdp(40001, 6081, Cat({Geneve(0x0800, opts), InnerV4Packet()})), kTunnelGeneve);
  ExpectInnerV6(InUdp(40001, 6081, Cat({Geneve(0x86DD, {}), InnerV6Packet()})), kTunnelGeneve);
}

TEST_F(UdpTunnelTest, GeneveCarriesEthernet) {
  ExpectInnerV4(InUdp(40001, 6081, Cat({Geneve(0x6558, {}), Eth(0x0800), InnerV4Packet()})),
                kTunnelGeneve);
}

TEST_F(UdpTunnelTest, GeneveErrors) {
  ExpectDrop(InUdp(1, 6081, Cat({Geneve(0x0800, {}, 1), InnerV4Packet()})),
             DropReason::kGeneveUnsupported);
  // Options longer than the datagram.
  Bytes lying = Geneve(0x0800, {});
  lying[0] = 0x3F;
  ExpectDrop(InUdp(1, 6081, lying), DropReason::kGeneveUnsupported);
  ExpectDrop(InUdp(1, 6081, Cat({Geneve(0x0806, {}), Bytes(28, 0)})), DropReason::kNotIp);
  ExpectPlainUdp(InUdp(1, 6081, Bytes{0, 0, 0x08}), 6081);
}

TEST_F(UdpTunnelTest, GeneveTruncation) {
  Bytes opts = GeneveOption(1);
  Bytes frame = InUdp(40001, 6081, Cat({Geneve(0x0800, opts), InnerV4Packet()}));
  ExpectEveryCutCounted(frame, LinkType::kEthernet, kOuter, kOuter + 8 + opts.size(),
                        DropReason::kTruncatedGeneve);
}

TEST_F(UdpTunnelTest, TeredoWithAndWithoutIndicators) {
  ExpectInnerV6(InUdp(50001, 3544, InnerV6Packet()), kTunnelTeredo);
  ExpectInnerV6(InUdp(3544, 50001, Cat({TeredoOrigin(), InnerV6Packet()})), kTunnelTeredo);
  ExpectInnerV6(InUdp(50001, 3544, Cat({TeredoAuth(2, 4), TeredoOrigin(), InnerV6Packet()})),
                kTunnelTeredo);
  ExpectInnerV6(InUdp(50001, 3544, Cat({TeredoAuth(0, 0), InnerV6Packet()})), kTunnelTeredo);
}

TEST_F(UdpTunnelTest, TeredoPortWithoutIpv6IsPlainUdp) {
  ExpectPlainUdp(InUdp(50001, 3544, InnerV4Packet()), 3544);
  ExpectPlainUdp(InUdp(50001, 3544, Bytes{0, 1}), 3544);
  ExpectPlainUdp(InUdp(50001, 3544, Cat({TeredoOrigin(), Bytes(10, 0x60)})), 3544);
}

TEST_F(UdpTunnelTest, TeredoTruncation) {
  Bytes pre = Cat({TeredoAuth(2, 4), TeredoOrigin()});
  Bytes frame = InUdp(50001, 3544, Cat({pre, InnerV6Packet()}));
  ExpectEveryCutCounted(frame, LinkType::kEthernet, kOuter, kOuter + pre.size() + 1,
                        DropReason::kTruncatedTeredo);
}

TEST_F(UdpTunnelTest, Ayiya) {
  ExpectInnerV6(InUdp(50002, 5072, Cat({Ayiya(41), InnerV6Packet()})), kTunnelAyiya);
  ExpectInnerV4(InUdp(5072, 50002, Cat({Ayiya(4), InnerV4Packet()})), kTunnelAyiya);
  // A heartbeat (opcode 0) is signalling: plain UDP.
  ExpectPlainUdp(InUdp(50002, 5072, Ayiya(59, 0)), 5072);
  ExpectDrop(InUdp(50002, 5072, Cat({Ayiya(17), Bytes(8, 0)})), DropReason::kAyiyaUnsupported);
}

TEST_F(UdpTunnelTest, AyiyaTruncation) {
  Bytes frame = InUdp(50002, 5072, Cat({Ayiya(41), InnerV6Packet()}));
  ExpectEveryCutCounted(frame, LinkType::kEthernet, kOuter, kOuter + Ayiya(41).size(),
                        DropReason::kTruncatedAyiya);
}

TEST_F(UdpTunnelTest, GtpU) {
  ExpectInnerV4(InUdp(2152, 2152, Gtp(InnerV4Packet(), false)), kTunnelGtp);
  ExpectInnerV4(InUdp(2152, 2152, Gtp(InnerV4Packet(), true)), kTunnelGtp);
  ExpectInnerV6(InUdp(2152, 2152, Gtp(InnerV6Packet(), true)), kTunnelGtp);
  // Echo request: signalling, plain UDP.
  ExpectPlainUdp(InUdp(2152, 2152, Gtp({}, false, 0x01)), 2152);
  // An Ethernet PDU session: not followed, counted.
  ExpectDrop(InUdp(2152, 2152, Gtp(Cat({Eth(0x0800), InnerV4Packet()}), false)),
             DropReason::kGtpUnsupported);
  // An extension of length 0 would never end.
  Bytes bad = Gtp(InnerV4Packet(), true);
  bad[12] = 0;
  ExpectDrop(InUdp(2152, 2152, bad), DropReason::kGtpUnsupported);
}

TEST_F(UdpTunnelTest, GtpUTruncation) {
  Bytes frame = InUdp(2152, 2152, Gtp(InnerV4Packet(), true));
  ExpectEveryCutCounted(frame, LinkType::kEthernet, kOuter, kOuter + 16 + 1,
                        DropReason::kTruncatedGtp);
}

// GRE-in-UDP (RFC 8086): the GRE header right after UDP, to port 4754.
TEST_F(UdpTunnelTest, GreInUdp) {
  ASSERT_EQ(Run(InUdp(50000, 4754, Cat({Gre(0x0800), InnerV4Packet()}))), DecodeStatus::kOk);
  EXPECT_EQ(meta_.src.ToString(), "192.168.1.10");
  EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(meta_.tunnel_flags, kTunnelGre);
  EXPECT_EQ(meta_.encapsulation_depth, 1);
  ExpectInnerV4(InUdp(50000, 4754, Cat({Gre(0x6558), Eth(0x0800), InnerV4Packet()})), kTunnelGre);
  Bytes frame = InUdp(50000, 4754, Cat({Gre(0x0800, 0x20), InnerV4Packet()}));
  ExpectEveryCutCounted(frame, LinkType::kEthernet, kOuter, kOuter + 8, DropReason::kTruncatedGre);
}

TEST_F(UdpTunnelTest, NestedUdpTunnelsAreBounded) {
  Bytes frame = InnerV4Packet();
  for (uint8_t i = 0; i < kMaxEncapsulationDepth; ++i) {
    frame = Ipv4(Outer(), Udp(2152, 2152, Gtp(frame, true)));
  }
  frame = Cat({Eth(0x0800), frame});
  ASSERT_EQ(Run(frame), DecodeStatus::kOk);
  EXPECT_EQ(meta_.encapsulation_depth, kMaxEncapsulationDepth);
  EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  ExpectDrop(InUdp(40001, 6081, Cat({Geneve(0x6558, {}), frame})),
             DropReason::kEncapsulationTooDeep);
}

}  // namespace
}  // namespace bw::decode::testing
