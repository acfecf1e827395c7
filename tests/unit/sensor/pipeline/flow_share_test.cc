#include "sensor/pipeline/flow_share.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "sensor/decode/decoder.h"
#include "tests/unit/sensor/decode/frame_builder.h"

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

Bytes TcpFrame(uint8_t client, uint16_t port, bool good_checksum, const std::string& text) {
  Ipv4Spec ip;
  ip.src = {10, 0, 1, client};
  ip.dst = {52, 216, 0, 10};
  TcpSpec tcp;
  tcp.src_port = port;
  Bytes segment = Tcp(tcp, Text(text));
  if (good_checksum) {
    // The ones' complement sum over the pseudo header and the segment.
    uint32_t sum = 0;
    auto add16 = [&](uint8_t hi, uint8_t lo) { sum += static_cast<uint32_t>(hi << 8 | lo); };
    for (size_t i = 0; i < 4; i += 2) {
      add16(ip.src[i], ip.src[i + 1]);
      add16(ip.dst[i], ip.dst[i + 1]);
    }
    sum += kIpProtoTcp + static_cast<uint32_t>(segment.size());
    for (size_t i = 0; i < segment.size(); i += 2) {
      add16(segment[i], i + 1 < segment.size() ? segment[i + 1] : 0);
    }
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    const auto check = static_cast<uint16_t>(~sum);
    segment[16] = static_cast<uint8_t>(check >> 8);
    segment[17] = static_cast<uint8_t>(check);
  } else {
    segment[16] = 0x12;  // neither right nor an offload's placeholder
    segment[17] = 0x34;
  }
  return Cat({Eth(0x0800), Ipv4(ip, segment)});
}

// Frames of every outcome: good and bad checksums on many flows, UDP, undecodable frames, and a
// TCP segment in two IPv4 fragments.
std::vector<Bytes> MixedFrames() {
  std::vector<Bytes> frames;
  for (uint8_t client = 1; client <= 40; ++client) {
    for (uint16_t port : {40001, 40002, 40003}) {
      frames.push_back(TcpFrame(client, port, true, "GET /bucket/ HTTP/1.1\r\n\r\n"));
      if (client % 7 == 0) frames.push_back(TcpFrame(client, port, false, "GET /fake/ HTTP/1.1"));
    }
    Ipv4Spec udp_ip;
    udp_ip.src = {10, 0, 2, client};
    udp_ip.proto = kIpProtoUdp;
    frames.push_back(Cat({Eth(0x0800), Ipv4(udp_ip, Udp(5353, 5353, Text("mdns")))}));
    if (client % 5 == 0) frames.push_back(Cat({Eth(0x0800), Bytes{0x45, 0x00}}));  // truncated
  }
  Bytes segment = TcpFrame(99, 41000, true, std::string(200, 'x'));
  Bytes l4(segment.begin() + 14 + 20, segment.end());
  for (auto [begin, length, more] : {std::tuple{0u, 96u, true}, std::tuple{96u, 0u, false}}) {
    Ipv4Spec ip;
    ip.src = {10, 0, 1, 99};
    ip.dst = {52, 216, 0, 10};
    ip.id = 77;
    ip.more_fragments = more;
    ip.offset_bytes = static_cast<uint16_t>(begin);
    size_t n = more ? length : l4.size() - begin;
    frames.push_back(
        Cat({Eth(0x0800), Ipv4(ip, Bytes(l4.begin() + begin, l4.begin() + begin + n))}));
  }
  return frames;
}

uint64_t Total(const DropCounters& d, DropReason r) { return d.Get(r); }

// The file fanout's promise: decoders that each read every frame and keep their share (FlowShare)
// together decode exactly what one decoder decodes, each kept packet by exactly one of them (the
// one WorkerOf names), and every drop counted once over their counters.
TEST(FlowShare, FanoutDecodersTogetherDecodeWhatOneDecoderDoes) {
  DecoderLimits limits;
  limits.tcp_checksum = TcpChecksumMode::kVerify;
  DropCounters single_drops;
  Decoder single(limits, single_drops);
  constexpr size_t kLanes = 3;
  std::vector<FlowShare> shares;
  for (size_t i = 0; i < kLanes; ++i) shares.emplace_back(i, kLanes);
  DropCounters own[kLanes];
  DropCounters discarded;
  std::vector<std::unique_ptr<Decoder>> lanes;
  for (size_t i = 0; i < kLanes; ++i) {
    lanes.push_back(
        std::make_unique<Decoder>(limits, own[i], i == 0 ? own[0] : discarded, shares[i]));
  }
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
    uint64_t sum = 0;
    for (const DropCounters& d : own) sum += Total(d, reason);
    EXPECT_EQ(sum, Total(single_drops, reason)) << DropReasonName(reason);
    drops += sum;
  }
  EXPECT_GT(Total(single_drops, DropReason::kTcpBadChecksum), 0u);
  EXPECT_GT(Total(single_drops, DropReason::kTruncatedIpv4), 0u);
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
