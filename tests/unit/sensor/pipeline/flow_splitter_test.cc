#include "sensor/pipeline/flow_splitter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "sensor/pipeline/flow_share.h"
#include "tests/unit/sensor/pipeline/fanout_frames.h"

namespace bw::pipeline {
namespace {

using namespace bw::decode;
using namespace bw::decode::testing;

// The file fanout as the reader runs it: one lane's splitter judges each frame; the frame goes
// with its hint to the lane named, or without one to every lane. Together the lanes must decode
// exactly what one decoder decodes, each kept frame by the worker WorkerOf names, with every drop
// and every checksum verdict counted once.
TEST(FlowSplitter, LanesFedByTheSplitterDecodeWhatOneDecoderDoes) {
  for (TcpChecksumMode mode :
       {TcpChecksumMode::kVerify, TcpChecksumMode::kAuto, TcpChecksumMode::kIgnore}) {
    SCOPED_TRACE(static_cast<int>(mode));
    DecoderLimits limits;
    limits.tcp_checksum = mode;
    DropCounters single_drops;
    Decoder single(limits, single_drops);
    constexpr size_t kLanes = 2;
    FlowSplitter splitter(kLanes, LinkType::kEthernet, limits);
    FanoutDecoders fanout(kLanes, limits);
    const auto& lanes = fanout.decoders;
    size_t assigned = 0, every = 0, kept = 0;
    for (const Bytes& frame : MixedFrames()) {
      ByteView view(frame.data(), frame.size());
      const auto wire = static_cast<uint32_t>(frame.size());
      PacketMeta expect;
      DecodeStatus want = single.Decode(LinkType::kEthernet, view, wire, kNsPerSecond, expect);
      capture::RecordSplitter::Verdict v = splitter.LaneOf(view, wire);
      (v.lane == capture::RecordSplitter::kEveryLane ? every : assigned)++;
      size_t owners = 0;
      for (size_t i = 0; i < kLanes; ++i) {
        FrameHint hint;
        if (v.lane != capture::RecordSplitter::kEveryLane) {
          if (v.lane != i) continue;  // the reader never shows it to this lane
          hint = FrameHint::FromByte(v.hint);
          EXPECT_TRUE(hint.owned);
        }
        PacketMeta got;
        DecodeStatus st =
            lanes[i]->Decode(LinkType::kEthernet, view, wire, kNsPerSecond, got, hint);
        if (st == DecodeStatus::kOk) {
          ++owners;
          EXPECT_EQ(want, DecodeStatus::kOk);
          EXPECT_EQ(WorkerOf(got, kLanes), i);
          EXPECT_EQ(got.src_port, expect.src_port);
          EXPECT_EQ(got.payload.size(), expect.payload.size());
        }
      }
      if (want == DecodeStatus::kOk) {
        EXPECT_EQ(owners, 1u);
        if (v.lane != capture::RecordSplitter::kEveryLane) {
          EXPECT_EQ(v.lane, WorkerOf(expect, kLanes));
        }
        ++kept;
      }
    }
    EXPECT_GT(assigned, 150u);  // most frames skip the other lane
    EXPECT_EQ(every, 10u);      // the 8 undecodable frames and the 2 fragments
    EXPECT_GT(kept, 150u);
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      auto reason = static_cast<DropReason>(r);
      EXPECT_EQ(fanout.Drops(reason), single_drops.Get(reason)) << DropReasonName(reason);
    }
    if (mode == TcpChecksumMode::kVerify) {
      EXPECT_GT(single_drops.Get(DropReason::kTcpBadChecksum), 0u);
    }
    EXPECT_GT(single_drops.Get(DropReason::kTruncatedTcp) +
                  single_drops.Get(DropReason::kIpv4BadTotalLength),
              0u);  // the lying frames, counted once
    uint64_t good = 0, rejected = 0, unfilled = 0;
    for (const auto& lane : lanes) {
      good += lane->tcp_checksum().good();
      rejected += lane->tcp_checksum().rejected();
      unfilled += lane->tcp_checksum().unfilled();
    }
    EXPECT_EQ(good, single.tcp_checksum().good());
    EXPECT_EQ(rejected, single.tcp_checksum().rejected());
    EXPECT_EQ(unfilled, single.tcp_checksum().unfilled());
  }
}

// Issue 16: the short path took UDP tunnel packets for plain UDP and sharded them by the outer
// ports, which differ per direction (each VTEP hashes its own) and per packet (GWLB): the two
// halves of one inner connection reached different workers.
TEST(FlowSplitter, UdpTunnelsAreShardedByTheInnerFlow) {
  DecoderLimits limits;
  DropCounters drops;
  Decoder single(limits, drops);
  constexpr size_t kLanes = 4;
  FlowSplitter splitter(kLanes, LinkType::kEthernet, limits);
  std::vector<size_t> lanes;
  for (uint16_t dport : {uint16_t{4789}, uint16_t{6081}, uint16_t{2152}}) {
    for (uint16_t sport = 30000; sport < 30016; ++sport) {
      Bytes inner = Ipv4Tcp({}, {}, Text("GET / HTTP/1.1\r\n"));
      Bytes tunnel;
      if (dport == 4789) {
        tunnel = Cat({Vxlan(7), Eth(0x0800), inner});
      } else if (dport == 6081) {
        tunnel = Cat({Bytes{0, 0, 0x08, 0x00, 0, 0, 1, 0}, inner});
      } else {
        tunnel = Cat({Bytes{0x30, 0xFF, 0, static_cast<uint8_t>(inner.size()), 0, 0, 0, 1}, inner});
      }
      Ipv4Spec outer;
      outer.proto = kIpProtoUdp;
      outer.src = {192, 0, 2, static_cast<uint8_t>(sport & 0xFF)};
      Bytes frame = Cat({Eth(0x0800), Ipv4(outer, Udp(sport, dport, tunnel))});
      ByteView view(frame.data(), frame.size());
      const auto wire = static_cast<uint32_t>(frame.size());
      PacketMeta meta;
      ASSERT_EQ(single.Decode(LinkType::kEthernet, view, wire, kNsPerSecond, meta),
                DecodeStatus::kOk);
      ASSERT_EQ(meta.encapsulation_depth, 1) << dport;
      capture::RecordSplitter::Verdict v = splitter.LaneOf(view, wire);
      EXPECT_EQ(v.lane, WorkerOf(meta, kLanes)) << dport << " " << sport;
      lanes.push_back(v.lane);
    }
  }
  // One inner flow, one lane, whatever the outer header said.
  EXPECT_EQ(std::count(lanes.begin(), lanes.end(), lanes.front()),
            static_cast<std::ptrdiff_t>(lanes.size()));
}

}  // namespace
}  // namespace bw::pipeline
