#pragma once
// The normalised 5-tuple: both directions of a connection map to one key (lower endpoint
// first), and its hash is symmetric, so one flow always lands on one worker.

#include <cstdint>
#include <functional>

#include "sensor/decode/ip_address.h"
#include "sensor/decode/packet_meta.h"

namespace bw::flow {

struct Endpoint {
  decode::IpAddress addr;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

struct FlowKey {
  Endpoint lo;  // the smaller endpoint
  Endpoint hi;
  uint8_t proto = 0;

  bool operator==(const FlowKey&) const = default;

  // Builds the key of a decoded packet; `src_is_lo` tells which side sent it.
  static FlowKey FromPacket(const decode::PacketMeta& p, bool& src_is_lo) {
    Endpoint s{p.src, p.src_port};
    Endpoint d{p.dst, p.dst_port};
    FlowKey k;
    k.proto = p.ip_proto;
    src_is_lo = !(d < s);
    k.lo = src_is_lo ? s : d;
    k.hi = src_is_lo ? d : s;
    return k;
  }

  // Symmetric by construction (the key is already ordered); well mixed for open addressing.
  uint64_t Hash() const {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ proto;
    auto mix = [&h](uint64_t v) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
      h *= 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    };
    auto mix_addr = [&mix](const decode::IpAddress& a) {
      uint64_t w0 = 0, w1 = 0;
      for (int i = 0; i < 8; ++i) w0 = (w0 << 8) | a.bytes[i];
      for (int i = 8; i < 16; ++i) w1 = (w1 << 8) | a.bytes[i];
      mix(w0 ^ a.family);
      mix(w1);
    };
    mix_addr(lo.addr);
    mix_addr(hi.addr);
    mix((uint64_t{lo.port} << 16) | hi.port);
    return h;
  }
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const { return static_cast<size_t>(k.Hash()); }
};

}  // namespace bw::flow
