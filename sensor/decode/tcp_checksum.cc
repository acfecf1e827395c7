#include "sensor/decode/tcp_checksum.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bw::decode {
namespace {

// Ones' complement sum (RFC 1071) of `n` bytes in native 16-bit word order, unfolded. Summing
// native words yields the byte-swapped sum on little-endian hosts; both the comparison with
// 0xFFFF and the comparison of two sums taken the same way are immune to that.
uint64_t SumNative(const uint8_t* p, size_t n, uint64_t acc) {
  // 16 bytes per step into two accumulators of 32-bit halves: no carries to propagate (a 64-bit
  // sum of 32-bit values cannot overflow for any packet length), and the adds are independent,
  // so a segment sums at several bytes per cycle; this runs over every TCP payload byte.
  uint64_t acc2 = 0;
#if defined(__SSE2__)
  // SSE2 (every x86-64): four 32-bit words per load, widened to 64-bit lanes by interleaving
  // with zero; two loads per step keep two dependency chains going.
  if (n >= 32) {
    const __m128i zero = _mm_setzero_si128();
    __m128i sum_a = zero;
    __m128i sum_b = zero;
    while (n >= 32) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      sum_a = _mm_add_epi64(sum_a, _mm_unpacklo_epi32(a, zero));
      sum_b = _mm_add_epi64(sum_b, _mm_unpackhi_epi32(a, zero));
      sum_a = _mm_add_epi64(sum_a, _mm_unpacklo_epi32(b, zero));
      sum_b = _mm_add_epi64(sum_b, _mm_unpackhi_epi32(b, zero));
      p += 32;
      n -= 32;
    }
    alignas(16) uint64_t lanes[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), sum_a);
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 2), sum_b);
    acc += lanes[0] + lanes[1];
    acc2 += lanes[2] + lanes[3];
  }
#endif
  while (n >= 16) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    acc += (a & 0xFFFFFFFFu) + (a >> 32);
    acc2 += (b & 0xFFFFFFFFu) + (b >> 32);
    p += 16;
    n -= 16;
  }
  acc += acc2;
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint8_t last[2] = {p[0], 0};  // an odd byte is padded with zero on the right
    uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  return acc;
}

uint16_t Fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace

TcpChecksumVerdict ClassifyTcpChecksum(const IpAddress& src, const IpAddress& dst,
                                       ByteView segment) {
  // Pseudo header: addresses, zero, protocol 6, TCP length (32-bit for IPv6, 16-bit for IPv4;
  // both land in the same low-order words of the sum).
  const size_t addr_len = src.size();
  uint8_t tail[4];
  const auto len = static_cast<uint32_t>(segment.size());
  tail[0] = static_cast<uint8_t>(len >> 24);
  tail[1] = static_cast<uint8_t>(len >> 16);
  tail[2] = static_cast<uint8_t>(len >> 8);
  tail[3] = static_cast<uint8_t>(len);
  uint8_t proto[4] = {0, 0, 0, 6};
  uint64_t pseudo = SumNative(src.bytes.data(), addr_len, 0);
  pseudo = SumNative(dst.bytes.data(), addr_len, pseudo);
  pseudo = SumNative(proto, 4, pseudo);
  pseudo = SumNative(tail, 4, pseudo);
  if (Fold(SumNative(segment.data(), segment.size(), pseudo)) == 0xFFFF) {
    return TcpChecksumVerdict::kGood;
  }
  uint16_t field;
  std::memcpy(&field, segment.data() + 16, 2);
  // Linux CHECKSUM_PARTIAL stores the folded pseudo-header sum for the NIC to finish.
  if (field == 0 || field == Fold(pseudo)) return TcpChecksumVerdict::kUnfilled;
  return TcpChecksumVerdict::kBad;
}

bool TcpChecksumPolicy::Accept(TcpChecksumVerdict v) {
  switch (v) {
    case TcpChecksumVerdict::kGood:
      ++good_;
      return true;
    case TcpChecksumVerdict::kUnfilled:
      ++unfilled_;
      break;
    case TcpChecksumVerdict::kBad:
      ++bad_;
      break;
  }
  if (mode_ != TcpChecksumMode::kVerify) return true;
  ++rejected_;
  return false;
}

bool TcpChecksumTrust::Strong(TcpChecksumVerdict v, bool syn) {
  switch (v) {
    case TcpChecksumVerdict::kGood:
      // Past the handshake, a good sum from an offloading sender is a control segment its kernel
      // summed in software, or an unfilled field that verifies by chance (1 in 65,536 for 0 or
      // the pseudo-header sum): neither means the NIC stopped filling in. A good SYN still ends
      // it, so a fake unfilled SYN ahead of the real one does not make the direction lenient.
      if (state_ != State::kOffload || syn) state_ = State::kStrict;
      return true;
    case TcpChecksumVerdict::kUnfilled:
      if (state_ == State::kOffload) return true;
      if (state_ == State::kStrict) return false;
      if (unfilled_ < kOffloadEvidence) ++unfilled_;
      if (!syn && unfilled_ < kOffloadEvidence) return false;
      state_ = State::kOffload;
      return true;
    case TcpChecksumVerdict::kBad:
      break;
  }
  return false;
}

}  // namespace bw::decode
