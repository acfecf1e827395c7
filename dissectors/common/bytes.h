#pragma once
// Bounds-checked reads over untrusted bytes. Every load takes the span and an offset and
// reports failure instead of reading past the end; nothing here casts packed structs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bw {

using ByteView = std::span<const uint8_t>;

inline std::string_view AsStringView(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline ByteView AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// True when [offset, offset + length) lies inside a buffer of `size` bytes, without overflow.
constexpr bool InBounds(size_t size, size_t offset, size_t length) {
  return offset <= size && length <= size - offset;
}

inline bool LoadU8(ByteView b, size_t off, uint8_t& out) {
  if (!InBounds(b.size(), off, 1)) return false;
  out = b[off];
  return true;
}
inline bool LoadBe16(ByteView b, size_t off, uint16_t& out) {
  if (!InBounds(b.size(), off, 2)) return false;
  out = static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
  return true;
}
inline bool LoadBe24(ByteView b, size_t off, uint32_t& out) {
  if (!InBounds(b.size(), off, 3)) return false;
  out = (uint32_t{b[off]} << 16) | (uint32_t{b[off + 1]} << 8) | b[off + 2];
  return true;
}
inline bool LoadBe32(ByteView b, size_t off, uint32_t& out) {
  if (!InBounds(b.size(), off, 4)) return false;
  out = (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
        b[off + 3];
  return true;
}
inline bool LoadLe32(ByteView b, size_t off, uint32_t& out) {
  if (!InBounds(b.size(), off, 4)) return false;
  out = (uint32_t{b[off + 3]} << 24) | (uint32_t{b[off + 2]} << 16) | (uint32_t{b[off + 1]} << 8) |
        b[off];
  return true;
}

// Unchecked big-endian loads for callers that verified the length once for a whole header.
inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace bw
