// libFuzzer entry for the layer 2..4 decoder. The first byte picks the link type and the wire
// length slack (a snaplen cut); the rest is split into up to four frames fed to one decoder with
// a tiny fragment table, so fragment reassembly, eviction and timeouts are exercised too. Any
// crash, sanitizer report or broken counting contract aborts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sensor/decode/decoder.h"

namespace {

constexpr bw::decode::LinkType kLinks[] = {
    bw::decode::LinkType::kNull,       bw::decode::LinkType::kEthernet,
    bw::decode::LinkType::kRaw,        bw::decode::LinkType::kRawAlt,
    bw::decode::LinkType::kLoop,       bw::decode::LinkType::kLinuxSll,
    bw::decode::LinkType::kIpv4,       bw::decode::LinkType::kIpv6,
    bw::decode::LinkType::kLinuxSll2,  bw::decode::LinkType::kPpp,
    bw::decode::LinkType::kPppSerial,  bw::decode::LinkType::kPppEther,
    bw::decode::LinkType::kCiscoHdlc,  bw::decode::LinkType::kIeee80211,
    bw::decode::LinkType::kHdlc,       bw::decode::LinkType::kRadiotap,
    bw::decode::LinkType::kPppWithDir, bw::decode::LinkType::kCiscoHdlcWithDir,
    bw::decode::LinkType::kNflog};

uint64_t TotalDrops(const bw::decode::DropCounters& drops) {
  uint64_t n = 0;
  for (size_t i = 0; i < bw::decode::kDropReasonCount; ++i) {
    n += drops.Get(static_cast<bw::decode::DropReason>(i));
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t control = data[0];
  const auto link = kLinks[control % (sizeof(kLinks) / sizeof(kLinks[0]))];
  const uint32_t slack = (control & 0x80) ? 1500 : 0;
  bw::ByteView input(data + 1, size - 1);

  bw::decode::DecoderLimits limits;
  limits.max_fragment_datagrams = 4;
  limits.max_fragment_bytes = 16 << 10;
  limits.fragment_timeout = 2 * bw::kNsPerSecond;
  bw::decode::DropCounters drops;
  bw::decode::Decoder decoder(limits, drops);

  // Frames are separated by the byte sequence 0xFF 0x00 so the fuzzer can build fragment trains.
  bw::TimestampNs ts = bw::kNsPerSecond;
  size_t start = 0;
  for (int frame = 0; frame < 4 && start <= input.size(); ++frame) {
    size_t end = start;
    while (end + 1 < input.size() && !(input[end] == 0xFF && input[end + 1] == 0x00)) ++end;
    if (end + 1 >= input.size()) end = input.size();
    bw::ByteView bytes = input.subspan(start, end - start);
    const uint64_t before = TotalDrops(drops);
    const uint64_t side = decoder.fragment_datagrams_evicted() +
                          decoder.fragment_datagrams_expired() + decoder.anomalies();
    bw::decode::PacketMeta meta;
    auto status =
        decoder.Decode(link, bytes, static_cast<uint32_t>(bytes.size()) + slack, ts, meta);
    const uint64_t side_delta = decoder.fragment_datagrams_evicted() +
                                decoder.fragment_datagrams_expired() + decoder.anomalies() - side;
    const uint64_t expected = (status == bw::decode::DecodeStatus::kDropped ? 1 : 0) + side_delta;
    if (TotalDrops(drops) - before != expected) std::abort();
    if (status == bw::decode::DecodeStatus::kOk && meta.payload.size() > meta.payload_wire_len) {
      std::abort();
    }
    ts += bw::kNsPerSecond;
    start = end + 2;
  }
  decoder.ExpireFragments(ts + limits.fragment_timeout + 1);
  if (decoder.fragment_datagrams_held() != 0 || decoder.fragment_bytes_held() != 0) std::abort();
  return 0;
}
