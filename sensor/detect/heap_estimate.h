#pragma once
// What heap allocations cost as glibc malloc spends them, so a byte budget on the engine's
// state tracks the process's real growth. Guarantees: pure arithmetic on sizes and
// capacities, no allocation; an estimate for glibc's ptmalloc on 64-bit Linux (8-byte chunk
// header, 16-byte alignment, 32-byte minimum chunk) and libstdc++'s std::string (15 chars
// inline). Other allocators are only approximated.

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace bw::detect {

// One allocation of `n` bytes: header, 16-byte rounding, 32 minimum.
constexpr size_t Chunk(size_t n) { return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15}); }

// Heap bytes of a std::string beyond the object itself: none while it fits the inline buffer.
inline size_t HeapBytes(const std::string& s) {
  return s.capacity() > 15 ? ((s.capacity() + 1 + 8 + 15) & ~size_t{15}) : 0;
}

// A vector's element buffer (not what the elements hold themselves).
template <typename T>
size_t BufferBytes(const std::vector<T>& v) {
  return v.capacity() ? Chunk(v.capacity() * sizeof(T)) : 0;
}

}  // namespace bw::detect
