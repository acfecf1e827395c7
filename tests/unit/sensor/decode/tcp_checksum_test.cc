// TCP checksum verification: the verdicts (against an independent big-endian implementation),
// the three policies, and the decoder dropping what a receiver would discard.

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

TEST(TcpChecksumPolicy, AutoDropsBadAcceptsUnfilledWhileSampling) {
  TcpChecksumPolicy p(TcpChecksumMode::kAuto);
  EXPECT_TRUE(p.Accept(TcpChecksumVerdict::kGood));
  EXPECT_FALSE(p.Accept(TcpChecksumVerdict::kBad));
  EXPECT_TRUE(p.Accept(TcpChecksumVerdict::kUnfilled));
  EXPECT_TRUE(p.verifying());
  EXPECT_EQ(p.rejected(), 1u);
  EXPECT_EQ(p.unfilled_accepted(), 1u);
}

TEST(TcpChecksumPolicy, AutoTurnsOffOnAnOffloadedCapture) {
  // A loopback capture: every segment unfilled, with a few genuinely wrong ones among them.
  TcpChecksumPolicy p(TcpChecksumMode::kAuto);
  uint32_t n = 0;
  while (p.verifying()) {
    ASSERT_LT(n, TcpChecksumPolicy::kAutoSample);
    const bool bad = n % 10 == 3 && n < TcpChecksumPolicy::kAutoOffThreshold;
    EXPECT_EQ(p.Accept(bad ? TcpChecksumVerdict::kBad : TcpChecksumVerdict::kUnfilled), !bad);
    ++n;
  }
  EXPECT_EQ(n, TcpChecksumPolicy::kAutoOffThreshold + 1);
  EXPECT_TRUE(p.auto_disabled());
  EXPECT_TRUE(p.Accept(TcpChecksumVerdict::kBad));  // no longer judged
}

TEST(TcpChecksumPolicy, AutoBecomesStrictOnACleanCapture) {
  TcpChecksumPolicy p(TcpChecksumMode::kAuto);
  // Up to the threshold of suspicious segments inside the sample keeps verification on.
  for (uint32_t i = 0; i < TcpChecksumPolicy::kAutoOffThreshold; ++i) {
    p.Accept(TcpChecksumVerdict::kUnfilled);
  }
  for (uint32_t i = TcpChecksumPolicy::kAutoOffThreshold; i < TcpChecksumPolicy::kAutoSample; ++i) {
    EXPECT_TRUE(p.Accept(TcpChecksumVerdict::kGood));
  }
  EXPECT_TRUE(p.verifying());
  EXPECT_FALSE(p.auto_disabled());
  // A tap whose checksums are right: an unfilled value now is a forged segment.
  EXPECT_FALSE(p.Accept(TcpChecksumVerdict::kUnfilled));
  EXPECT_FALSE(p.Accept(TcpChecksumVerdict::kBad));
  EXPECT_TRUE(p.Accept(TcpChecksumVerdict::kGood));
}

class TcpChecksumDecodeTest : public DecoderTest {
 protected:
  Bytes Frame(int kind, const Bytes& payload = Text("GET /bucket-b/ HTTP/1.1\r\n\r\n")) {
    return Cat({Eth(0x0800), Ipv4({}, Segment(kSrc4, kDst4, payload, kind))});
  }
};

TEST_F(TcpChecksumDecodeTest, BadChecksumIsDroppedGoodAndUnfilledPass) {
  ASSERT_EQ(Run(Frame(0)), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "GET /bucket-b/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Run(Frame(1)), DecodeStatus::kOk);
  EXPECT_EQ(Run(Frame(2)), DecodeStatus::kOk);
  ExpectDrop(Frame(3), DropReason::kTcpBadChecksum);
  EXPECT_EQ(decoder_->tcp_checksum().good(), 1u);
  EXPECT_EQ(decoder_->tcp_checksum().unfilled_accepted(), 2u);
  EXPECT_EQ(decoder_->tcp_checksum().rejected(), 1u);
}

TEST_F(TcpChecksumDecodeTest, SnaplenCutSegmentIsNotJudged) {
  Bytes frame = Frame(3);
  Bytes cut(frame.begin(), frame.end() - 4);
  ASSERT_EQ(Run(cut, LinkType::kEthernet, static_cast<uint32_t>(frame.size())), DecodeStatus::kOk);
  EXPECT_EQ(decoder_->tcp_checksum().unverifiable(), 1u);
}

TEST_F(TcpChecksumDecodeTest, Ipv6AndTunnelledSegmentsAreVerified) {
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
  EXPECT_EQ(Run(Frame(0)), DecodeStatus::kOk);
}

}  // namespace
}  // namespace bw::decode::testing
