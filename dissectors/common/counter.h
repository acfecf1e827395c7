#pragma once
// Counters written by exactly one thread (the worker that owns them) and read by others (the
// metrics and summary threads). A relaxed load + store is enough for a single writer and is
// cheaper than a locked read-modify-write on the packet path. Counters with several writers
// must use fetch_add instead.

#include <atomic>
#include <cstdint>

namespace bw {

inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace bw
