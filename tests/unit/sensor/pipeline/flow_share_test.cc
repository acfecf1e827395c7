#include "sensor/pipeline/flow_share.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "sensor/decode/decoder.h"
#include "tests/unit/sensor/pipeline/fanout_frames.h"

namespace bw::pipeline {
namespace {

using namespace bw::decode;
using namespace bw::decode::testing;

// A worker's flow table places a flow by the low bits of the same hash. If the worker were chosen
// by the low bits too (hash % 2), worker 0 would only ever see even hashes and use every other
// bucket: this failed before the worker was taken from the high half.
TEST(FlowShare, WorkerChoiceIsIndependentOfTheBucketBits) {
  std::mt19937_64 rng(42);
  for (size_t workers : {2u, 3u, 4u, 8u}) {
    std::vector<size_t> per_worker(workers);
    size_t worker0 = 0, worker0_even = 0;
    for (int i = 0; i < 100000; ++i) {
      uint64_t h = rng();
      size_t w = WorkerOfHash(h, workers);
      ASSERT_LT(w, workers);
      ++per_worker[w];
      if (w == 0) {
        ++worker0;
        worker0_even += (h & 1) == 0;
      }
    }
    for (size_t n : per_worker) {
      EXPECT_NEAR(static_cast<double>(n) / 100000, 1.0 / static_cast<double>(workers), 0.01);
    }
    EXPECT_NEAR(static_cast<double>(worker0_even) / static_cast<double>(worker0), 0.5, 0.02);
  }
}

// The file fanout's promise: decoders that each read every frame and keep their share (FlowShare)
// together decode exactly what one decoder decodes, each kept packet by exactly one of them (the
// one WorkerOf names), and every drop counted once over their counters.
TEST(FlowShare, FanoutDecodersTogetherDecodeWhatOneDecoderDoes) {
  DecoderLimits limits;
  limits.tcp_checksum = TcpChecksumMode::kVerify;
  DropCounters single_drops;
  Decoder single(limits, single_drops);
  constexpr size_t kLanes = 3;
  FanoutDecoders fanout(kLanes, limits);
  const auto& lanes = fanout.decoders;
  size_t kept = 0;
  std::vector<size_t> kept_by(kLanes);
  for (const Bytes& frame : MixedFrames()) {
    ByteView view(frame.data(), frame.size());
    PacketMeta expect;
    DecodeStatus want = single.Decode(LinkType::kEthernet, view,
                                      static_cast<uint32_t>(frame.size()), kNsPerSecond, expect);
    size_t owners = 0;
    for (size_t i = 0; i < kLanes; ++i) {
      PacketMeta got;
      DecodeStatus st = lanes[i]->Decode(LinkType::kEthernet, view,
                                         static_cast<uint32_t>(frame.size()), kNsPerSecond, got);
      if (want == DecodeStatus::kOk && st == DecodeStatus::kOk) {
        ++owners;
        ++kept_by[i];
        EXPECT_EQ(WorkerOf(got, kLanes), i);
        EXPECT_EQ(got.src_port, expect.src_port);
        EXPECT_EQ(got.payload.size(), expect.payload.size());
      } else if (want == DecodeStatus::kOk) {
        EXPECT_EQ(st, DecodeStatus::kNotOwned);
      } else if (want == DecodeStatus::kHeld) {
        EXPECT_EQ(st, DecodeStatus::kHeld);  // every lane reassembles fragments
      } else {
        // A bad checksum is the owner's drop; the others never look at the checksum.
        EXPECT_TRUE(st == DecodeStatus::kDropped || st == DecodeStatus::kNotOwned);
      }
    }
    if (want == DecodeStatus::kOk) {
      EXPECT_EQ(owners, 1u);
      ++kept;
    }
  }
  EXPECT_GT(kept, 100u);
  for (size_t n : kept_by) EXPECT_GT(n, 10u);  // each lane got a share
  uint64_t drops = 0;
  for (size_t r = 0; r < kDropReasonCount; ++r) {
    auto reason = static_cast<DropReason>(r);
    const uint64_t sum = fanout.Drops(reason);
    EXPECT_EQ(sum, single_drops.Get(reason)) << DropReasonName(reason);
    drops += sum;
  }
  EXPECT_GT(single_drops.Get(DropReason::kTcpBadChecksum), 0u);
  EXPECT_GT(single_drops.Get(DropReason::kTruncatedIpv4), 0u);
  EXPECT_GT(drops, 0u);
  uint64_t good = 0, rejected = 0;
  for (const auto& lane : lanes) {
    good += lane->tcp_checksum().good();
    rejected += lane->tcp_checksum().rejected();
  }
  EXPECT_EQ(good, single.tcp_checksum().good());
  EXPECT_EQ(rejected, single.tcp_checksum().rejected());
  EXPECT_EQ(lanes[0]->fragments_reassembled(), 1u);
  EXPECT_EQ(single.fragments_reassembled(), 1u);
}

}  // namespace
}  // namespace bw::pipeline
