#pragma once
// An IPv4 or IPv6 address held by value (IPv4 in the first four bytes), comparable and hashable,
// so flow keys and detection keys never point into packet memory.

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace bw::decode {

struct IpAddress {
  uint8_t family = 0;  // 4, 6, or 0 when unset
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(const uint8_t* p) {
    IpAddress a;
    a.family = 4;
    for (int i = 0; i < 4; ++i) a.bytes[i] = p[i];
    return a;
  }
  static IpAddress V6(const uint8_t* p) {
    IpAddress a;
    a.family = 6;
    for (int i = 0; i < 16; ++i) a.bytes[i] = p[i];
    return a;
  }
  size_t size() const { return family == 4 ? 4 : 16; }

  // Canonical text: dotted quad or RFC 5952 IPv6.
  std::string ToString() const;
  // The same into `buf` (at least kMaxTextBytes); returns the length, 0 when unset.
  static constexpr size_t kMaxTextBytes = 46;  // INET6_ADDRSTRLEN
  size_t Write(char* buf) const;
  // Parses dotted quad or any IPv6 text form; false on garbage.
  static bool Parse(const std::string& text, IpAddress& out);

  auto operator<=>(const IpAddress&) const = default;
};

}  // namespace bw::decode
