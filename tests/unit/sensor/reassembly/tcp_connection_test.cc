#include "sensor/reassembly/tcp_connection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kUp = Direction::kToServer;
constexpr Direction kDown = Direction::kToClient;

decode::PacketMeta Tcp(uint32_t seq, uint8_t flags, std::string_view payload = {},
                       TimestampNs ts = 0) {
  decode::PacketMeta p;
  p.ts = ts;
  p.ip_proto = decode::kIpProtoTcp;
  p.tcp_seq = seq;
  p.tcp_flags = flags;
  // These packets acknowledge nothing in particular; an open window keeps the receive-window
  // check (receive_window_test.cc) out of the way.
  p.tcp_window = 65535;
  p.payload = AsBytes(payload);
  p.payload_wire_len = static_cast<uint32_t>(payload.size());
  return p;
}

std::string Text(const testing::DirectionLog& d) {
  auto bytes = d.Joined();
  return std::string(bytes.begin(), bytes.end());
}

constexpr uint8_t kAck = decode::kTcpAck;
constexpr uint8_t kPshAck = decode::kTcpAck | decode::kTcpPsh;

TEST(TcpConnection, HandshakeDataAndBothFinsClose) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  const std::string req = "GET /bucket?list-type=2 HTTP/1.1\r\nHost: s3\r\n\r\n";
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  conn.OnPacket(Tcp(1000, decode::kTcpSyn), kUp, sink);
  conn.OnPacket(Tcp(1000, decode::kTcpSyn), kUp, sink);  // SYN retransmission changes nothing
  conn.OnPacket(Tcp(5000, decode::kTcpSyn | kAck), kDown, sink);
  conn.OnPacket(Tcp(1001, kAck), kUp, sink);
  EXPECT_TRUE(conn.syn_seen());
  EXPECT_TRUE(conn.syn_ack_seen());
  EXPECT_TRUE(conn.handshake_seen());
  // The request arrives in two segments, the second first.
  conn.OnPacket(Tcp(1001 + 10, kPshAck, std::string_view(req).substr(10)), kUp, sink);
  conn.OnPacket(Tcp(1001, kAck, std::string_view(req).substr(0, 10)), kUp, sink);
  conn.OnPacket(Tcp(5001, kPshAck, resp), kDown, sink);
  EXPECT_EQ(Text(sink[kUp]), req);
  EXPECT_EQ(Text(sink[kDown]), resp);
  conn.OnPacket(Tcp(5001 + static_cast<uint32_t>(resp.size()), decode::kTcpFin | kAck), kDown,
                sink);
  EXPECT_EQ(sink[kDown].ends, 1);
  EXPECT_FALSE(conn.closed());
  conn.OnPacket(Tcp(1001 + static_cast<uint32_t>(req.size()), decode::kTcpFin | kAck), kUp, sink);
  EXPECT_EQ(sink[kUp].ends, 1);
  EXPECT_TRUE(conn.closed());
  EXPECT_FALSE(conn.reset_seen());
  EXPECT_FALSE(conn.IsReopeningSyn(Tcp(1000, decode::kTcpSyn | kAck)));
  EXPECT_TRUE(conn.IsReopeningSyn(Tcp(90000, decode::kTcpSyn)));
  conn.Finish(10, sink);  // flow end after close: no second OnEnd
  EXPECT_EQ(sink[kUp].ends, 1);
  EXPECT_EQ(sink[kDown].ends, 1);
  EXPECT_EQ(sink[kUp].GapBytes() + sink[kDown].GapBytes(), 0u);
}

TEST(TcpConnection, SynPayloadFollowsIsn) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(0xFFFFFFFF, decode::kTcpSyn, "GET "), kUp, sink);  // TFO, ISN wraps
  conn.OnPacket(Tcp(4, kAck, "/ HTTP/1.1\r\n"), kUp, sink);
  EXPECT_EQ(Text(sink[kUp]), "GET / HTTP/1.1\r\n");
  EXPECT_FALSE(conn.IsReopeningSyn(Tcp(5, decode::kTcpSyn)));  // not closed
}

TEST(TcpConnection, RstFlushesBufferedDataWithGapsAndEndsBoth) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(100, decode::kTcpSyn), kUp, sink);
  conn.OnPacket(Tcp(900, decode::kTcpSyn | kAck), kDown, sink);
  conn.OnPacket(Tcp(101, kAck, "abcd"), kUp, sink);
  conn.OnPacket(Tcp(101 + 10, kAck, "KLMN"), kUp, sink);  // hole of 6 bytes
  EXPECT_GT(ctx.memory.used(), 0u);
  conn.OnPacket(Tcp(901, decode::kTcpRst, "connection reset"), kDown, sink);
  EXPECT_TRUE(conn.closed());
  EXPECT_TRUE(conn.reset_seen());
  EXPECT_EQ(Text(sink[kUp]), "abcdKLMN");
  ASSERT_EQ(sink[kUp].runs.size(), 3u);
  EXPECT_TRUE(sink[kUp].runs[1].gap);
  EXPECT_EQ(sink[kUp].runs[1].length, 6u);
  EXPECT_EQ(sink[kUp].ends, 1);
  EXPECT_EQ(sink[kDown].ends, 1);
  EXPECT_EQ(sink[kDown].DataBytes(), 0u);  // the RST text is not stream data
  EXPECT_EQ(ctx.memory.used(), 0u);
  conn.OnPacket(Tcp(115, kAck, "late"), kUp, sink);
  EXPECT_FALSE(sink[kUp].event_after_end);
  EXPECT_EQ(ctx.counters.after_end.load(), 1u);
}

TEST(TcpConnection, MidStreamPickupWithoutHandshake) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(777777, kAck), kUp, sink);  // pure ACK
  conn.OnPacket(Tcp(555, kPshAck, "HTTP/1.1 200 OK\r\n"), kDown, sink);
  conn.OnPacket(Tcp(777777, kPshAck, "GET /x HTTP/1.1\r\n"), kUp, sink);
  EXPECT_FALSE(conn.handshake_seen());
  EXPECT_EQ(Text(sink[kUp]), "GET /x HTTP/1.1\r\n");
  EXPECT_EQ(Text(sink[kDown]), "HTTP/1.1 200 OK\r\n");
}

TEST(TcpConnection, QuietDirectionHolesExpireOnPeerTraffic) {
  ReassemblyLimits limits;
  limits.hole_timeout = 100;
  ReassemblyContext ctx(limits);
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(0, decode::kTcpSyn, {}, 0), kUp, sink);
  conn.OnPacket(Tcp(0, decode::kTcpSyn | kAck, {}, 0), kDown, sink);
  conn.OnPacket(Tcp(1 + 5, kAck, "world", 10), kUp, sink);  // hole of 5 bytes
  conn.OnPacket(Tcp(1, kAck, "x", 50), kDown, sink);
  EXPECT_EQ(sink[kUp].GapBytes(), 0u);
  conn.OnPacket(Tcp(2, kAck, "y", 111), kDown, sink);
  EXPECT_EQ(sink[kUp].GapBytes(), 5u);
  EXPECT_EQ(Text(sink[kUp]), "world");
  conn.OnPacket(Tcp(1 + 20, kAck, "!", 120), kUp, sink);
  conn.CheckTimeouts(221, sink);
  EXPECT_EQ(Text(sink[kUp]), "world!");
  EXPECT_EQ(sink[kUp].GapBytes(), 15u);
  EXPECT_EQ(ctx.counters.hole_timeouts.load(), 2u);
}

TEST(TcpConnection, FinishOnEvictionEndsBothDirectionsOnce) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(10, kAck, "abc"), kUp, sink);
  conn.OnPacket(Tcp(10 + 5, kAck, "fg"), kUp, sink);
  conn.Finish(99, sink);
  EXPECT_TRUE(conn.closed());
  EXPECT_EQ(sink[kUp].ends, 1);
  EXPECT_EQ(sink[kDown].ends, 1);  // never started, still ended exactly once
  EXPECT_EQ(sink[kUp].position, 7u);
  EXPECT_EQ(sink.last_ts, 99);
  conn.Finish(100, sink);
  EXPECT_EQ(sink[kUp].ends, 1);
}

TEST(TcpConnection, SnaplenCutPacketFromDecoder) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Tcp(0, decode::kTcpSyn), kDown, sink);
  auto p = Tcp(1, kAck, "0123456789");
  p.payload_wire_len = 1460;  // the capture kept 10 of 1460 bytes
  conn.OnPacket(p, kDown, sink);
  conn.OnPacket(Tcp(1461, kAck, "tail"), kDown, sink);
  EXPECT_EQ(Text(sink[kDown]), "0123456789tail");
  EXPECT_EQ(sink[kDown].GapBytes(), 1450u);
  EXPECT_EQ(sink[kDown].runs[1].offset, 10u);
}

TEST(TcpConnection, StateIsSmall) {
  // Our own per-flow reassembly state, excluding buffered segments: 168 bytes (16 of them the
  // receivers' ACKs and the checksum trusts, issue 16) plus the two directions' DeliveredHistory
  // (32 bytes each).
  EXPECT_LE(sizeof(TcpConnection), 232u);
}

}  // namespace
}  // namespace bw::reassembly
