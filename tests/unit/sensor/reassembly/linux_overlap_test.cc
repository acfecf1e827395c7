// Overlapping copies resolved as Linux resolves them (net/ipv4/tcp_input.c): first wins for
// bytes already delivered (tcp_data_queue); in the out-of-order queue (tcp_data_queue_ofo) the
// copy that starts first wins, on an equal start the longer one, and a segment that begins where
// a queued one ends extends it (tcp_ooo_try_coalesce). Every test checks the delivered bytes
// exactly, plus the counters.

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <random>
#include <string>
#include <vector>

#include "sensor/reassembly/tcp_reassembler.h"
#include "tests/unit/sensor/reassembly/recording_sink.h"

namespace bw::reassembly {
namespace {

using testing::RecordingSink;

constexpr Direction kDir = Direction::kToServer;

class LinuxOverlapTest : public ::testing::Test {
 protected:
  void SetUp() override { r_.InitFromSyn(kIsn); }
  // `text` placed at stream offset `off`.
  void Send(uint32_t off, std::string_view text) {
    r_.OnSegment(kIsn + 1 + off, AsBytes(text), static_cast<uint32_t>(text.size()), false, 0, kDir,
                 sink_);
  }
  std::string Delivered() {
    auto b = sink_[kDir].Joined();
    return std::string(b.begin(), b.end());
  }
  const ReassemblyCounters& c() const { return ctx_.counters; }

  static constexpr uint32_t kIsn = 0xFFFFFF00;  // the stream crosses 2^32
  ReassemblyContext ctx_;
  TcpReassembler r_{ctx_};
  RecordingSink sink_;
};

// overlap_ofo_covering: rb_replace_node when the new segment has the same start and ends later.
TEST_F(LinuxOverlapTest, SameStartLongerCopyReplacesQueuedOne) {
  Send(5, "/bucket-a/ HTTP/1.1");
  Send(5, "/bucket-b/ HTTP/1.1\r\n");
  EXPECT_EQ(c().overlap_conflicts.load(), 1u);
  EXPECT_EQ(c().overlaps.load(), 1u);
  Send(0, "GET /");
  EXPECT_EQ(Delivered(), "GET //bucket-b/ HTTP/1.1\r\n");
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// "All the bits are present. Drop.": same range, same start and shorter, or inside.
TEST_F(LinuxOverlapTest, CopyInsideQueuedOneIsDropped) {
  Send(5, "AAAAAAAAAA");  // [5,15)
  Send(5, "BBBBBBBBBB");  // same range
  Send(5, "CCCCC");       // same start, shorter
  Send(7, "DDDD");        // inside
  Send(6, "EEEEEEEEE");   // later start, same end
  EXPECT_EQ(c().overlap_conflicts.load(), 4u);
  EXPECT_EQ(c().retransmissions.load(), 4u);
  Send(0, "01234");
  EXPECT_EQ(Delivered(), "01234AAAAAAAAAA");
}

// A copy starting earlier is inserted before the queued one and delivered first: it wins the
// overlap; the queued copy keeps only what lies beyond it.
TEST_F(LinuxOverlapTest, EarlierStartingCopyWinsTheOverlap) {
  Send(10, "aaaaaaaaaa");  // [10,20)
  Send(6, "bbbbbbbbb");    // [6,15)
  EXPECT_EQ(c().overlap_conflicts.load(), 1u);
  EXPECT_EQ(c().overlaps.load(), 1u);
  Send(0, "012345");
  EXPECT_EQ(Delivered(), "012345bbbbbbbbbaaaaa");
}

// A later start that ends later: both are queued, the first copy wins the overlap.
TEST_F(LinuxOverlapTest, LaterStartingCopyKeepsOnlyItsTail) {
  Send(10, "aaaaaaaaaa");  // [10,20)
  Send(15, "bbbbbbbbbb");  // [15,25)
  Send(0, "0123456789");
  EXPECT_EQ(Delivered(), "0123456789aaaaaaaaaabbbbb");
  EXPECT_EQ(c().overlap_conflicts.load(), 1u);
}

// A copy covering several queued ones from before their start replaces all of them (merge_right)
// and wins a partial overlap with the next.
TEST_F(LinuxOverlapTest, CoveringCopyReplacesEveryQueuedCopyItStartsBefore) {
  Send(10, "aaaa");             // [10,14)
  Send(16, "bbbb");             // [16,20)
  Send(22, "cccccc");           // [22,28)
  Send(8, "XXXXXXXXXXXXXXXX");  // [8,24)
  EXPECT_EQ(c().overlap_conflicts.load(), 1u);
  Send(0, "01234567");
  EXPECT_EQ(Delivered(), "01234567XXXXXXXXXXXXXXXXcccc");
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// Equal start beats a copy whose own start is later even when that copy is shorter than the
// queued bytes it holds: the comparison is per copy, not per buffered range.
TEST_F(LinuxOverlapTest, SameStartComparesWithTheWholeQueuedCopy) {
  Send(10, "aaaaaaaaaa");    // [10,20)
  Send(5, "bbbbbbb");        // [5,12): takes [10,12) from a
  Send(10, "cccccccc");      // [10,18): same start as a, shorter -> dropped
  Send(10, "dddddddddddd");  // [10,22): same start as a, longer -> replaces a's bytes
  Send(0, "01234");
  EXPECT_EQ(Delivered(), "01234bbbbbbbdddddddddd");
}

// Contiguous out-of-order segments coalesce into one queued copy, so a later copy starting at
// the second one's start starts after the run and loses; without coalescing it would win.
TEST_F(LinuxOverlapTest, CoalescedRunCompetesWithItsOwnStart) {
  Send(10, "aaaaa");       // [10,15)
  Send(15, "bbbbb");       // [15,20): appended to [10,15)
  Send(15, "XXXXXXXXXX");  // [15,25): starts inside the run [10,20) -> only [20,25) is new
  Send(0, "0123456789");
  EXPECT_EQ(Delivered(), "0123456789aaaaabbbbbXXXXX");
}

TEST_F(LinuxOverlapTest, SegmentQueuedBeforeItsPredecessorIsNotCoalesced) {
  Send(15, "bbbbb");       // [15,20)
  Send(10, "aaaaa");       // [10,15): inserted before, not appended
  Send(15, "XXXXXXXXXX");  // [15,25): same start as b and longer -> replaces it
  Send(0, "0123456789");
  EXPECT_EQ(Delivered(), "0123456789aaaaaXXXXXXXXXX");
}

// The in-order path: a segment at the delivered point is delivered whole, and queued bytes it
// covers are dropped when the queue drains (tcp_ofo_queue).
TEST_F(LinuxOverlapTest, InOrderSegmentWinsOverQueuedBytes) {
  Send(10, "evilevil");  // [10,18)
  Send(0, "0123456789ABCDEF");
  EXPECT_EQ(Delivered(), "0123456789ABCDEFil");
  EXPECT_EQ(c().overlap_conflicts.load(), 1u);
}

// Bytes already delivered never change (first wins; the reader skips what it already has).
TEST_F(LinuxOverlapTest, DeliveredBytesAreNeverReplaced) {
  Send(0, "0123456789");
  Send(0, "XXXXXXXXXXXXXXX");
  EXPECT_EQ(Delivered(), "0123456789XXXXX");
  Send(3, "YYY");
  EXPECT_EQ(Delivered(), "0123456789XXXXX");
  EXPECT_EQ(c().retransmissions.load(), 1u);
  EXPECT_EQ(c().overlap_conflicts.load(), 0u);
}

// A displacing copy cut by the snaplen: its missing tail replaces the queued bytes too, as a
// gap at their place (the receiver kept bytes the capture does not have).
TEST_F(LinuxOverlapTest, CutCopyDisplacesQueuedBytesWithAGap) {
  Send(10, "aaaaaaaaaa");                     // [10,20)
  const std::string cut = "XXXXXXXXXXXXXXX";  // [10,25) on the wire, 5 bytes captured
  r_.OnSegment(kIsn + 1 + 10, AsBytes(std::string_view(cut).substr(0, 5)), 15, false, 0, kDir,
               sink_);
  Send(0, "0123456789");
  r_.Finish(0, kDir, sink_);
  ASSERT_EQ(sink_[kDir].runs.size(), 3u);
  EXPECT_EQ(Delivered(), "0123456789XXXXX");
  EXPECT_TRUE(sink_[kDir].runs[2].gap);
  EXPECT_EQ(sink_[kDir].runs[2].offset, 15u);
  EXPECT_EQ(sink_[kDir].runs[2].length, 10u);
  EXPECT_EQ(ctx_.memory.used(), 0u);
}

// Taking bytes out of a queued range keeps the budget exact.
TEST_F(LinuxOverlapTest, DisplacementKeepsTheBudgetExact) {
  Send(10, "aaaaaaaaaa");  // [10,20)
  const size_t one = 10 + TcpReassembler::kSegmentOverhead;
  EXPECT_EQ(ctx_.memory.used(), one);
  // [5,12): a's first two bytes are taken out (a keeps its allocation); b fills [5,10) and
  // [10,12) as two new ranges.
  Send(5, "bbbbbbb");
  EXPECT_EQ(ctx_.memory.used(), one + 7 + 2 * TcpReassembler::kSegmentOverhead);
  EXPECT_EQ(r_.buffered_bytes(), ctx_.memory.used());
  EXPECT_EQ(r_.buffered_segments(), 3u);
  Send(0, "01234");
  EXPECT_EQ(ctx_.memory.used(), 0u);
  EXPECT_EQ(r_.buffered_bytes(), 0u);
}

// An independent model of the receiver: whole copies in a list sorted by start, the rules of
// tcp_data_queue / tcp_data_queue_ofo / tcp_ofo_queue applied to them directly. The reassembler
// (which splits copies into non-overlapping ranges) must deliver exactly what it delivers.
class ReceiverModel {
 public:
  void Segment(int64_t seq, std::vector<uint8_t> bytes) {
    const int64_t end = seq + static_cast<int64_t>(bytes.size());
    if (end <= rcv_nxt_) return;
    if (seq <= rcv_nxt_) {
      Deliver(seq, bytes);
      Drain();
      return;
    }
    bool start_covered = false;
    for (const Skb& s : queue_) start_covered |= s.seq <= seq && seq < s.end;
    if (!start_covered) {
      for (Skb& s : queue_) {
        if (s.end == seq) {  // tcp_ooo_try_coalesce
          s.bytes.insert(s.bytes.end(), bytes.begin(), bytes.end());
          s.end = end;
          return;
        }
      }
    }
    for (const Skb& s : queue_) {
      if (s.seq <= seq && end <= s.end) return;  // all the bits are present
    }
    auto it = queue_.begin();
    while (it != queue_.end() && it->seq < seq) ++it;
    if (it != queue_.end() && it->seq == seq) it = queue_.erase(it);  // replace (it is shorter)
    it = queue_.insert(it, Skb{seq, end, std::move(bytes)});
    for (auto next = std::next(it); next != queue_.end() && next->end <= end;) {
      next = queue_.erase(next);  // merge_right
    }
  }
  // Flow end: what is queued is delivered in order, the holes as gaps (-1).
  void Finish() {
    while (!queue_.empty()) {
      while (rcv_nxt_ < queue_.front().seq) {
        out_.push_back(-1);
        ++rcv_nxt_;
      }
      Drain();
    }
  }
  const std::vector<int>& out() const { return out_; }

 private:
  struct Skb {
    int64_t seq;
    int64_t end;
    std::vector<uint8_t> bytes;
  };
  void Deliver(int64_t seq, const std::vector<uint8_t>& bytes) {
    for (int64_t i = rcv_nxt_ - seq; i < static_cast<int64_t>(bytes.size()); ++i) {
      out_.push_back(bytes[static_cast<size_t>(i)]);
    }
    rcv_nxt_ = std::max(rcv_nxt_, seq + static_cast<int64_t>(bytes.size()));
  }
  void Drain() {
    while (!queue_.empty() && queue_.front().seq <= rcv_nxt_) {
      Skb s = std::move(queue_.front());
      queue_.pop_front();
      if (s.end > rcv_nxt_) Deliver(s.seq, s.bytes);
    }
  }

  std::list<Skb> queue_;
  int64_t rcv_nxt_ = 0;
  std::vector<int> out_;
};

std::vector<int> Flatten(const testing::DirectionLog& d) {
  std::vector<int> out;
  for (const auto& run : d.runs) {
    if (run.gap) {
      out.insert(out.end(), run.length, -1);
    } else {
      out.insert(out.end(), run.bytes.begin(), run.bytes.end());
    }
  }
  return out;
}

// Random overlapping copies with different contents, in random order: the reassembler and the
// model agree byte for byte, gaps included.
TEST(LinuxOverlapProperty, MatchesTheReceiverModel) {
  std::mt19937 rng(4242);
  for (int trial = 0; trial < 2000; ++trial) {
    const uint32_t n = 1 + rng() % 400;
    const int segments = 1 + static_cast<int>(rng() % 25);
    const uint32_t max_len = 1 + rng() % 60;
    ReassemblyContext ctx;
    TcpReassembler r(ctx);
    RecordingSink sink;
    ReceiverModel model;
    const uint32_t isn = rng();
    r.InitFromSyn(isn);
    for (int i = 0; i < segments; ++i) {
      // Mostly out of order; sometimes at the start, so the queue drains part way through.
      const uint32_t off = rng() % 5 == 0 ? 0 : rng() % n;
      const uint32_t len = 1 + rng() % max_len;
      std::vector<uint8_t> bytes(len);
      for (auto& b : bytes) b = static_cast<uint8_t>('a' + rng() % 4);
      r.OnSegment(isn + 1 + off, ByteView(bytes.data(), len), len, false, 0, kDir, sink);
      model.Segment(off, std::move(bytes));
    }
    r.Finish(0, kDir, sink);
    model.Finish();
    ASSERT_EQ(Flatten(sink[kDir]), model.out()) << "trial " << trial;
    ASSERT_EQ(ctx.memory.used(), 0u);
  }
}

}  // namespace
}  // namespace bw::reassembly
