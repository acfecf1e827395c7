#include <gtest/gtest.h>

#include <string>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

// The transport segment that gets fragmented: a 20-byte TCP header and 84 bytes of text.
const std::string kText =
    "GET /bucket/object-with-a-long-name.bin HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n"
    "padding!";

Bytes Segment() { return Tcp({}, Text(kText)); }

Bytes Slice(const Bytes& b, size_t begin, size_t length) {
  return Bytes(b.begin() + begin, b.begin() + begin + length);
}

Bytes Frag4(const Bytes& whole, size_t begin, size_t length, bool more, uint16_t id = 7,
            uint8_t proto = kIpProtoTcp) {
  Ipv4Spec ip;
  ip.id = id;
  ip.proto = proto;
  ip.dont_fragment = false;
  ip.more_fragments = more;
  ip.offset_bytes = static_cast<uint16_t>(begin);
  return Cat({Eth(0x0800), Ipv4(ip, Slice(whole, begin, length))});
}

// Unfragmentable part: a hop-by-hop header in front of the Fragment header.
Bytes Frag6(const Bytes& whole, size_t begin, size_t length, bool more, uint32_t id = 99,
            uint8_t proto = kIpProtoTcp) {
  Ipv6Spec ip;
  ip.next = 0;
  return Cat({Eth(0x86DD),
              Ipv6(ip, Cat({Ipv6Ext(44), Ipv6Frag(proto, static_cast<uint16_t>(begin), more, id),
                            Slice(whole, begin, length)}))});
}

bool ChecksumValid(ByteView header) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header.size(); i += 2) sum += Be16(header.data() + i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

class FragmentTest : public DecoderTest {
 protected:
  void ExpectReassembledV4() {
    EXPECT_TRUE(meta_.reassembled_fragment);
    EXPECT_EQ(AsStringView(meta_.payload), kText);
    EXPECT_EQ(meta_.payload_wire_len, kText.size());
    EXPECT_EQ(meta_.dst_port, 80);
    ASSERT_EQ(meta_.l3.size(), 20 + Segment().size());
    EXPECT_EQ(Be16(meta_.l3.data() + 2), meta_.l3.size());
    EXPECT_EQ(meta_.l3[6] & 0x3F, 0);  // MF and offset cleared
    EXPECT_EQ(meta_.l3[7], 0);
    EXPECT_TRUE(ChecksumValid(meta_.l3.first(20)));
    EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
    EXPECT_EQ(decoder_->fragment_bytes_held(), 0u);
  }
  void ExpectReassembledV6() {
    EXPECT_TRUE(meta_.reassembled_fragment);
    EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
    EXPECT_EQ(AsStringView(meta_.payload), kText);
    // Fixed header + hop-by-hop (now pointing at TCP) + segment; no Fragment header left.
    ASSERT_EQ(meta_.l3.size(), 40 + 8 + Segment().size());
    EXPECT_EQ(Be16(meta_.l3.data() + 4), 8 + Segment().size());
    EXPECT_EQ(meta_.l3[6], 0);
    EXPECT_EQ(meta_.l3[40], kIpProtoTcp);
    EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
  }
};

TEST_F(FragmentTest, Ipv4InOrder) {
  Bytes seg = Segment();  // 104 bytes: 32 + 32 + 40
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true)), DecodeStatus::kHeld);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 1u);
  EXPECT_GT(decoder_->fragment_bytes_held(), 0u);
  EXPECT_EQ(Run(Frag4(seg, 32, 32, true)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag4(seg, 64, 40, false)), DecodeStatus::kOk);
  ExpectReassembledV4();
  EXPECT_EQ(decoder_->fragments_reassembled(), 1u);
  EXPECT_EQ(decoder_->fragments_stored(), 3u);
  EXPECT_EQ(TotalDrops(), 0u);
}

TEST_F(FragmentTest, Ipv4Reversed) {
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 32, 32, true)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag4(seg, 0, 32, true)), DecodeStatus::kOk);
  ExpectReassembledV4();
}

TEST_F(FragmentTest, Ipv4DuplicatesAndIdenticalOverlapsAreAbsorbed) {
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 16, 32, true)), DecodeStatus::kHeld);  // same bytes, overlapping
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag4(seg, 48, 16, true)), DecodeStatus::kOk);
  ExpectReassembledV4();
  EXPECT_EQ(TotalDrops(), 0u);
}

TEST_F(FragmentTest, Ipv4OverlapWithDifferentBytesDiscardsDatagram) {
  Bytes seg = Segment();
  Bytes evil = seg;
  for (size_t i = 24; i < 40; ++i) evil[i] ^= 0xFF;
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true)), DecodeStatus::kHeld);
  ExpectDrop(Frag4(evil, 24, 16, true), DropReason::kFragmentOverlap);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
  // The rest of the datagram cannot complete it any more.
  EXPECT_EQ(Run(Frag4(seg, 32, 32, true)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false)), DecodeStatus::kHeld);
  EXPECT_EQ(decoder_->fragments_reassembled(), 0u);
}

TEST_F(FragmentTest, Ipv4Timeout) {
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true), LinkType::kEthernet, std::nullopt, kNsPerSecond),
            DecodeStatus::kHeld);
  decoder_->ExpireFragments(30 * kNsPerSecond);  // 29 s later: still within the timeout
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 1u);
  decoder_->ExpireFragments(32 * kNsPerSecond);
  EXPECT_EQ(Count(DropReason::kFragmentTimeout), 1u);
  EXPECT_EQ(decoder_->fragment_datagrams_expired(), 1u);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
  EXPECT_EQ(decoder_->fragment_bytes_held(), 0u);

  // Lazily, too: a late fragment does not complete a stale datagram.
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true), LinkType::kEthernet, std::nullopt, 40 * kNsPerSecond),
            DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 32, 72, false), LinkType::kEthernet, std::nullopt, 80 * kNsPerSecond),
            DecodeStatus::kHeld);
  EXPECT_EQ(Count(DropReason::kFragmentTimeout), 2u);
  EXPECT_EQ(decoder_->fragments_reassembled(), 0u);
}

TEST_F(FragmentTest, TableFullEvictsOldest) {
  DecoderLimits limits;
  limits.max_fragment_datagrams = 2;
  Reset(limits);
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true, 1)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true, 2)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 0, 32, true, 3)), DecodeStatus::kHeld);  // evicts id 1
  EXPECT_EQ(Count(DropReason::kFragmentTableFull), 1u);
  EXPECT_EQ(decoder_->fragment_datagrams_evicted(), 1u);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 2u);
  // id 3 and id 2 still complete; id 1 starts over (and evicts the oldest again).
  ASSERT_EQ(Run(Frag4(seg, 32, 72, false, 3)), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), kText);
  ASSERT_EQ(Run(Frag4(seg, 32, 72, false, 2)), DecodeStatus::kOk);
  EXPECT_EQ(Run(Frag4(seg, 32, 72, false, 1)), DecodeStatus::kHeld);
  EXPECT_EQ(decoder_->fragments_reassembled(), 2u);
}

TEST_F(FragmentTest, ByteBudgetEvictsOldest) {
  DecoderLimits limits;
  limits.max_fragment_bytes = 2 * FragmentReassembler::kHeaderRoom + 200;
  Reset(limits);
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag4(seg, 0, 64, true, 1)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 0, 64, true, 2)), DecodeStatus::kHeld);
  EXPECT_EQ(Count(DropReason::kFragmentTableFull), 0u);
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false, 2)), DecodeStatus::kOk);
  EXPECT_EQ(Run(Frag4(seg, 0, 64, true, 3)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag4(seg, 0, 96, true, 4)), DecodeStatus::kHeld);  // needs room: evicts id 1
  EXPECT_EQ(Count(DropReason::kFragmentTableFull), 1u);
  EXPECT_LE(decoder_->fragment_bytes_held(), limits.max_fragment_bytes);
  EXPECT_EQ(Run(Frag4(seg, 64, 40, false, 1)), DecodeStatus::kHeld);
  // A datagram that alone exceeds the budget is refused.
  DecoderLimits tiny;
  tiny.max_fragment_bytes = FragmentReassembler::kHeaderRoom + 16;
  Reset(tiny);
  ExpectDrop(Frag4(seg, 0, 32, true), DropReason::kFragmentTooLarge);
  EXPECT_EQ(decoder_->fragment_bytes_held(), 0u);
}

TEST_F(FragmentTest, Ipv4Errors) {
  Bytes big(2000, 0x41);
  Ipv4Spec ip;
  ip.more_fragments = true;
  ip.offset_bytes = 65528;
  ExpectDrop(Cat({Eth(0x0800), Ipv4(ip, Bytes(16, 0))}), DropReason::kFragmentTooLarge);
  ExpectDrop(Frag4(big, 0, 30, true), DropReason::kFragmentBadLength);
  // The last fragment says the datagram ends at 40, but bytes up to 64 were seen.
  EXPECT_EQ(Run(Frag4(big, 32, 32, true, 9)), DecodeStatus::kHeld);
  ExpectDrop(Frag4(big, 24, 16, false, 9), DropReason::kFragmentBadOffset);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
  // A fragment beyond the known end.
  EXPECT_EQ(Run(Frag4(big, 16, 16, false, 10)), DecodeStatus::kHeld);
  ExpectDrop(Frag4(big, 32, 8, true, 10), DropReason::kFragmentBadOffset);
  // Cut by the snaplen: the fragment cannot be stored.
  Bytes frag = Frag4(big, 0, 64, true, 11);
  Bytes cut(frag.begin(), frag.end() - 10);
  ExpectDrop(cut, DropReason::kFragmentTruncated, LinkType::kEthernet,
             static_cast<uint32_t>(frag.size()));
}

TEST_F(FragmentTest, TooManyHoles) {
  Bytes big(4096, 0x42);
  DecodeStatus last = DecodeStatus::kHeld;
  size_t i = 0;
  for (; i <= FragmentReassembler::kMaxRanges && last == DecodeStatus::kHeld; ++i) {
    last = Run(Frag4(big, i * 16, 8, true, 12));
  }
  EXPECT_EQ(last, DecodeStatus::kDropped);
  EXPECT_EQ(i, FragmentReassembler::kMaxRanges + 1);
  EXPECT_EQ(Count(DropReason::kFragmentTooManyHoles), 1u);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
}

TEST_F(FragmentTest, Ipv6InOrderReversedDuplicated) {
  Bytes seg = Segment();
  EXPECT_EQ(Run(Frag6(seg, 0, 48, true)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag6(seg, 48, 56, false)), DecodeStatus::kOk);
  ExpectReassembledV6();

  EXPECT_EQ(Run(Frag6(seg, 48, 56, false, 100)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag6(seg, 48, 56, false, 100)), DecodeStatus::kHeld);
  EXPECT_EQ(Run(Frag6(seg, 24, 24, true, 100)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag6(seg, 0, 24, true, 100)), DecodeStatus::kOk);
  ExpectReassembledV6();
  EXPECT_EQ(TotalDrops(), 0u);
}

TEST_F(FragmentTest, Ipv6OverlapDiscards) {
  Bytes seg = Segment();
  Bytes evil = seg;
  evil[40] ^= 1;
  EXPECT_EQ(Run(Frag6(seg, 0, 48, true)), DecodeStatus::kHeld);
  ExpectDrop(Frag6(evil, 40, 64, false), DropReason::kFragmentOverlap);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
}

TEST_F(FragmentTest, Ipv6Errors) {
  Bytes big(2000, 0x43);
  Bytes huge(65528 + 16, 0x44);
  ExpectDrop(Frag6(huge, 65528, 16, true), DropReason::kFragmentTooLarge);
  ExpectDrop(Frag6(big, 0, 20, true), DropReason::kFragmentBadLength);
  Bytes frag = Frag6(big, 0, 64, true);
  Bytes cut(frag.begin(), frag.end() - 1);
  ExpectDrop(cut, DropReason::kFragmentTruncated, LinkType::kEthernet,
             static_cast<uint32_t>(frag.size()));
}

TEST_F(FragmentTest, FragmentedTunnelIsDecodedAfterReassembly) {
  // A VXLAN packet whose outer UDP datagram was fragmented on the way.
  Bytes inner = Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text(kText))});
  Bytes udp = Udp(40000, 4789, Cat({Vxlan(77), inner}));
  EXPECT_EQ(Run(Frag4(udp, 0, 64, true, 5, kIpProtoUdp)), DecodeStatus::kHeld);
  ASSERT_EQ(Run(Frag4(udp, 64, udp.size() - 64, false, 5, kIpProtoUdp)), DecodeStatus::kOk);
  EXPECT_TRUE(meta_.reassembled_fragment);
  EXPECT_EQ(meta_.encapsulation_depth, 1);
  EXPECT_EQ(meta_.tunnel_flags, kTunnelVxlan);
  EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
  EXPECT_EQ(AsStringView(meta_.payload), kText);
}

TEST_F(FragmentTest, BuffersArePooled) {
  Bytes seg = Segment();
  for (int round = 0; round < 100; ++round) {
    uint16_t id = static_cast<uint16_t>(round);
    EXPECT_EQ(Run(Frag4(seg, 0, 32, true, id)), DecodeStatus::kHeld);
    ASSERT_EQ(Run(Frag4(seg, 32, 72, false, id)), DecodeStatus::kOk);
    ExpectReassembledV4();
  }
  EXPECT_EQ(decoder_->fragments_reassembled(), 100u);
}

}  // namespace
}  // namespace bw::decode::testing
