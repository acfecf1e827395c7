#pragma once
// Lower-case hex of bytes, as digests, MACs and the state file write them.

#include <string>
#include <string_view>

namespace bw {

// Appends two lower-case hex digits per byte of `bytes` to `out`.
inline void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.reserve(out.size() + 2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
}

}  // namespace bw
