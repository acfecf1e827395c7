// Retransmissions of bytes already delivered whose contents differ (the in-order overlap
// evasion): compared with DeliveredHistory, counted in retransmission_conflicts, first copy kept.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sensor/reassembly/delivered_history.h"
#include "sensor/reassembly/tcp_connection.h"
#include "sensor/reassembly/tcp_reassembler.h"
#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kDir = Direction::kToServer;

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> s(n);
  for (auto& b : s) b = static_cast<uint8_t>(rng());
  return s;
}

// --- the hash and the ring on their own ---------------------------------------------------

TEST(HistoryHashTest, EqualBytesHashEquallyAndEveryBitMatters) {
  const HistoryKey key = HistoryKey::FromSeed(7);
  const auto base = RandomBytes(300, 1);
  // Every length through the 64-byte rounds, the 16-byte steps and the tail, and every bit.
  for (size_t len : {1, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 100, 127, 128, 129, 300}) {
    const uint32_t h = HistoryHash(base.data(), len, key);
    std::vector<uint8_t> copy(base.begin(), base.begin() + static_cast<long>(len));
    ASSERT_EQ(HistoryHash(copy.data(), len, key), h) << len;
    for (size_t i = 0; i < len; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        copy[i] ^= static_cast<uint8_t>(1 << bit);
        ASSERT_NE(HistoryHash(copy.data(), len, key), h) << "len " << len << " byte " << i;
        copy[i] ^= static_cast<uint8_t>(1 << bit);
      }
    }
  }
}

TEST(HistoryHashTest, LengthAndKeyMatter) {
  const std::vector<uint8_t> zeros(80, 0);
  const HistoryKey key = HistoryKey::FromSeed(1);
  // Zero padding of the tail must not make lengths collide.
  for (size_t a = 0; a < zeros.size(); ++a) {
    for (size_t b = a + 1; b <= zeros.size(); ++b) {
      ASSERT_NE(HistoryHash(zeros.data(), a, key), HistoryHash(zeros.data(), b, key)) << a << b;
    }
  }
  const auto bytes = RandomBytes(100, 2);
  EXPECT_NE(HistoryHash(bytes.data(), 100, key),
            HistoryHash(bytes.data(), 100, HistoryKey::FromSeed(2)));
  // Two random keys differ (what keeps fake copies from being crafted offline).
  const HistoryKey r1 = HistoryKey::Random();
  const HistoryKey r2 = HistoryKey::Random();
  EXPECT_NE(std::memcmp(r1.secret, r2.secret, sizeof r1.secret), 0);
}

TEST(DeliveredHistoryTest, ComparesOnlyPiecesItCoversWhole) {
  const HistoryKey key = HistoryKey::FromSeed(3);
  const auto s = RandomBytes(64, 3);
  auto evil = s;
  DeliveredHistory h;
  EXPECT_EQ(h.size(), 0);
  EXPECT_FALSE(h.Differs(100, evil.data(), 64, key));  // nothing recorded: nothing compared
  h.Record(100, s.data(), 20, key);                    // [100,120)
  h.Record(120, s.data() + 20, 20, key);               // [120,140)
  EXPECT_EQ(h.size(), 2);
  EXPECT_FALSE(h.Differs(100, s.data(), 40, key));
  evil[25] ^= 1;                                            // inside [120,140)
  EXPECT_TRUE(h.Differs(100, evil.data(), 40, key));        // covers both
  EXPECT_TRUE(h.Differs(120, evil.data() + 20, 20, key));   // the same range
  EXPECT_TRUE(h.Differs(110, evil.data() + 10, 30, key));   // covers [120,140) only
  EXPECT_FALSE(h.Differs(100, evil.data(), 30, key));       // [120,140) only in part
  EXPECT_FALSE(h.Differs(121, evil.data() + 21, 19, key));  // inside it
  EXPECT_FALSE(h.Differs(100, evil.data(), 20, key));       // the other piece is equal
}

TEST(DeliveredHistoryTest, RotatesPrunesAndCapsLongPieces) {
  const HistoryKey key = HistoryKey::FromSeed(4);
  const auto s = RandomBytes(200000, 4);
  auto evil = s;
  evil[0] ^= 0x80;
  DeliveredHistory h;
  h.Record(0, s.data(), 10, key);
  EXPECT_TRUE(h.Differs(0, evil.data(), 10, key));
  for (int i = 1; i <= DeliveredHistory::kEntries; ++i) {
    h.Record(10 * i, s.data() + 10 * i, 10, key);
  }
  EXPECT_EQ(h.size(), DeliveredHistory::kEntries);
  EXPECT_FALSE(h.Differs(0, evil.data(), 10, key));  // rotated past: forgotten, not guessed

  // A piece longer than kMaxPiece keeps its first kMaxPiece bytes.
  DeliveredHistory big;
  big.Record(5000, s.data(), 100000, key);
  EXPECT_FALSE(big.Differs(5000, s.data(), 100000, key));
  EXPECT_FALSE(big.Differs(5000, s.data(), DeliveredHistory::kMaxPiece, key));
  EXPECT_TRUE(big.Differs(5000, evil.data(), DeliveredHistory::kMaxPiece, key));
  auto late = s;
  late[DeliveredHistory::kMaxPiece + 10] ^= 1;
  EXPECT_FALSE(big.Differs(5000, late.data(), 100000, key));  // beyond the recorded prefix

  // A piece longer than 2 * kEdgeBytes is compared on its edges only.
  DeliveredHistory edges;
  edges.Record(0, s.data(), 1460, key);
  for (size_t at : {size_t{0}, size_t{127}, size_t{1460 - 128}, size_t{1459}}) {
    auto flipped = s;
    flipped[at] ^= 1;
    EXPECT_TRUE(edges.Differs(0, flipped.data(), 1460, key)) << at;
  }
  auto middle = s;
  middle[700] ^= 1;
  EXPECT_FALSE(edges.Differs(0, middle.data(), 1460, key));  // documented blind spot

  // A gap that moves the stream more than kReach forgets what came before it.
  big.Prune(5000 + DeliveredHistory::kReach);
  EXPECT_EQ(big.size(), 1);
  big.Prune(5000 + DeliveredHistory::kReach + 1);
  EXPECT_EQ(big.size(), 0);
}

// --- through the reassembler ----------------------------------------------------------------

class RetransmissionConflictTest : public ::testing::Test {
 protected:
  RetransmissionConflictTest() : ctx_(ReassemblyLimits{}, HistoryKey::FromSeed(11)) {}
  void SetUp() override { r_.InitFromSyn(kIsn); }
  void Send(uint32_t off, std::string_view text) {
    r_.OnSegment(kIsn + 1 + off, AsBytes(text), static_cast<uint32_t>(text.size()), false, 0, kDir,
                 sink_);
  }
  void Send(uint32_t off, const std::vector<uint8_t>& s, uint32_t from, uint32_t len) {
    r_.OnSegment(kIsn + 1 + off, ByteView(s.data() + from, len), len, false, 0, kDir, sink_);
  }
  std::string Delivered() {
    auto b = sink_[kDir].Joined();
    return std::string(b.begin(), b.end());
  }
  const ReassemblyCounters& c() const { return ctx_.counters; }

  static constexpr uint32_t kIsn = 0xFFFFFFF0;  // the stream crosses 2^32
  ReassemblyContext ctx_;
  TcpReassembler r_{ctx_};
  RecordingSink sink_;
};

const std::string kReqA = "GET /bucket-a/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";
const std::string kReqB = "GET /bucket-b/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";

TEST_F(RetransmissionConflictTest, EqualRetransmissionIsNoConflict) {
  Send(0, kReqA);
  Send(0, kReqA);
  EXPECT_EQ(c().retransmissions.load(), 1u);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  EXPECT_EQ(Delivered(), kReqA);
}

// overlap_inorder: Linux keeps the first copy; the differing second one is now counted.
TEST_F(RetransmissionConflictTest, DifferingSameRangeIsCountedAndFirstCopyKept) {
  Send(0, kReqA);
  Send(0, kReqB);
  EXPECT_EQ(c().retransmissions.load(), 1u);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(c().overlap_conflicts.load(), 0u);
  EXPECT_EQ(Delivered(), kReqA);
  Send(0, kReqB);  // every differing copy counts
  EXPECT_EQ(c().retransmission_conflicts.load(), 2u);
  Send(0, kReqA);
  EXPECT_EQ(c().retransmission_conflicts.load(), 2u);
  EXPECT_EQ(c().retransmissions.load(), 3u);
  EXPECT_EQ(Delivered(), kReqA);
}

// A segment that starts in delivered space and carries new bytes after it: an overlap, and its
// delivered part covers the recorded piece, so that part is compared.
TEST_F(RetransmissionConflictTest, DifferingPartialOverlapWithNewBytes) {
  Send(0, kReqA.substr(0, 20));
  Send(0, kReqB);  // [0,20) differs from what was delivered, [20,end) is new
  EXPECT_EQ(c().overlaps.load(), 1u);
  EXPECT_EQ(c().retransmissions.load(), 0u);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(Delivered(), kReqA.substr(0, 20) + kReqB.substr(20));

  // The same with equal bytes in the delivered part: no conflict.
  Send(static_cast<uint32_t>(kReqB.size()), "abcdef");
  Send(static_cast<uint32_t>(kReqB.size()), "abcdefghij");
  EXPECT_EQ(c().overlaps.load(), 2u);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
}

// Delivered as [0,10) [10,30) [30,end); a resend of [5,end) covers the last two pieces whole
// and the first one in part.
TEST_F(RetransmissionConflictTest, PartialOverlapOfRecordedPieces) {
  const std::string& a = kReqA;
  Send(0, a.substr(0, 10));
  Send(10, a.substr(10, 20));
  Send(30, a.substr(30));
  std::string evil = a;
  evil[15] = 'X';  // inside [10,30), which the resend covers whole
  Send(5, std::string_view(evil).substr(5));
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(c().retransmissions.load(), 1u);

  evil = a;
  evil[7] = 'X';  // inside [0,10), which the resend covers only from byte 5: not compared
  Send(5, std::string_view(evil).substr(5));
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  evil[12] = 'X';  // a resend of [10,20) lies inside the recorded [10,30): not compared either
  Send(10, std::string_view(evil).substr(10, 10));
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(c().retransmissions.load(), 3u);
  EXPECT_EQ(Delivered(), a);
}

TEST_F(RetransmissionConflictTest, AfterTheRingRotatedNothingIsGuessed) {
  const auto s = RandomBytes(200, 21);
  for (uint32_t off = 0; off < 100; off += 10) Send(off, s, off, 10);
  // [0,10) .. [60,70) were rotated out. An honest resend of everything: no conflict.
  Send(0, s, 0, 100);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  // A differing resend of a forgotten range cannot be compared: not counted (documented miss).
  auto evil = s;
  evil[5] ^= 0xFF;
  Send(0, evil, 0, 10);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  // A differing resend of all of it still covers the pieces the ring holds, which are equal.
  Send(0, evil, 0, 100);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  // One of the last pieces differing is caught, wherever the resend starts.
  evil[95] ^= 0xFF;
  Send(0, evil, 0, 100);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(c().retransmissions.load(), 4u);
  EXPECT_EQ(sink_[kDir].Joined(), std::vector<uint8_t>(s.begin(), s.begin() + 100));
}

// Out-of-order data delivered when the hole fills is recorded like in-order data.
TEST_F(RetransmissionConflictTest, BytesDeliveredFromTheQueueAreRecorded) {
  const auto s = RandomBytes(60, 22);
  Send(20, s, 20, 20);
  Send(40, s, 40, 20);
  Send(0, s, 0, 20);  // fills the hole: [0,20) then the queued [20,40), [40,60)
  EXPECT_EQ(sink_[kDir].Joined(), s);
  Send(20, s, 20, 20);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  auto evil = s;
  evil[30] ^= 1;
  Send(20, evil, 20, 20);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
  EXPECT_EQ(sink_[kDir].Joined(), s);
}

// A snaplen-cut segment: its captured part is recorded, its cut tail is a gap and never compared.
TEST_F(RetransmissionConflictTest, CutTailIsNeverCompared) {
  const auto s = RandomBytes(100, 23);
  r_.OnSegment(kIsn + 1, ByteView(s.data(), 60), 100, false, 0, kDir, sink_);
  EXPECT_EQ(c().truncated_segments.load(), 1u);
  auto evil = s;
  evil[80] ^= 1;  // in the lost tail
  Send(0, evil, 0, 100);
  EXPECT_EQ(c().retransmission_conflicts.load(), 0u);
  evil[30] ^= 1;  // in the captured part
  Send(0, evil, 0, 100);
  EXPECT_EQ(c().retransmission_conflicts.load(), 1u);
}

// Honest retransmissions never count, whatever the segmentation of either copy; a differing
// byte anywhere counts once when the resend covers the recorded pieces (at most kEntries).
TEST_F(RetransmissionConflictTest, SegmentationInvariance) {
  const auto s = RandomBytes(48, 24);
  for (uint32_t k = 1; k < 48; ++k) {
    for (uint32_t j = k; j < 48; ++j) {  // delivered as [0,k) [k,j) [j,48) (j == k: two pieces)
      ReassemblyContext ctx(ReassemblyLimits{}, HistoryKey::FromSeed(k));
      TcpReassembler r(ctx);
      RecordingSink sink;
      r.InitFromSyn(kIsn);
      auto feed = [&](const std::vector<uint8_t>& b, uint32_t from, uint32_t len) {
        r.OnSegment(kIsn + 1 + from, ByteView(b.data() + from, len), len, false, 0, kDir, sink);
      };
      feed(s, 0, k);
      if (j > k) feed(s, k, j - k);
      feed(s, j, 48 - j);
      ASSERT_EQ(sink[kDir].Joined(), s);
      feed(s, 0, 48);                         // coalesced
      for (uint32_t t = 0; t < 48; t += 7) {  // and re-split differently
        feed(s, t, std::min<uint32_t>(7, 48 - t));
      }
      ASSERT_EQ(ctx.counters.retransmission_conflicts.load(), 0u) << k << " " << j;
      for (uint32_t p = 0; p < 48; p += 5) {
        auto evil = s;
        evil[p] ^= 0x20;
        const uint64_t before = ctx.counters.retransmission_conflicts.load();
        feed(evil, 0, 48);
        ASSERT_EQ(ctx.counters.retransmission_conflicts.load(), before + 1)
            << "split " << k << "," << j << " byte " << p;
      }
      ASSERT_EQ(sink[kDir].Joined(), s);
    }
  }
}

// Random honest traffic with reordering, duplicates and resends of every size and offset
// (delivered, buffered or both): never a conflict, and the stream is delivered intact.
TEST_F(RetransmissionConflictTest, NoFalsePositiveOnRandomHonestTraffic) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const auto s = RandomBytes(6000, seed);
    ReassemblyContext ctx(ReassemblyLimits{}, HistoryKey::Random());
    TcpReassembler r(ctx);
    RecordingSink sink;
    const uint32_t isn = static_cast<uint32_t>(rng());
    r.InitFromSyn(isn);
    struct Piece {
      uint32_t off, len;
    };
    std::vector<Piece> order;
    for (uint32_t off = 0; off < s.size();) {
      const uint32_t len = std::min<uint32_t>(1 + rng() % 300, s.size() - off);
      order.push_back({off, len});
      off += len;
    }
    for (size_t i = 0; i + 1 < order.size(); ++i) {  // local reordering
      if (rng() % 4 == 0) std::swap(order[i], order[i + 1]);
    }
    uint32_t sent_end = 0;
    for (const Piece& g : order) {
      r.OnSegment(isn + 1 + g.off, ByteView(s.data() + g.off, g.len), g.len, false, 0, kDir, sink);
      sent_end = std::max(sent_end, g.off + g.len);
      if (rng() % 3 == 0) {  // resend any range sent so far
        const uint32_t from = rng() % sent_end;
        const uint32_t n = 1 + rng() % (sent_end - from);
        r.OnSegment(isn + 1 + from, ByteView(s.data() + from, n), n, false, 0, kDir, sink);
      }
    }
    r.Finish(0, kDir, sink);
    ASSERT_EQ(sink[kDir].Joined(), s) << seed;
    ASSERT_GT(ctx.counters.retransmissions.load(), 0u);
    ASSERT_GT(ctx.counters.out_of_order_segments.load(), 0u);
    ASSERT_EQ(ctx.counters.retransmission_conflicts.load(), 0u) << seed;
  }
}

TEST(RetransmissionHistoryTest, MovesWithTheReassemblerAndCostsAtMost32BytesPerDirection) {
  static_assert(sizeof(DeliveredHistory) <= 32);
  ReassemblyContext ctx(ReassemblyLimits{}, HistoryKey::FromSeed(5));
  RecordingSink sink;
  TcpReassembler a(ctx);
  a.InitFromSyn(100);
  const std::string req = kReqA;
  a.OnSegment(101, AsBytes(req), static_cast<uint32_t>(req.size()), false, 0, kDir, sink);
  TcpReassembler b(std::move(a));
  EXPECT_EQ(b.history().size(), 1);
  const std::string evil = kReqB;
  b.OnSegment(101, AsBytes(evil), static_cast<uint32_t>(evil.size()), false, 0, kDir, sink);
  EXPECT_EQ(ctx.counters.retransmission_conflicts.load(), 1u);
  TcpReassembler c(ctx);
  c = std::move(b);
  c.OnSegment(101, AsBytes(evil), static_cast<uint32_t>(evil.size()), false, 0, kDir, sink);
  EXPECT_EQ(ctx.counters.retransmission_conflicts.load(), 2u);
}

// Through TcpConnection with a handshake, as the sensor drives it: the overlap_inorder evasion.
TEST(RetransmissionConnectionTest, InOrderEvasionIsCountedPerDirection) {
  ReassemblyContext ctx;
  TcpConnection conn(ctx);
  RecordingSink sink;
  auto packet = [](uint32_t seq, uint32_t ack, uint8_t flags, std::string_view payload) {
    decode::PacketMeta p{};
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_flags = flags;
    p.tcp_window = 65535;
    p.payload = AsBytes(payload);
    p.payload_wire_len = static_cast<uint32_t>(payload.size());
    return p;
  };
  conn.OnPacket(packet(1000, 0, decode::kTcpSyn, ""), Direction::kToServer, sink);
  conn.OnPacket(packet(5000, 1001, decode::kTcpSyn | decode::kTcpAck, ""), Direction::kToClient,
                sink);
  const uint8_t pa = decode::kTcpPsh | decode::kTcpAck;
  conn.OnPacket(packet(1001, 5001, pa, kReqA), Direction::kToServer, sink);
  conn.OnPacket(packet(1001, 5001, pa, kReqB), Direction::kToServer, sink);
  conn.OnPacket(packet(5001, 1001 + 60, pa, "HTTP/1.1 200 OK\r\n"), Direction::kToClient, sink);
  conn.OnPacket(packet(5001, 1001 + 60, pa, "HTTP/1.1 200 OK\r\n"), Direction::kToClient, sink);
  EXPECT_EQ(ctx.counters.retransmissions.load(), 2u);
  EXPECT_EQ(ctx.counters.retransmission_conflicts.load(), 1u);
  const auto got = sink[Direction::kToServer].Joined();
  EXPECT_EQ(std::string(got.begin(), got.end()), kReqA);
  EXPECT_LE(sizeof(TcpConnection), 232u);  // 152 before the two histories (64 bytes), 216 before
                                           // the ACKs and checksum trusts (16 bytes)
}

}  // namespace
}  // namespace bw::reassembly
