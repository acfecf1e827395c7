#pragma once
// The normalised 5-tuple: both directions of a connection map to one key (lower endpoint
// first), and its hash is symmetric, so one flow always lands on one worker.

#include <cstdint>
#include <cstring>
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

  // Member-wise, with the address bytes compared as two words each (the defaulted operator
  // calls memcmp per array, which shows in the profile of the per-packet lookup).
  bool operator==(const FlowKey& o) const {
    return proto == o.proto && lo.port == o.lo.port && hi.port == o.hi.port &&
           SameAddress(lo.addr, o.lo.addr) && SameAddress(hi.addr, o.hi.addr);
  }

  // Builds the key of a decoded packet; `src_is_lo` tells which side sent it.
  static FlowKey FromPacket(const decode::PacketMeta& p, bool& src_is_lo) {
    Endpoint s{p.src, p.src_port};
    Endpoint d{p.dst, p.dst_port};
    FlowKey k;
    k.proto = p.ip_proto;
    src_is_lo = !Less(d, s);
    k.lo = src_is_lo ? s : d;
    k.hi = src_is_lo ? d : s;
    return k;
  }

  // The order of Endpoint's defaulted <=> (family, address bytes, port), computed on big-endian
  // words instead of a memcmp call per packet.
  static bool Less(const Endpoint& a, const Endpoint& b) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word order assumes little-endian");
    if (a.addr.family != b.addr.family) return a.addr.family < b.addr.family;
    for (size_t at = 0; at < 16; at += 8) {
      uint64_t x, y;
      std::memcpy(&x, a.addr.bytes.data() + at, 8);
      std::memcpy(&y, b.addr.bytes.data() + at, 8);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
    }
    return a.port < b.port;
  }

  static bool SameAddress(const decode::IpAddress& a, const decode::IpAddress& b) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return a.family == b.family && ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }

  // Symmetric by construction (the key is already ordered); well mixed for open addressing: each
  // 64-bit word gets its own odd multiplier, then a full avalanche (MurmurHash3's finaliser).
  // Loads whole words rather than bytes; the value depends on byte order, which is fine for a
  // hash that never leaves the process.
  uint64_t Hash() const {
    auto word = [](const decode::IpAddress& a, size_t at) {
      uint64_t w;
      std::memcpy(&w, a.bytes.data() + at, sizeof(w));
      return w;
    };
    uint64_t h =
        (word(lo.addr, 0) * 0x9E3779B97F4A7C15ull) ^ (word(lo.addr, 8) * 0xC2B2AE3D27D4EB4Full) ^
        (word(hi.addr, 0) * 0x165667B19E3779F9ull) ^ (word(hi.addr, 8) * 0xD6E8FEB86659FD93ull) ^
        (((uint64_t{lo.port} << 32) | (uint64_t{hi.port} << 16) | (uint64_t{lo.addr.family} << 8) |
          proto) *
         0xFF51AFD7ED558CCDull);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
  }
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const { return static_cast<size_t>(k.Hash()); }
};

}  // namespace bw::flow
