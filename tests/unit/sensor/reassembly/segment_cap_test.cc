// The per-direction segment cap (ReassemblyLimits::max_segments_per_flow) and segments arriving
// in descending sequence order, the order that fills the buffered list one range at a time.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "sensor/reassembly/tcp_reassembler.h"
#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kDir = Direction::kToServer;
constexpr size_t kO = TcpReassembler::kSegmentOverhead;

std::vector<uint8_t> RandomStream(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> s(n);
  for (auto& b : s) b = static_cast<uint8_t>(rng());
  return s;
}

ReassemblyLimits WithSegmentCap(uint32_t segments) {
  ReassemblyLimits l;
  l.max_segments_per_flow = segments;
  return l;
}

class SegmentCapTest : public ::testing::Test {
 protected:
  explicit SegmentCapTest(ReassemblyLimits limits = WithSegmentCap(3))
      : ctx_(limits), s_(RandomStream(100, 7)) {
    r_.InitFromSyn(0);
  }

  void Byte(uint32_t off) { Feed(off, 1); }
  void Feed(uint32_t off, uint32_t len) {
    r_.OnSegment(1 + off, ByteView(s_.data() + off, len), len, false, 0, kDir, sink_);
  }
  const ReassemblyCounters& c() const { return ctx_.counters; }
  const testing::DirectionLog& log() { return sink_[kDir]; }

  ReassemblyContext ctx_;
  TcpReassembler r_{ctx_};
  RecordingSink sink_;
  std::vector<uint8_t> s_;
};

TEST_F(SegmentCapTest, CapDeclaresTheOldestHoleLikeTheByteCap) {
  for (uint32_t off : {10, 20, 30}) Byte(off);
  EXPECT_EQ(r_.buffered_segments(), 3u);
  EXPECT_EQ(c().segment_cap_hits.load(), 0u);
  Byte(40);  // a fourth range: hole [0,10) is given up and byte 10 delivered, making room
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
  EXPECT_EQ(c().per_flow_cap_hits.load(), 0u);
  EXPECT_EQ(log().GapBytes(), 10u);
  EXPECT_EQ(log().position, 11u);
  EXPECT_EQ(r_.buffered_segments(), 3u);  // 20, 30 and the new 40
  EXPECT_EQ(ctx_.memory.used(), 3 * (1 + kO));
  r_.Finish(0, kDir, sink_);
  EXPECT_EQ(log().position, 41u);
  EXPECT_EQ(log().DataBytes(), 4u);
  EXPECT_TRUE(log().MatchesAtOffsets(s_));
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

TEST_F(SegmentCapTest, SegmentBeforeTheBufferedOnesGapsOnlyUpToItself) {
  for (uint32_t off : {20, 30, 40}) Byte(off);
  Byte(10);  // its own hole [0,10) is the oldest: gap, deliver it directly, keep the others
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
  EXPECT_EQ(log().GapBytes(), 10u);
  EXPECT_EQ(log().position, 11u);
  EXPECT_EQ(r_.buffered_segments(), 3u);
  EXPECT_TRUE(log().MatchesAtOffsets(s_));
}

TEST_F(SegmentCapTest, RangesFilledInOrderFreeTheirSlots) {
  for (uint32_t off : {10, 20, 30}) Byte(off);
  Feed(0, 10);  // delivers [0,11): one range drained
  EXPECT_EQ(r_.buffered_segments(), 2u);
  Byte(40);
  EXPECT_EQ(c().segment_cap_hits.load(), 0u);
  EXPECT_EQ(log().GapBytes(), 0u);
}

// Both caps would bind: the byte cap is checked first and the hit is counted once, as the byte
// cap alone counted it before the segment cap existed.
class BothCapsTest : public SegmentCapTest {
 protected:
  static ReassemblyLimits Limits() {
    ReassemblyLimits l = WithSegmentCap(2);
    l.per_flow_bytes = 2 * (1 + kO);
    return l;
  }
  BothCapsTest() : SegmentCapTest(Limits()) {}
};

TEST_F(BothCapsTest, ByteCapIsCountedFirst) {
  Byte(10);
  Byte(20);
  Byte(30);
  EXPECT_EQ(c().per_flow_cap_hits.load(), 1u);
  EXPECT_EQ(c().segment_cap_hits.load(), 0u);
  EXPECT_EQ(log().GapBytes(), 10u);
}

TEST_F(SegmentCapTest, MoveCarriesTheSegmentCount) {
  for (uint32_t off : {10, 20, 30}) Byte(off);
  TcpReassembler moved(std::move(r_));
  EXPECT_EQ(moved.buffered_segments(), 3u);
  EXPECT_EQ(r_.buffered_segments(), 0u);  // NOLINT(bugprone-use-after-move)
  r_ = std::move(moved);
  EXPECT_EQ(r_.buffered_segments(), 3u);
  Byte(40);
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
}

// Descending one-byte segments: each one lands in front of everything buffered.
class DescendingTest : public SegmentCapTest {
 protected:
  explicit DescendingTest(uint32_t cap = 4096) : SegmentCapTest(WithSegmentCap(cap)) {}
};

TEST_F(DescendingTest, UnderTheCapEveryByteIsDeliveredOnceTheFirstArrives) {
  for (uint32_t off = 99; off >= 1; --off) Byte(off);
  EXPECT_EQ(r_.buffered_segments(), 99u);
  EXPECT_EQ(log().position, 0u);
  Byte(0);
  EXPECT_EQ(log().position, 100u);
  EXPECT_EQ(log().Joined(), s_);
  EXPECT_EQ(log().GapBytes(), 0u);
  EXPECT_EQ(c().out_of_order_segments.load(), 99u);
  EXPECT_EQ(c().segment_cap_hits.load(), 0u);
  EXPECT_EQ(r_.buffered_segments(), 0u);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// The lowest out-of-order byte arrived first, then the rest from the top down: each new one
// goes second in the list, right behind that first one.
TEST_F(DescendingTest, BehindAnEarlierSegmentEveryByteIsDelivered) {
  Byte(1);
  for (uint32_t off = 99; off >= 2; --off) Byte(off);
  EXPECT_EQ(r_.buffered_segments(), 99u);
  Byte(0);
  EXPECT_EQ(log().Joined(), s_);
  EXPECT_EQ(log().GapBytes(), 0u);
  EXPECT_EQ(c().out_of_order_segments.load(), 99u);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

class DescendingCapTest : public DescendingTest {
 protected:
  DescendingCapTest() : DescendingTest(16) {}
};

TEST_F(DescendingCapTest, AtTheCapTheHoleInFrontIsGivenUpOnce) {
  for (uint32_t off = 99; off >= 84; --off) Byte(off);
  EXPECT_EQ(r_.buffered_segments(), 16u);
  EXPECT_EQ(c().segment_cap_hits.load(), 0u);
  // Byte 83 would be the 17th range: [0,83) becomes a gap, 83 is delivered, then 84..99.
  Byte(83);
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
  EXPECT_EQ(log().GapBytes(), 83u);
  EXPECT_EQ(log().GapEvents(), 1u);
  EXPECT_EQ(log().position, 100u);
  EXPECT_EQ(r_.buffered_segments(), 0u);
  // What follows is behind the delivered point: retransmissions of lost bytes, never buffered.
  for (uint32_t off = 82;; --off) {
    Byte(off);
    if (off == 0) break;
  }
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
  EXPECT_EQ(c().retransmissions.load(), 83u);
  EXPECT_EQ(c().out_of_order_segments.load(), 16u);
  EXPECT_EQ(log().DataBytes(), 17u);
  EXPECT_EQ(log().position, 100u);
  EXPECT_TRUE(log().MatchesAtOffsets(s_));
  EXPECT_EQ(ctx_.memory.used(), 0u);
  EXPECT_EQ(ctx_.memory.high_water(), 16 * (1 + kO));
}

TEST_F(DescendingCapTest, BehindAnEarlierSegmentTheCapGivesUpTheOldestHoleFirst) {
  Byte(1);
  for (uint32_t off = 99; off >= 85; --off) Byte(off);
  EXPECT_EQ(r_.buffered_segments(), 16u);
  // The oldest hole is [0,1): giving it up delivers byte 1 and frees one range for byte 84.
  Byte(84);
  EXPECT_EQ(c().segment_cap_hits.load(), 1u);
  EXPECT_EQ(log().GapBytes(), 1u);
  EXPECT_EQ(log().position, 2u);
  EXPECT_EQ(r_.buffered_segments(), 16u);
  // Full again, and byte 83 comes before everything buffered: the hole in front of it, [2,83),
  // goes, it is delivered directly, and everything buffered after it.
  Byte(83);
  EXPECT_EQ(c().segment_cap_hits.load(), 2u);
  EXPECT_EQ(log().GapBytes(), 82u);
  EXPECT_EQ(log().GapEvents(), 2u);
  EXPECT_EQ(log().position, 100u);
  EXPECT_EQ(log().DataBytes(), 18u);
  EXPECT_EQ(r_.buffered_segments(), 0u);
  EXPECT_TRUE(log().MatchesAtOffsets(s_));
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

}  // namespace
}  // namespace bw::reassembly
