#include "sensor/flow/flow_direction.h"

#include <gtest/gtest.h>

#include <array>

namespace bw::flow {
namespace {

decode::PacketMeta Packet(uint16_t sport, uint16_t dport, uint8_t flags,
                          uint8_t proto = decode::kIpProtoTcp) {
  decode::PacketMeta p;
  const uint8_t a[4] = {10, 0, 0, 1};
  const uint8_t b[4] = {10, 0, 0, 2};
  p.src = decode::IpAddress::V4(a);
  p.dst = decode::IpAddress::V4(b);
  p.src_port = sport;
  p.dst_port = dport;
  p.ip_proto = proto;
  p.tcp_flags = flags;
  return p;
}

bool SrcIsClient(const decode::PacketMeta& p, const ClientDecision& d) {
  return d.client.addr == p.src && d.client.port == p.src_port && d.server.addr == p.dst &&
         d.server.port == p.dst_port;
}

TEST(FlowDirection, SynSenderIsClientEvenOnServerPort) {
  // A SYN from port 443 to an ephemeral port still makes the sender the client.
  auto p = Packet(443, 50000, decode::kTcpSyn);
  auto d = DecideClient(p);
  EXPECT_TRUE(d.from_handshake);
  EXPECT_TRUE(SrcIsClient(p, d));
  EXPECT_EQ(DirectionOf(p, d.client), Direction::kToServer);
}

TEST(FlowDirection, SynAckSenderIsServer) {
  auto p = Packet(50000, 80, decode::kTcpSyn | decode::kTcpAck);
  auto d = DecideClient(p);
  EXPECT_TRUE(d.from_handshake);
  EXPECT_FALSE(SrcIsClient(p, d));
  EXPECT_EQ(DirectionOf(p, d.client), Direction::kToClient);
}

TEST(FlowDirection, KnownServerPortsWithoutHandshake) {
  for (uint16_t port : {80, 443, 8000, 8080, 8443, 9000, 10000, 4568, 4569, 7480}) {
    auto to_server = Packet(51000, port, decode::kTcpAck);
    auto from_server = Packet(port, 51000, decode::kTcpAck | decode::kTcpPsh);
    auto d1 = DecideClient(to_server);
    auto d2 = DecideClient(from_server);
    EXPECT_FALSE(d1.from_handshake);
    EXPECT_TRUE(SrcIsClient(to_server, d1)) << port;
    EXPECT_FALSE(SrcIsClient(from_server, d2)) << port;
    EXPECT_TRUE(IsKnownServerPort(port));
  }
  EXPECT_FALSE(IsKnownServerPort(51000));
}

TEST(FlowDirection, KnownPortBeatsLowerPort) {
  // 9000 (MinIO) is the server even against a privileged client port.
  auto p = Packet(9000, 700, decode::kTcpAck);
  EXPECT_FALSE(SrcIsClient(p, DecideClient(p)));
}

TEST(FlowDirection, PrivilegedLowerPortIsServer) {
  auto p = Packet(873, 40000, decode::kTcpAck);  // rsync server answering
  EXPECT_FALSE(SrcIsClient(p, DecideClient(p)));
  auto q = Packet(40000, 873, decode::kTcpAck);
  EXPECT_TRUE(SrcIsClient(q, DecideClient(q)));
  auto both = Packet(22, 873, decode::kTcpAck);  // both privileged: the lower serves
  EXPECT_FALSE(SrcIsClient(both, DecideClient(both)));
}

TEST(FlowDirection, BothEphemeralFirstSenderIsClient) {
  auto p = Packet(40000, 50000, decode::kTcpAck);
  EXPECT_TRUE(SrcIsClient(p, DecideClient(p)));
  auto q = Packet(50000, 40000, decode::kTcpAck);
  EXPECT_TRUE(SrcIsClient(q, DecideClient(q)));
  auto same = Packet(5000, 5000, decode::kTcpAck);
  EXPECT_TRUE(SrcIsClient(same, DecideClient(same)));
}

TEST(FlowDirection, ExtraServerPortsFromConfig) {
  const std::array<uint16_t, 1> extra = {9100};
  auto p = Packet(9100, 40000, decode::kTcpAck);
  EXPECT_TRUE(SrcIsClient(p, DecideClient(p)));  // unknown port: first sender
  EXPECT_FALSE(SrcIsClient(p, DecideClient(p, extra)));
}

TEST(FlowDirection, UdpUsesPortHeuristicNotFlags) {
  auto p = Packet(443, 50000, decode::kTcpSyn, decode::kIpProtoUdp);  // flags mean nothing
  auto d = DecideClient(p);
  EXPECT_FALSE(d.from_handshake);
  EXPECT_FALSE(SrcIsClient(p, d));
}

TEST(FlowDirection, DirectionFromKeyOrientation) {
  EXPECT_EQ(DirectionOf(true, true), Direction::kToServer);
  EXPECT_EQ(DirectionOf(false, false), Direction::kToServer);
  EXPECT_EQ(DirectionOf(true, false), Direction::kToClient);
  EXPECT_EQ(DirectionOf(false, true), Direction::kToClient);
  auto p = Packet(40000, 443, decode::kTcpAck);
  bool src_is_lo = false;
  FlowKey k = FlowKey::FromPacket(p, src_is_lo);
  auto d = DecideClient(p);
  const bool client_is_lo = d.client == k.lo;
  EXPECT_EQ(DirectionOf(src_is_lo, client_is_lo), DirectionOf(p, d.client));
}

}  // namespace
}  // namespace bw::flow
