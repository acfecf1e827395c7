// TCP checksum verification: the verdicts (against an independent big-endian implementation),
// the three modes, the per-direction trust of auto mode, and the decoder dropping (verify) or
// marking (auto) what a receiver would discard.

#include "sensor/decode/tcp_checksum.h"

#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

// RFC 1071 over network-order 16-bit words, written independently of the code under test.
uint16_t ReferenceSum(const Bytes& data) {
  uint32_t s = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    uint32_t hi = data[i];
    uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
    s += (hi << 8) | lo;
  }
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}

Bytes Pseudo(const Bytes& src, const Bytes& dst, size_t tcp_len) {
  Bytes p = Cat({src, dst});
  if (src.size() == 4) {
    p.push_back(0);
    p.push_back(kIpProtoTcp);
    PutBe16(p, static_cast<uint16_t>(tcp_len));
  } else {
    PutBe32(p, static_cast<uint32_t>(tcp_len));
    p.insert(p.end(), {0, 0, 0, kIpProtoTcp});
  }
  return p;
}

void SetField(Bytes& tcp, uint16_t v) {
  tcp[16] = static_cast<uint8_t>(v >> 8);
  tcp[17] = static_cast<uint8_t>(v);
}

// A TCP segment whose checksum field is `kind`: 0 good, 1 zero, 2 pseudo-header sum, 3 wrong.
Bytes Segment(const Bytes& src, const Bytes& dst, const Bytes& payload, int kind) {
  Bytes tcp = Tcp({}, payload);
  Bytes pseudo = Pseudo(src, dst, tcp.size());
  switch (kind) {
    case 0:
      SetField(tcp, static_cast<uint16_t>(~ReferenceSum(Cat({pseudo, tcp}))));
      break;
    case 1:
      SetField(tcp, 0);
      break;
    case 2:
      SetField(tcp, ReferenceSum(pseudo));
      break;
    default:
      SetField(tcp, static_cast<uint16_t>(~ReferenceSum(Cat({pseudo, tcp})) ^ 0x0101));
      break;
  }
  return tcp;
}

const Bytes kSrc4 = {10, 0, 0, 1};
const Bytes kDst4 = {10, 0, 0, 2};

IpAddress V4(const Bytes& b) { return IpAddress::V4(b.data()); }

TEST(TcpChecksum, VerdictsIpv4AndIpv6AnyPayloadLength) {
  V6Addr s6 = V6(1), d6 = V6(2);
  Bytes src6(s6.begin(), s6.end()), dst6(d6.begin(), d6.end());
  IpAddress a6 = IpAddress::V6(s6.data()), b6 = IpAddress::V6(d6.data());
  // Lengths around the 16- and 32-byte steps of the vectorised sum, and full segments.
  for (size_t n : {0, 1, 2, 3, 5, 12, 13, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 1460, 1461}) {
    Bytes payload(n);
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<uint8_t>(i * 37 + 11);
    const TcpChecksumVerdict want[] = {TcpChecksumVerdict::kGood, TcpChecksumVerdict::kUnfilled,
                                       TcpChecksumVerdict::kUnfilled, TcpChecksumVerdict::kBad};
    for (int kind = 0; kind < 4; ++kind) {
      Bytes t4 = Segment(kSrc4, kDst4, payload, kind);
      EXPECT_EQ(ClassifyTcpChecksum(V4(kSrc4), V4(kDst4), ByteView(t4.data(), t4.size())),
                want[kind])
          << "v4 len " << n << " kind " << kind;
      Bytes t6 = Segment(src6, dst6, payload, kind);
      EXPECT_EQ(ClassifyTcpChecksum(a6, b6, ByteView(t6.data(), t6.size())), want[kind])
          << "v6 len " << n << " kind " << kind;
    }
  }
}

TEST(TcpChecksum, AnyFlippedBitIsBad) {
  Bytes good = Segment(kSrc4, kDst4, Text("GET /bucket-a/ HTTP/1.1\r\n\r\n"), 0);
  for (size_t i = 0; i < good.size(); ++i) {
    if (i == 16 || i == 17) continue;  // flipping the field itself may land on a pseudo sum
    Bytes t = good;
    t[i] ^= 0x04;
    EXPECT_NE(ClassifyTcpChecksum(V4(kSrc4), V4(kDst4), ByteView(t.data(), t.size())),
              TcpChecksumVerdict::kGood)
        << "byte " << i;
  }
  // The same bytes between other addresses do not check out either.
  const Bytes other = {10, 0, 0, 3};
  EXPECT_NE(ClassifyTcpChecksum(V4(other), V4(kDst4), ByteView(good.data(), good.size())),
            TcpChecksumVerdict::kGood);
}

TEST(TcpChecksumPolicy, VerifyAndIgnore) {
  TcpChecksumPolicy verify(TcpChecksumMode::kVerify);
  EXPECT_TRUE(verify.Accept(TcpChecksumVerdict::kGood));
  EXPECT_FALSE(verify.Accept(TcpChecksumVerdict::kUnfilled));
  EXPECT_FALSE(verify.Accept(TcpChecksumVerdict::kBad));
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(verify.Accept(TcpChecksumVerdict::kBad));
  EXPECT_TRUE(verify.verifying());
  EXPECT_EQ(verify.rejected(), 502u);

  TcpChecksumPolicy ignore(TcpChecksumMode::kIgnore);
  EXPECT_FALSE(ignore.verifying());
  EXPECT_TRUE(ignore.Accept(TcpChecksumVerdict::kBad));
  EXPECT_EQ(ignore.rejected(), 0u);
}

TEST(TcpChecksumPolicy, AutoKeepsEverythingAndCounts) {
  TcpChecksumPolicy p(TcpChecksumMode::kAuto);
  // However many wrong sums come first (the old sample turned strict or off after 1,000), none
  // is dropped here: reassembly decides what a weak segment is worth.
  for (int i = 0; i < 3000; ++i) {
    EXPECT_TRUE(p.Accept(i % 3 == 0   ? TcpChecksumVerdict::kGood
                         : i % 3 == 1 ? TcpChecksumVerdict::kUnfilled
                                      : TcpChecksumVerdict::kBad));
  }
  EXPECT_TRUE(p.verifying());
  EXPECT_EQ(p.good(), 1000u);
  EXPECT_EQ(p.unfilled(), 1000u);
  EXPECT_EQ(p.bad(), 1000u);
  EXPECT_EQ(p.rejected(), 0u);
}

// The capture host's own direction: its SYN leaves with an unfilled sum, so every unfilled sum
// after it is the NIC's to fill, and strong.
TEST(TcpChecksumTrust, UnfilledSynMakesTheDirectionOffloading) {
  TcpChecksumTrust t;
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, /*syn=*/true));
  EXPECT_TRUE(t.offloading());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
  // A wrong sum stays weak even there: the NIC never leaves anything but the unfilled values.
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kBad, false));
  EXPECT_TRUE(t.offloading());
}

// The peer of a host capture, or any sender on a tap: its sums check out, so an unfilled one
// from it later is a segment the receiver dropped, weak.
TEST(TcpChecksumTrust, GoodSumsMakeTheDirectionStrictForGood) {
  TcpChecksumTrust t;
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kGood, true));
  EXPECT_TRUE(t.strict());
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kUnfilled, true));
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kBad, false));
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kGood, false));
  EXPECT_TRUE(t.strict());
}

// An attacker's unfilled SYN first, then the good one the server answers: the direction is
// strict before any data, so a fake with an unfilled sum stays weak.
TEST(TcpChecksumTrust, AGoodSumEndsOffloading) {
  TcpChecksumTrust t;
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, true));
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kGood, true));
  EXPECT_TRUE(t.strict());
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
}

// flood_gen's zero sums: one segment's 0 verifies by chance. An offloading direction stays so;
// flipping to strict there made every later segment wait for an ACK that never came.
TEST(TcpChecksumTrust, GoodDataKeepsAnOffloadingDirection) {
  TcpChecksumTrust t;
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, true));
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kGood, false));
  EXPECT_TRUE(t.offloading());
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kBad, false));
}

// Picked up mid-stream: the first unfilled segment is weak, the second proves the offloading host.
TEST(TcpChecksumTrust, MidStreamNeedsTwoUnfilledSegments) {
  static_assert(TcpChecksumTrust::kOffloadEvidence == 2);
  TcpChecksumTrust t;
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kBad, false));  // a wrong sum proves nothing
  EXPECT_FALSE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
  EXPECT_FALSE(t.offloading());
  EXPECT_TRUE(t.Strong(TcpChecksumVerdict::kUnfilled, false));
  EXPECT_TRUE(t.offloading());
}

class TcpChecksumDecodeTest : public DecoderTest {
 protected:
  Bytes Frame(int kind, const Bytes& payload = Text("GET /bucket-b/ HTTP/1.1\r\n\r\n")) {
    return Cat({Eth(0x0800), Ipv4({}, Segment(kSrc4, kDst4, payload, kind))});
  }
};

TEST_F(TcpChecksumDecodeTest, AutoModeMarksEachSegmentWithItsVerdict) {
  ASSERT_EQ(Run(Frame(0)), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "GET /bucket-b/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(meta_.tcp_checksum, TcpChecksumVerdict::kGood);
  ASSERT_EQ(Run(Frame(1)), DecodeStatus::kOk);
  EXPECT_EQ(meta_.tcp_checksum, TcpChecksumVerdict::kUnfilled);
  ASSERT_EQ(Run(Frame(2)), DecodeStatus::kOk);
  EXPECT_EQ(meta_.tcp_checksum, TcpChecksumVerdict::kUnfilled);
  ASSERT_EQ(Run(Frame(3)), DecodeStatus::kOk);
  EXPECT_EQ(meta_.tcp_checksum, TcpChecksumVerdict::kBad);
  EXPECT_EQ(Count(DropReason::kTcpBadChecksum), 0u);
  EXPECT_EQ(decoder_->tcp_checksum().good(), 1u);
  EXPECT_EQ(decoder_->tcp_checksum().unfilled(), 2u);
  EXPECT_EQ(decoder_->tcp_checksum().bad(), 1u);
  EXPECT_EQ(decoder_->tcp_checksum().rejected(), 0u);
}

TEST_F(TcpChecksumDecodeTest, SnaplenCutSegmentIsNotJudged) {
  Bytes frame = Frame(3);
  Bytes cut(frame.begin(), frame.end() - 4);
  ASSERT_EQ(Run(cut, LinkType::kEthernet, static_cast<uint32_t>(frame.size())), DecodeStatus::kOk);
  EXPECT_EQ(decoder_->tcp_checksum().unverifiable(), 1u);
  EXPECT_EQ(meta_.tcp_checksum, TcpChecksumVerdict::kGood);  // nothing to hold against it
}

TEST_F(TcpChecksumDecodeTest, Ipv6AndTunnelledSegmentsAreVerified) {
  DecoderLimits limits;
  limits.tcp_checksum = TcpChecksumMode::kVerify;
  Reset(limits);
  V6Addr s6 = V6(1), d6 = V6(2);
  Bytes src6(s6.begin(), s6.end()), dst6(d6.begin(), d6.end());
  Ipv6Spec v6;
  ASSERT_EQ(Run(Cat({Eth(0x86DD), Ipv6(v6, Segment(src6, dst6, Text("abc"), 0))})),
            DecodeStatus::kOk);
  ExpectDrop(Cat({Eth(0x86DD), Ipv6(v6, Segment(src6, dst6, Text("abc"), 3))}),
             DropReason::kTcpBadChecksum);
  // The inner segment of a VXLAN packet: its own checksum decides.
  Ipv4Spec outer;
  outer.src = {192, 168, 0, 1};
  outer.dst = {192, 168, 0, 2};
  outer.proto = kIpProtoUdp;
  Bytes inner_bad = Frame(3);
  ExpectDrop(Cat({Eth(0x0800), Ipv4(outer, Udp(1, 4789, Cat({Vxlan(7), inner_bad})))}),
             DropReason::kTcpBadChecksum);
  Bytes inner_good = Frame(0);
  EXPECT_EQ(Run(Cat({Eth(0x0800), Ipv4(outer, Udp(1, 4789, Cat({Vxlan(7), inner_good})))})),
            DecodeStatus::kOk);
}

TEST_F(TcpChecksumDecodeTest, IgnoreModeKeepsEverything) {
  DecoderLimits limits;
  limits.tcp_checksum = TcpChecksumMode::kIgnore;
  Reset(limits);
  EXPECT_EQ(Run(Frame(3)), DecodeStatus::kOk);
  EXPECT_EQ(Count(DropReason::kTcpBadChecksum), 0u);
}

TEST_F(TcpChecksumDecodeTest, VerifyModeDropsUnfilled) {
  DecoderLimits limits;
  limits.tcp_checksum = TcpChecksumMode::kVerify;
  Reset(limits);
  ExpectDrop(Frame(1), DropReason::kTcpBadChecksum);
  ExpectDrop(Frame(2), DropReason::kTcpBadChecksum);
  ExpectDrop(Frame(3), DropReason::kTcpBadChecksum);
  EXPECT_EQ(Run(Frame(0)), DecodeStatus::kOk);
  EXPECT_EQ(decoder_->tcp_checksum().rejected(), 3u);
}

}  // namespace
}  // namespace bw::decode::testing
