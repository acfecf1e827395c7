#include <gtest/gtest.h>

#include <random>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

using RandomTest = DecoderTest;

constexpr LinkType kAllLinks[] = {LinkType::kNull,   LinkType::kEthernet, LinkType::kRaw,
                                  LinkType::kRawAlt, LinkType::kLoop,     LinkType::kLinuxSll,
                                  LinkType::kIpv4,   LinkType::kIpv6,     LinkType::kLinuxSll2};

// Valid frames, so mutations reach deep layers instead of dying at the first check.
std::vector<Bytes> Seeds() {
  Ipv4Spec udp;
  udp.proto = kIpProtoUdp;
  Ipv4Spec gre;
  gre.proto = 47;
  Ipv4Spec frag;
  frag.more_fragments = true;
  Ipv6Spec v6;
  v6.next = 0;
  Bytes inner = Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("GET / HTTP/1.1\r\n\r\n"))});
  return {
      Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("hello"))}),
      Cat({Eth(0x88A8), Vlan(1, 0x8100), Vlan(2, 0x8847), Mpls(3, false), Mpls(4, true),
           Ipv6(v6, Cat({Ipv6Ext(44), Ipv6Frag(kIpProtoTcp, 8, true, 1), Bytes(16, 1)}))}),
      Cat({Eth(0x0800), Ipv4(udp, Udp(1, 4789, Cat({Vxlan(1), inner})))}),
      Cat({Eth(0x0800), Ipv4(gre, Cat({Gre(0x22EB, 0x10), ErspanIII(1, true), inner}))}),
      Cat({Eth(0x0800), Ipv4(gre, Cat({Gre(0x88BE, 0x10), ErspanII(1), inner}))}),
      Cat({Eth(0x0800), Ipv4(frag, Bytes(64, 2))}),
  };
}

// Every outcome must respect the counting contract that DecoderTest::Run checks; a crash or
// a sanitizer report fails the test too.
TEST_F(RandomTest, RandomAndTruncatedInputNeverCrashes) {
  DecoderLimits limits;
  limits.max_fragment_datagrams = 16;  // force evictions along the way
  limits.max_fragment_bytes = 64 << 10;
  Reset(limits);
  std::mt19937 rng(20240611);
  const std::vector<Bytes> seeds = Seeds();
  size_t ok = 0, dropped = 0, held = 0;
  TimestampNs ts = kNsPerSecond;
  for (int iteration = 0; iteration < 6000; ++iteration) {
    Bytes frame;
    if (iteration % 3 == 0) {
      frame.resize(rng() % 200);
      for (uint8_t& b : frame) b = static_cast<uint8_t>(rng());
    } else {
      frame = seeds[rng() % seeds.size()];
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) frame[rng() % frame.size()] = static_cast<uint8_t>(rng());
      frame.resize(rng() % (frame.size() + 1));
    }
    for (LinkType link : kAllLinks) {
      // Sometimes a snaplen cut: the wire was longer than the capture.
      uint32_t wire = static_cast<uint32_t>(frame.size() + (rng() % 2 ? rng() % 100 : 0));
      ts += kNsPerMillisecond * 50;
      switch (Run(frame, link, wire, ts)) {
        case DecodeStatus::kOk:
          ++ok;
          EXPECT_LE(meta_.payload.size(), meta_.payload_wire_len);
          if (!meta_.reassembled_fragment && !meta_.payload.empty()) {
            EXPECT_GE(meta_.payload.data(), frame_.data());
            EXPECT_LE(meta_.payload.data() + meta_.payload.size(), frame_.data() + frame_.size());
          }
          break;
        case DecodeStatus::kDropped:
          ++dropped;
          break;
        case DecodeStatus::kHeld:
          ++held;
          break;
        case DecodeStatus::kNotOwned:
          ADD_FAILURE() << "kNotOwned from a decoder that has no PacketOwnership";
          break;
      }
    }
  }
  decoder_->ExpireFragments(ts + limits.fragment_timeout + 1);
  EXPECT_EQ(decoder_->fragment_datagrams_held(), 0u);
  EXPECT_EQ(decoder_->fragment_bytes_held(), 0u);
  // The mutated seeds must reach every outcome, or the test explores nothing.
  EXPECT_GT(ok, 100u);
  EXPECT_GT(dropped, 100u);
  EXPECT_GT(held, 10u);
}

}  // namespace
}  // namespace bw::decode::testing
