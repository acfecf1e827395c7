// Segments beyond the receiver's advertised window are dropped as Linux drops them (tcp_sequence,
// tcp_data_queue "out of window"), and only when the window is known: both SYNs seen (RFC 7323
// scaling needs both) and an ACK from the receiver. Legitimate traffic is never dropped.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "sensor/reassembly/tcp_connection.h"
#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kUp = Direction::kToServer;
constexpr Direction kDown = Direction::kToClient;
constexpr uint8_t kSyn = decode::kTcpSyn;
constexpr uint8_t kAck = decode::kTcpAck;
constexpr uint8_t kSynAck = decode::kTcpSyn | decode::kTcpAck;
constexpr uint8_t kNoScale = decode::kTcpWscaleAbsent;
constexpr uint32_t kClientIsn = 0xFFFF0000;  // the client stream crosses 2^32
constexpr uint32_t kServerIsn = 5000;

decode::PacketMeta Packet(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                          std::string_view payload = {}, uint8_t wscale = kNoScale) {
  decode::PacketMeta p;
  p.ip_proto = decode::kIpProtoTcp;
  p.tcp_seq = seq;
  p.tcp_ack = ack;
  p.tcp_flags = flags;
  p.tcp_window = window;
  p.tcp_wscale = (flags & kSyn) != 0 ? wscale : kNoScale;
  p.payload = AsBytes(payload);
  p.payload_wire_len = static_cast<uint32_t>(payload.size());
  return p;
}

std::string Text(const testing::DirectionLog& d) {
  auto bytes = d.Joined();
  return std::string(bytes.begin(), bytes.end());
}

class ReceiveWindowTest : public ::testing::Test {
 protected:
  // Client offset `off` of the request stream (0 = first data byte).
  uint32_t C(uint32_t off) const { return kClientIsn + 1 + off; }
  uint32_t S(uint32_t off) const { return kServerIsn + 1 + off; }

  void Handshake(uint16_t server_window, uint8_t client_ws = kNoScale,
                 uint8_t server_ws = kNoScale) {
    conn_.OnPacket(Packet(kClientIsn, 0, kSyn, 64240, {}, client_ws), kUp, sink_);
    conn_.OnPacket(Packet(kServerIsn, C(0), kSynAck, server_window, {}, server_ws), kDown, sink_);
    conn_.OnPacket(Packet(C(0), S(0), kAck, 502), kUp, sink_);
  }
  void ClientData(uint32_t off, std::string_view text) {
    conn_.OnPacket(Packet(C(off), S(0), kAck, 502, text), kUp, sink_);
  }
  void ServerAck(uint32_t acked, uint16_t window) {
    conn_.OnPacket(Packet(S(0), C(acked), kAck, window), kDown, sink_);
  }
  uint64_t OutOfWindow() const { return ctx_.counters.out_of_window.load(); }

  ReassemblyContext ctx_;
  TcpConnection conn_{ctx_};
  RecordingSink sink_;
};

// beyond_receive_window: a fake request 100000 bytes ahead of a 65535-byte window never reaches
// the server; it must not reach the sensor's stream either (no data, and no gap in front of it).
TEST_F(ReceiveWindowTest, SegmentBeyondTheAdvertisedWindowIsDiscarded) {
  Handshake(65535);
  ClientData(0, "GET /a");
  ServerAck(6, 65535);
  ClientData(6 + 100000, "GET /bucket-b/");
  EXPECT_EQ(conn_.half(kUp).buffered_segments(), 1u);  // held until its bytes are due
  EXPECT_EQ(OutOfWindow(), 0u);
  conn_.OnPacket(Packet(C(6), S(0), decode::kTcpRst | kAck, 0), kUp, sink_);
  EXPECT_EQ(OutOfWindow(), 1u);
  EXPECT_EQ(Text(sink_[kUp]), "GET /a");
  EXPECT_EQ(sink_[kUp].GapEvents(), 0u);
  EXPECT_EQ(sink_[kUp].ends, 1);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

TEST_F(ReceiveWindowTest, EdgeIsInclusiveAndBytesBeyondItAreDiscardedWhenDue) {
  Handshake(65535);
  ServerAck(0, 65535);
  ClientData(65534, "x");   // starts inside: the last byte of the window
  ClientData(65535, "yz");  // starts at the edge: accepted (tcp_sequence: not after it)
  ClientData(65600, "!");   // starts after the edge: held
  ClientData(0, std::string(65534, 'a'));
  conn_.Finish(0, sink_);
  EXPECT_TRUE(Text(sink_[kUp]) == std::string(65534, 'a') + "xyz");
  EXPECT_EQ(sink_[kUp].GapEvents(), 0u);
  EXPECT_EQ(OutOfWindow(), 1u);
}

// RFC 7323: both SYNs carried the option, so later windows are shifted; a SYN's own window is
// not. The ACK that opens the window may follow the data it allowed in the capture.
TEST_F(ReceiveWindowTest, WindowScaleFromBothSynsIsApplied) {
  Handshake(65535, 7, 7);
  ClientData(100000, "early");  // only the SYN-ACK's unscaled 65535 is known: held
  ClientData(128001, "far");    // beyond even the window advertised next
  ServerAck(0, 1000);           // 1000 << 7 = 128000: covers "early"
  ClientData(0, std::string(100000, 'a'));
  EXPECT_TRUE(Text(sink_[kUp]) == std::string(100000, 'a') + "early");
  conn_.Finish(0, sink_);
  EXPECT_TRUE(Text(sink_[kUp]) == std::string(100000, 'a') + "early");
  EXPECT_EQ(sink_[kUp].GapEvents(), 0u);
  EXPECT_EQ(OutOfWindow(), 1u);
}

TEST_F(ReceiveWindowTest, ScaleIsIgnoredUnlessBothSynsCarryIt) {
  Handshake(65535, 7, kNoScale);
  ServerAck(0, 1000);  // not scaled: the furthest edge stays 65535
  ClientData(70000, "far");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 1u);
  EXPECT_EQ(sink_[kUp].position, 0u);
}

TEST_F(ReceiveWindowTest, LargestScaledWindowIsHonoured) {
  Handshake(65535, 14, 14);
  ServerAck(0, 65535);  // 65535 << 14, just under 1 GiB
  ClientData(1000000000, "far but inside");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(sink_[kUp].GapBytes(), 1000000000u);
  EXPECT_EQ(Text(sink_[kUp]), "far but inside");
}

// Bytes held beyond the window are discarded when the hole in front of them times out: the
// receiver never had them, so no gap is declared up to them either.
TEST_F(ReceiveWindowTest, HeldBytesAreDiscardedWhenTheHoleTimesOut) {
  Handshake(65535);
  ClientData(0, "abc");
  conn_.OnPacket(Packet(C(100000), S(0), kAck, 502, "fake", kNoScale), kUp, sink_);
  conn_.OnPacket(Packet(S(0), C(3), kAck, 65535), kDown, sink_);
  conn_.CheckTimeouts(6 * kNsPerSecond, sink_);
  EXPECT_EQ(OutOfWindow(), 1u);
  EXPECT_EQ(ctx_.counters.hole_timeouts.load(), 0u);
  EXPECT_EQ(conn_.half(kUp).buffered_segments(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), "abc");
  EXPECT_EQ(sink_[kUp].GapEvents(), 0u);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// Data the receiver accepts replaces held bytes at the same place whatever the order: Linux
// dropped the held copy when it arrived.
TEST_F(ReceiveWindowTest, AcceptedDataReplacesHeldBytes) {
  Handshake(1000);
  ClientData(1500, "FAKE");  // beyond 0 + 1000: held
  ClientData(0, std::string(600, 'a'));
  ClientData(1500, "REAL");  // 600 + 1000 reaches it now (ACKs missed): accepted
  ClientData(600, std::string(900, 'b'));
  EXPECT_TRUE(Text(sink_[kUp]) == std::string(600, 'a') + std::string(900, 'b') + "REAL");
  EXPECT_EQ(ctx_.counters.overlap_conflicts.load(), 1u);
}

// The reorder the capture tools produce: a segment shown before the ACK that allowed it.
TEST_F(ReceiveWindowTest, SegmentShownBeforeItsAckIsKept) {
  Handshake(65535);
  ClientData(0, std::string(1000, 'a'));
  ClientData(70000, "late");  // held: beyond 0 + 65535
  ServerAck(5000, 65535);     // 70535: covers it
  ClientData(1000, std::string(69000, 'b'));
  EXPECT_TRUE(Text(sink_[kUp]) == std::string(1000, 'a') + std::string(69000, 'b') + "late");
  EXPECT_EQ(OutOfWindow(), 0u);
}

// A FIN is judged against the bytes the receiver accepted, not against bytes held beyond the
// window: a fake segment far ahead cannot make the real FIN look contradictory.
TEST_F(ReceiveWindowTest, FinIsBelievedDespiteHeldBytesBeyondIt) {
  Handshake(65535);
  ClientData(100000, "fake");
  ClientData(0, "abc");
  conn_.OnPacket(Packet(C(3), S(0), decode::kTcpFin | kAck, 502), kUp, sink_);
  EXPECT_EQ(ctx_.counters.bad_fins.load(), 0u);
  EXPECT_EQ(sink_[kUp].ends, 1);
  EXPECT_EQ(Text(sink_[kUp]), "abc");
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// Without a handshake the scale is unknown: nothing is dropped for the window.
TEST_F(ReceiveWindowTest, MidStreamFlowIsNeverDroppedForTheWindow) {
  conn_.OnPacket(Packet(C(0), S(0), kAck, 10, "GET /"), kUp, sink_);
  ServerAck(5, 10);
  ClientData(100000, "far");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), "GET /far");
}

TEST_F(ReceiveWindowTest, OnlyOneSynSeenIsUnknown) {
  conn_.OnPacket(Packet(kServerIsn, C(0), kSynAck, 100), kDown, sink_);
  conn_.OnPacket(Packet(C(0), S(0), kAck, 502, "GET /"), kUp, sink_);
  ServerAck(5, 100);
  ClientData(100000, "far");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), "GET /far");
}

// The server's data direction: the client's first ACK has not been seen (its SYN carries no
// ACK), so the client's window is unknown and the server's data is kept.
TEST_F(ReceiveWindowTest, NoAckFromTheReceiverYetIsUnknown) {
  conn_.OnPacket(Packet(kClientIsn, 0, kSyn, 100), kUp, sink_);
  conn_.OnPacket(Packet(kServerIsn, C(0), kSynAck, 65535), kDown, sink_);
  conn_.OnPacket(Packet(S(5000), C(0), kAck, 65535, "data"), kDown, sink_);
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kDown]), "data");
  EXPECT_EQ(sink_[kDown].GapBytes(), 5000u);
}

// A receiver that closes its window (or a forged ACK claiming so) does not narrow the edge it
// advertised before; a zero-window probe at the delivered point is data like any other.
TEST_F(ReceiveWindowTest, ShrinkingAndZeroWindowsNeverNarrowTheEdge) {
  Handshake(65535);
  ClientData(0, "0123456789");
  ServerAck(10, 0);
  ClientData(10, "p");  // zero-window probe
  ClientData(60000, "inside the edge advertised before");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), "0123456789pinside the edge advertised before");
}

// ACKs the sensor missed: the client's stream moved on, and the largest window seen is counted
// from the next expected byte as well.
TEST_F(ReceiveWindowTest, MissedAcksCountTheWindowFromTheNextExpectedByte) {
  Handshake(1000);
  std::string block(900, 'a');
  ClientData(0, block);
  ClientData(900, block);  // 1800 bytes in order: beyond the SYN-ACK's edge of 1000
  ClientData(1800, block);
  ClientData(2700 + 999, "ahead");  // next expected + 999: inside
  ClientData(2700 + 1500, "beyond");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 1u);
  EXPECT_EQ(Text(sink_[kUp]), block + block + block + "ahead");
  EXPECT_EQ(sink_[kUp].GapBytes(), 999u);
}

// The receiver acknowledged data the sensor never saw (capture loss): its edge counts.
TEST_F(ReceiveWindowTest, AckBeyondWhatTheSensorSawMovesTheEdge) {
  Handshake(1000);
  ClientData(0, "abc");
  ServerAck(50000, 1000);  // the sensor missed [3, 50000)
  ClientData(50500, "after the loss");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), "abcafter the loss");
}

TEST_F(ReceiveWindowTest, AckFarFromTheStreamIsIgnored) {
  Handshake(1000);
  ServerAck(0x80000000u, 65535);  // half the sequence space away: not a real ACK
  ClientData(2000, "beyond");
  conn_.Finish(0, sink_);
  EXPECT_EQ(OutOfWindow(), 1u);
  EXPECT_EQ(sink_[kUp].position, 0u);
}

// Reordered segments that all fit in the window give the same bytes whatever the order.
TEST_F(ReceiveWindowTest, ReorderInsideTheWindowIsUnaffected) {
  Handshake(4000);
  std::string stream;
  for (int i = 0; i < 3000; ++i) stream.push_back(static_cast<char>('a' + i % 26));
  const std::vector<uint32_t> order = {2, 0, 5, 1, 4, 3};
  for (uint32_t i : order) ClientData(i * 500, std::string_view(stream).substr(i * 500, 500));
  EXPECT_EQ(OutOfWindow(), 0u);
  EXPECT_EQ(Text(sink_[kUp]), stream);
}

// A sender that respects the advertised window, per-segment ACKs, and the capture reordering
// that tests/tools/pcap_variants.cc applies (data segments permuted within runs of up to eight,
// ACKs staying in place, so data may show up before the ACK that allowed it): every byte is
// delivered, nothing is discarded.
TEST(ReceiveWindowProperty, WindowRespectingSenderIsNeverCut) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    const uint32_t n = 1 + rng() % 20000;
    const uint32_t window = 100 + rng() % 3000;
    std::vector<uint8_t> stream(n);
    for (auto& b : stream) b = static_cast<uint8_t>(rng());
    struct Event {
      bool ack;
      uint32_t off;
      uint32_t len;  // data only
    };
    std::vector<Event> events;
    uint32_t una = 0;
    uint32_t nxt = 0;
    while (una < n) {
      std::vector<uint32_t> burst;  // ends of the segments sent in this round
      while (nxt < n && nxt < una + window) {
        const uint32_t len =
            std::min({1 + static_cast<uint32_t>(rng() % 500), n - nxt, una + window - nxt});
        events.push_back({false, nxt, len});
        nxt += len;
        burst.push_back(nxt);
      }
      for (uint32_t end : burst) events.push_back({true, end, 0});
      una = nxt;
    }
    // Permute data events within runs of up to eight data events (ACKs stay in place).
    std::vector<size_t> data_slots;
    for (size_t i = 0; i < events.size(); ++i) {
      if (!events[i].ack) data_slots.push_back(i);
    }
    for (size_t start = 0; start < data_slots.size(); start += 8) {
      const size_t end = std::min(data_slots.size(), start + 8);
      std::vector<Event> moved;
      for (size_t k = start; k < end; ++k) moved.push_back(events[data_slots[k]]);
      std::shuffle(moved.begin(), moved.end(), rng);
      for (size_t k = start; k < end; ++k) events[data_slots[k]] = moved[k - start];
    }
    ReassemblyContext ctx;
    TcpReassembler r(ctx);
    RecordingSink sink;
    const uint32_t isn = rng();
    r.InitFromSyn(isn);
    r.NoteReceiverWindow(isn + 1, window);  // the SYN-ACK
    for (const Event& e : events) {
      if (e.ack) {
        r.NoteReceiverWindow(isn + 1 + e.off, window);
      } else {
        r.OnSegment(isn + 1 + e.off, ByteView(stream.data() + e.off, e.len), e.len, false, 0,
                    Direction::kToServer, sink);
      }
    }
    r.Finish(0, Direction::kToServer, sink);
    ASSERT_EQ(sink[Direction::kToServer].GapEvents(), 0u) << trial;
    ASSERT_TRUE(sink[Direction::kToServer].Joined() == stream) << trial;
    ASSERT_EQ(ctx.counters.out_of_window.load(), 0u) << trial;
  }
}

// Random ACKs and windows (forged or stale ones included), random segments, small caps and
// timeouts: whatever is held, discarded or delivered, every delivered byte is right at its
// offset, data + gaps equal the stream position, and all memory is released.
TEST(ReceiveWindowProperty, RandomAcksKeepEveryInvariant) {
  std::mt19937 rng(7);
  uint64_t discarded = 0;  // the runs must exercise the window, not only plain reassembly
  for (int trial = 0; trial < 300; ++trial) {
    ReassemblyLimits limits;
    limits.per_flow_bytes = 300 + rng() % 20000;
    limits.global_bytes = 300 + rng() % 40000;
    limits.hole_timeout = 1 + rng() % 40;
    ReassemblyContext ctx(limits);
    RecordingSink sink;
    const uint32_t n = 1 + rng() % 20000;
    std::vector<uint8_t> stream(n);
    for (auto& b : stream) b = static_cast<uint8_t>(rng());
    const uint32_t cisn = rng();
    const uint32_t sisn = rng();
    const uint8_t ws_c = rng() % 3 == 0 ? kNoScale : static_cast<uint8_t>(rng() % 15);
    const uint8_t ws_s = rng() % 3 == 0 ? kNoScale : static_cast<uint8_t>(rng() % 15);
    TimestampNs ts = 0;
    {
      TcpConnection conn(ctx);
      auto packet = [&](uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                        ByteView payload = {}, uint8_t ws = kNoScale) {
        decode::PacketMeta p = Packet(seq, ack, flags, window, {}, ws);
        p.ts = ts;
        p.payload = payload;
        p.payload_wire_len = static_cast<uint32_t>(payload.size());
        return p;
      };
      conn.OnPacket(packet(cisn, 0, kSyn, 64240, {}, ws_c), kUp, sink);
      conn.OnPacket(packet(sisn, cisn + 1, kSynAck, static_cast<uint16_t>(rng() % 3000), {}, ws_s),
                    kDown, sink);
      const int events = 1 + static_cast<int>(rng() % 80);
      for (int i = 0; i < events; ++i) {
        ts += rng() % 4;
        if (rng() % 3 == 0) {
          const int64_t ack = static_cast<int64_t>(rng() % (n + 400)) - 200;
          const uint32_t pick = rng() % 3;
          const uint16_t window = static_cast<uint16_t>(pick == 0   ? 0
                                                        : pick == 1 ? rng() % 2000
                                                                    : rng());
          conn.OnPacket(packet(sisn + 1, cisn + 1 + static_cast<uint32_t>(ack), kAck, window),
                        kDown, sink);
        } else {
          const uint32_t off = rng() % n;
          const uint32_t len = std::min<uint32_t>(1 + rng() % 1500, n - off);
          conn.OnPacket(
              packet(cisn + 1 + off, sisn + 1, kAck, 502, ByteView(stream.data() + off, len)), kUp,
              sink);
        }
        if (rng() % 10 == 0) conn.CheckTimeouts(ts, sink);
        ASSERT_LE(ctx.memory.used(), limits.global_bytes);
        ASSERT_LE(conn.half(kUp).buffered_bytes(), limits.per_flow_bytes);
      }
      conn.Finish(ts + 1, sink);
    }
    const testing::DirectionLog& up = sink[kUp];
    ASSERT_TRUE(up.MatchesAtOffsets(stream)) << trial;
    ASSERT_EQ(up.DataBytes() + up.GapBytes(), up.position) << trial;
    ASSERT_LE(up.position, n) << trial;
    ASSERT_EQ(up.ends, 1);
    ASSERT_FALSE(up.event_after_end);
    ASSERT_EQ(ctx.memory.used(), 0u) << trial;
    ASSERT_EQ(ctx.memory.accounting_errors(), 0u) << trial;
    ASSERT_EQ(ctx.counters.bytes_delivered.load(), up.DataBytes() + sink[kDown].DataBytes());
    discarded += ctx.counters.out_of_window.load();
  }
  EXPECT_GT(discarded, 100u);
}

}  // namespace
}  // namespace bw::reassembly
