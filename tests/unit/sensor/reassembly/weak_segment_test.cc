// Weak segments (a TCP checksum the receiver rejects, issue 16): replaced by any strong copy,
// used once the receiver's ACK passes them, decided at the end by whether the receiver refused
// them; and the per-direction checksum trust of TcpConnection (a host capture's offloaded side).

#include <gtest/gtest.h>

#include <string>

#include "sensor/reassembly/tcp_connection.h"
#include "sensor/reassembly/tcp_reassembler.h"
#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kUp = Direction::kToServer;
constexpr Direction kDown = Direction::kToClient;
constexpr TimestampNs kMs = kNsPerSecond / 1000;

std::string Text(const testing::DirectionLog& d) {
  auto bytes = d.Joined();
  return std::string(bytes.begin(), bytes.end());
}

class WeakSegmentTest : public ::testing::Test {
 protected:
  void Seg(uint32_t seq, std::string_view data, TimestampNs ts, bool weak) {
    r_.OnSegment(seq, AsBytes(data), static_cast<uint32_t>(data.size()), false, ts, kUp, sink_,
                 weak);
  }
  std::string Up() { return Text(sink_[kUp]); }
  const ReassemblyCounters& c() const { return ctx_.counters; }

  ReassemblyContext ctx_;
  TcpReassembler r_{ctx_};
  RecordingSink sink_;
};

const std::string kFake = "GET /bucket-b/ HTTP/1.1\r\n\r\n";
const std::string kReal = "GET /bucket-a/ HTTP/1.1\r\n\r\n";

TEST_F(WeakSegmentTest, AStrongCopyReplacesAWeakOneAtTheSameSequenceNumber) {
  r_.InitFromSyn(999);
  Seg(1000, kFake, 1 * kMs, true);
  EXPECT_EQ(Up(), "");  // waits, even in order
  EXPECT_EQ(r_.buffered_segments(), 1u);
  Seg(1000, kReal, 2 * kMs, false);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(c().weak_segments.load(), 1u);
  EXPECT_EQ(c().weak_replaced.load(), 1u);
  EXPECT_EQ(c().weak_used.load(), 0u);
  EXPECT_EQ(c().retransmissions.load(), 0u);  // the receiver never had the weak bytes
  EXPECT_EQ(c().overlap_conflicts.load(), 0u);
  r_.NoteAck(1000 + static_cast<uint32_t>(kReal.size()), 3 * kMs, kUp, sink_);
  r_.Finish(4 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(sink_[kUp].GapBytes(), 0u);
}

TEST_F(WeakSegmentTest, AShorterStrongCopyTakesTheWholeWeakRange) {
  r_.InitFromSyn(999);
  const std::string fake = kFake + "GET /bucket-b/secret HTTP/1.1\r\n\r\n";
  Seg(1000, fake, 1 * kMs, true);
  Seg(1000, kReal, 2 * kMs, false);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(r_.buffered_segments(), 0u);  // no weak tail left to pass for a second request
  r_.Finish(3 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(sink_[kUp].GapBytes(), 0u);
}

TEST_F(WeakSegmentTest, AWeakCopyNeverDisplacesStrongBytes) {
  r_.InitFromSyn(999);
  Seg(1010, kReal.substr(10), 1 * kMs, false);  // strong, out of order
  Seg(1000, kFake, 2 * kMs, true);              // weak, covers the hole and the strong bytes
  r_.NoteAck(1000 + static_cast<uint32_t>(kReal.size()), 3 * kMs, kUp, sink_);
  // The hole's 10 bytes come from the weak copy (acknowledged), the rest stays the strong copy's.
  EXPECT_EQ(Up(), kFake.substr(0, 10) + kReal.substr(10));
  EXPECT_EQ(c().weak_used.load(), 1u);
}

TEST_F(WeakSegmentTest, UsedOnceTheReceiverAcknowledgesIt) {
  r_.InitFromSyn(999);
  Seg(1000, kReal, 1 * kMs, true);
  Seg(1000 + static_cast<uint32_t>(kReal.size()), "tail", 2 * kMs, false);
  EXPECT_EQ(Up(), "");                    // strong data behind a waiting weak range waits with it
  r_.NoteAck(1010, 3 * kMs, kUp, sink_);  // part of it
  EXPECT_EQ(Up(), kReal.substr(0, 10));
  r_.NoteAck(1000 + static_cast<uint32_t>(kReal.size()), 4 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal + "tail");
  EXPECT_EQ(c().weak_used.load(), 1u);
  EXPECT_EQ(sink_[kUp].GapBytes(), 0u);
}

TEST_F(WeakSegmentTest, AlreadyAcknowledgedIsUsedAtOnce) {
  r_.InitFromSyn(999);
  Seg(1000, "x", 1 * kMs, false);
  r_.NoteAck(1001 + static_cast<uint32_t>(kReal.size()), 2 * kMs, kUp, sink_);
  Seg(1001, kReal, 3 * kMs, true);  // the ACK came first in the capture
  EXPECT_EQ(Up(), "x" + kReal);
  EXPECT_EQ(c().weak_used.load(), 1u);
}

TEST_F(WeakSegmentTest, NoAckAtAllUsesItAtTheEnd) {
  // One side of an asymmetric tap: nothing says the receiver refused it.
  Seg(1000, kReal, 1 * kMs, true);
  EXPECT_EQ(Up(), "");
  r_.Finish(2 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(c().weak_used.load(), 1u);
  EXPECT_EQ(c().weak_discarded.load(), 0u);
}

TEST_F(WeakSegmentTest, RefusedWhenTheReceiverAcksUpToItAfterwardsAndNeverPast) {
  r_.InitFromSyn(999);
  Seg(1000, kReal, 1 * kMs, false);
  const uint32_t end = 1000 + static_cast<uint32_t>(kReal.size());
  Seg(end, kFake, 2 * kMs, true);
  r_.NoteAck(end, 3 * kMs, kUp, sink_);  // after the fake: the receiver had all before it
  r_.Finish(4 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(sink_[kUp].GapBytes(), 0u);  // nothing followed: no gap either
  EXPECT_EQ(c().weak_discarded.load(), 1u);
  EXPECT_EQ(c().weak_used.load(), 0u);
}

TEST_F(WeakSegmentTest, AtAResetItIsUsedOnlyWithoutAnyAck) {
  r_.InitFromSyn(999);
  r_.NoteAck(1000, 1 * kMs, kUp, sink_);  // the handshake's ACK: the receiver is visible
  Seg(1000, kFake, 2 * kMs, true);
  r_.Finish(3 * kMs, kUp, sink_, /*reset=*/true);
  EXPECT_EQ(Up(), "");
  EXPECT_EQ(c().weak_discarded.load(), 1u);

  ReassemblyContext ctx;
  TcpReassembler blind(ctx);  // one side of an asymmetric tap: no ACK ever seen
  RecordingSink sink;
  blind.OnSegment(1000, AsBytes(kReal), static_cast<uint32_t>(kReal.size()), false, kMs, kUp, sink,
                  true);
  blind.Finish(2 * kMs, kUp, sink, /*reset=*/true);
  EXPECT_EQ(Text(sink[kUp]), kReal);
  EXPECT_EQ(ctx.counters.weak_used.load(), 1u);
}

TEST_F(WeakSegmentTest, AnAckOlderThanTheSegmentIsNoRefusal) {
  // The capture ends after a request whose ACK it did not keep: the last ACK seen predates it.
  r_.InitFromSyn(999);
  Seg(1000, kReal, 1 * kMs, false);
  const uint32_t end = 1000 + static_cast<uint32_t>(kReal.size());
  r_.NoteAck(end, 2 * kMs, kUp, sink_);
  Seg(end, kReal, 3 * kMs, true);
  r_.Finish(4 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal + kReal);
  EXPECT_EQ(c().weak_used.load(), 1u);
}

TEST_F(WeakSegmentTest, WaitsNoLongerThanTheHoleTimeout) {
  r_.InitFromSyn(999);
  Seg(1000, kReal, 1 * kMs, true);
  const TimestampNs later = 1 * kMs + ctx_.limits.hole_timeout + 1;
  r_.CheckTimeout(later, kUp, sink_);
  EXPECT_EQ(Up(), kReal);
  EXPECT_EQ(c().weak_used.load(), 1u);
  EXPECT_EQ(sink_[kUp].GapBytes(), 0u);
}

TEST_F(WeakSegmentTest, ARefusedRangeLeavesAHoleThatTimesOutAsAGap) {
  r_.InitFromSyn(999);
  Seg(1000, kFake, 1 * kMs, true);
  r_.NoteAck(1000, 2 * kMs, kUp, sink_);
  Seg(1000 + static_cast<uint32_t>(kFake.size()), "next", 3 * kMs, false);
  r_.CheckTimeout(3 * kMs + ctx_.limits.hole_timeout + 1, kUp, sink_);
  EXPECT_EQ(Up(), "next");
  EXPECT_EQ(sink_[kUp].GapBytes(), kFake.size());
  EXPECT_EQ(c().weak_discarded.load(), 1u);
}

// Found by fuzz_reassembly: the cut tail of a weak segment was kept as a weak range with no
// bytes, and using it read past its allocation. A cut tail is a gap, weak or not.
TEST_F(WeakSegmentTest, ASnaplenCutWeakSegmentLeavesItsTailAGap) {
  r_.InitFromSyn(999);
  r_.OnSegment(1000, AsBytes(kReal).subspan(0, 10), static_cast<uint32_t>(kReal.size()), false,
               1 * kMs, kUp, sink_, true);
  r_.Finish(2 * kMs, kUp, sink_);
  EXPECT_EQ(Up(), kReal.substr(0, 10));
  EXPECT_EQ(sink_[kUp].GapBytes(), kReal.size() - 10);
  EXPECT_EQ(c().weak_used.load(), 1u);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

TEST(WeakSegmentCaps, NoRoomToWaitUsesTheSegmentAtOnce) {
  ReassemblyLimits limits;
  limits.per_flow_bytes = 16;  // less than one segment and its header
  ReassemblyContext ctx(limits);
  TcpReassembler r(ctx);
  RecordingSink sink;
  r.InitFromSyn(999);
  r.OnSegment(1000, AsBytes(kReal), static_cast<uint32_t>(kReal.size()), false, kMs, kUp, sink,
              true);
  EXPECT_EQ(Text(sink[kUp]), kReal);
  EXPECT_EQ(ctx.counters.weak_used.load(), 1u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(WeakSegmentCaps, APressedCapResolvesTheWaitingWeakRange) {
  ReassemblyLimits limits;
  limits.max_segments_per_flow = 4;
  ReassemblyContext ctx(limits);
  TcpReassembler r(ctx);
  RecordingSink sink;
  r.InitFromSyn(999);
  r.OnSegment(1000, AsBytes(kReal), static_cast<uint32_t>(kReal.size()), false, kMs, kUp, sink,
              true);
  uint32_t seq = 1000 + static_cast<uint32_t>(kReal.size());
  std::string rest;
  for (int i = 0; i < 8; ++i) {  // bounded: more than the cap holds
    const std::string piece = "p" + std::to_string(i);
    r.OnSegment(seq, AsBytes(piece), 2, false, kMs * (2 + i), kUp, sink, false);
    seq += 2;
    rest += piece;
  }
  EXPECT_EQ(Text(sink[kUp]), kReal + rest);
  EXPECT_EQ(ctx.counters.weak_used.load(), 1u);
}

// --- TcpConnection: trust per direction and weak control flags

decode::PacketMeta Pkt(uint32_t seq, uint32_t ack, uint8_t flags, std::string_view payload,
                       TimestampNs ts, decode::TcpChecksumVerdict sum) {
  decode::PacketMeta p;
  p.ts = ts;
  p.ip_proto = decode::kIpProtoTcp;
  p.tcp_seq = seq;
  p.tcp_ack = ack;
  p.tcp_flags = flags;
  p.tcp_window = 65535;
  p.payload = AsBytes(payload);
  p.payload_wire_len = static_cast<uint32_t>(payload.size());
  p.tcp_checksum = sum;
  return p;
}

constexpr uint8_t kSyn = decode::kTcpSyn;
constexpr uint8_t kAck = decode::kTcpAck;
constexpr uint8_t kFin = decode::kTcpFin;
constexpr uint8_t kRst = decode::kTcpRst;
constexpr auto kGood = decode::TcpChecksumVerdict::kGood;
constexpr auto kUnfilled = decode::TcpChecksumVerdict::kUnfilled;
constexpr auto kBad = decode::TcpChecksumVerdict::kBad;

// tcpdump on the client: its own segments unfilled, the server's correct. Both sides' data
// flows at once, whatever the first thousand segments looked like.
TEST(WeakConnection, HostCaptureDeliversBothSidesAtOnce) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Pkt(100, 0, kSyn, {}, 1, kUnfilled), kUp, sink);
  conn.OnPacket(Pkt(500, 101, kSyn | kAck, {}, 2, kGood), kDown, sink);
  conn.OnPacket(Pkt(101, 501, kAck, {}, 3, kUnfilled), kUp, sink);
  EXPECT_TRUE(conn.checksum_trust(kUp).offloading());
  EXPECT_TRUE(conn.checksum_trust(kDown).strict());
  conn.OnPacket(Pkt(101, 501, kAck, kReal, 4, kUnfilled), kUp, sink);
  EXPECT_EQ(Text(sink[kUp]), kReal);  // strong: no wait for the server's ACK
  conn.OnPacket(
      Pkt(501, 101 + static_cast<uint32_t>(kReal.size()), kAck, "HTTP/1.1 200 OK\r\n", 5, kGood),
      kDown, sink);
  EXPECT_EQ(Text(sink[kDown]), "HTTP/1.1 200 OK\r\n");
  // An unfilled sum from the server, whose sums check out, is a segment its receiver dropped.
  conn.OnPacket(Pkt(518, 101, kAck, "fake", 6, kUnfilled), kDown, sink);
  EXPECT_EQ(Text(sink[kDown]), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(ctx.counters.weak_segments.load(), 1u);
  EXPECT_EQ(ctx.counters.weak_used.load(), 0u);
}

TEST(WeakConnection, AWeakRstOrFinDoesNotEndTheFlow) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Pkt(100, 0, kSyn, {}, 1, kGood), kUp, sink);
  conn.OnPacket(Pkt(500, 101, kSyn | kAck, {}, 2, kGood), kDown, sink);
  conn.OnPacket(Pkt(101, 501, kRst | kAck, {}, 3, kBad), kUp, sink);
  conn.OnPacket(Pkt(101, 501, kFin | kAck, {}, 4, kBad), kUp, sink);
  EXPECT_FALSE(conn.reset_seen());
  EXPECT_FALSE(conn.half(kUp).fin_seen());
  conn.OnPacket(Pkt(101, 501, kAck, kReal, 5, kGood), kUp, sink);
  EXPECT_EQ(Text(sink[kUp]), kReal);
  EXPECT_EQ(ctx.counters.weak_controls_ignored.load(), 2u);
  EXPECT_EQ(sink[kUp].ends, 0);
}

// A capture whose sums are all wrong (rewritten addresses): the SYNs are ignored, the data waits
// for the other side's ACK, and the request reaches the sink before the answer that acks it.
TEST(WeakConnection, AllSumsWrongStillYieldsBothSidesInOrder) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Pkt(100, 0, kSyn, {}, 1, kBad), kUp, sink);
  conn.OnPacket(Pkt(500, 101, kSyn | kAck, {}, 2, kBad), kDown, sink);
  conn.OnPacket(Pkt(101, 501, kAck, kReal, 3, kBad), kUp, sink);
  EXPECT_EQ(Text(sink[kUp]), "");
  const uint32_t acked = 101 + static_cast<uint32_t>(kReal.size());
  conn.OnPacket(Pkt(501, acked, kAck, "HTTP/1.1 200 OK\r\n", 4, kBad), kDown, sink);
  EXPECT_EQ(Text(sink[kUp]), kReal);
  EXPECT_EQ(Text(sink[kDown]), "");
  conn.OnPacket(Pkt(acked, 518, kAck, {}, 5, kBad), kUp, sink);
  EXPECT_EQ(Text(sink[kDown]), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(ctx.counters.weak_used.load(), 2u);
  EXPECT_EQ(ctx.counters.weak_controls_ignored.load(), 2u);
  EXPECT_EQ(ctx.counters.weak_syns_confirmed.load(), 2u);
  EXPECT_TRUE(conn.syn_seen());
  EXPECT_TRUE(conn.syn_ack_seen());
}

// Arkime's http-tcp-seq-issue: every sum wrong, the request's second segment captured first and
// the whole request retransmitted later. The acknowledged SYN fixes where the stream starts, so
// the early segment waits in order instead of becoming the stream's first byte.
TEST(WeakConnection, AnAcknowledgedWeakSynFixesTheStreamStart) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  conn.OnPacket(Pkt(100, 0, kSyn, {}, 1, kBad), kUp, sink);
  conn.OnPacket(Pkt(500, 101, kSyn | kAck, {}, 2, kBad), kDown, sink);
  conn.OnPacket(Pkt(111, 501, kAck, kReal.substr(10), 3, kBad), kUp, sink);
  conn.OnPacket(Pkt(501, 101, kAck, {}, 4, kBad), kDown, sink);
  conn.OnPacket(Pkt(101, 501, kAck, kReal, 5, kBad), kUp, sink);
  const uint32_t acked = 101 + static_cast<uint32_t>(kReal.size());
  conn.OnPacket(Pkt(501, acked, kAck, "HTTP/1.1 200 OK\r\n", 6, kBad), kDown, sink);
  EXPECT_EQ(Text(sink[kUp]), kReal);
  EXPECT_EQ(sink[kUp].GapBytes(), 0u);
  EXPECT_EQ(ctx.counters.weak_syns_confirmed.load(), 2u);
}

// A weak SYN the peer does not acknowledge exactly is never used: a fake one ahead of the real,
// strong SYN leaves the stream to the real ISN; one acked at another number changes nothing.
TEST(WeakConnection, AnUnacknowledgedWeakSynIsNotUsed) {
  {
    ReassemblyContext ctx;
    TcpConnection conn(ctx);
    RecordingSink sink;
    conn.OnPacket(Pkt(5000, 0, kSyn, {}, 1, kBad), kUp, sink);  // fake ISN
    conn.OnPacket(Pkt(100, 0, kSyn, {}, 2, kGood), kUp, sink);
    conn.OnPacket(Pkt(500, 5001, kSyn | kAck, {}, 3, kGood), kDown, sink);  // forged ack, too
    conn.OnPacket(Pkt(101, 501, kAck, kReal, 4, kGood), kUp, sink);
    EXPECT_EQ(Text(sink[kUp]), kReal);
    EXPECT_EQ(ctx.counters.weak_syns_confirmed.load(), 0u);
  }
  {
    ReassemblyContext ctx;
    TcpConnection conn(ctx);
    RecordingSink sink;
    conn.OnPacket(Pkt(5000, 0, kSyn, {}, 1, kBad), kUp, sink);
    conn.OnPacket(Pkt(500, 101, kSyn | kAck, {}, 2, kGood), kDown, sink);
    EXPECT_FALSE(conn.syn_seen());
    EXPECT_EQ(ctx.counters.weak_syns_confirmed.load(), 0u);
  }
}

}  // namespace
}  // namespace bw::reassembly
