#include "sensor/reassembly/delivered_history.h"

#include <cstring>
#include <random>

namespace bw::reassembly {

namespace {

__extension__ using U128 = unsigned __int128;

// The wyhash constants: odd, with balanced bits, so the derived secrets are too.
constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ULL;
constexpr uint64_t kP3 = 0x589965cc75374cc3ULL;

// Both halves of the 128-bit product folded together, so high input bits reach low output bits.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  const U128 m = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// Unaligned native-order load; both copies are hashed on the same host, so order is irrelevant.
inline uint64_t Load(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

HistoryKey HistoryKey::FromSeed(uint64_t seed) {
  HistoryKey k;
  const uint64_t p[4] = {kP0, kP1, kP2, kP3};
  uint64_t x = seed;
  for (int i = 0; i < 4; ++i) {
    x = Fold(x ^ p[i], p[(i + 1) & 3]);
    k.secret[i] = x | 1;  // never zero
  }
  return k;
}

HistoryKey HistoryKey::Random() {
  std::random_device rd;
  const uint64_t seed = (uint64_t{rd()} << 32) ^ rd();
  return FromSeed(seed);
}

uint32_t HistoryHash(const uint8_t* data, size_t len, const HistoryKey& key) {
  const uint64_t* s = key.secret;
  const uint8_t* p = data;
  size_t n = len;
  uint64_t a = s[0] ^ kP0;
  if (n >= 64) {
    // Four independent lanes: their multiplies overlap in the pipeline.
    uint64_t b = s[1] ^ kP1;
    uint64_t c = s[2] ^ kP2;
    uint64_t d = s[3] ^ kP3;
    do {
      a = Fold(Load(p) ^ s[1], Load(p + 8) ^ a);
      b = Fold(Load(p + 16) ^ s[2], Load(p + 24) ^ b);
      c = Fold(Load(p + 32) ^ s[3], Load(p + 40) ^ c);
      d = Fold(Load(p + 48) ^ s[0], Load(p + 56) ^ d);
      p += 64;
      n -= 64;
    } while (n >= 64);
    a = Fold(a ^ s[1], b ^ s[2]) ^ Fold(c ^ s[3], d ^ s[0]);
  }
  while (n >= 16) {
    a = Fold(Load(p) ^ s[1], Load(p + 8) ^ a);
    p += 16;
    n -= 16;
  }
  uint64_t x = 0;
  uint64_t y = 0;
  if (n > 8) {
    x = Load(p);
    std::memcpy(&y, p + 8, n - 8);
  } else if (n > 0) {
    std::memcpy(&x, p, n);
  }
  a = Fold(x ^ s[1], y ^ a);
  const uint64_t h = Fold(a ^ s[2], uint64_t{len} ^ s[3]);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace bw::reassembly
