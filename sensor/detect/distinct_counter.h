#pragma once
// Counts distinct strings (object keys) with a bound on memory. Guarantees:
//  - Exact while at most `cap` values are remembered here and the caller's shared budget
//    (`used` < `budget`, summed over every counter) lasts; beyond that each value not among
//    those remembered counts as new, so Count() is exact up to the cap and an upper bound
//    after it. No HyperLogLog: at these caps 8 bytes a value is affordable and exact.
//  - Values are remembered as 64-bit hashes: a collision undercounts by one, at odds of
//    n^2 / 2^65.
//  - Remembered() is what the counter holds against the shared budget; the owner gives it back
//    when the counter is dropped.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_set>

#include "sensor/detect/heap_estimate.h"

namespace bw::detect {

class DistinctCounter {
 public:
  void Add(std::string_view value, size_t cap, uint64_t& used, uint64_t budget) {
    AddHash(std::hash<std::string_view>{}(value), cap, used, budget);
  }
  // The same for a value known by its hash (a restored counter). The hash is libstdc++'s of the
  // value, stable across runs of the same library.
  void AddHash(uint64_t h, size_t cap, uint64_t& used, uint64_t budget) {
    if (seen_.count(h)) return;
    if (seen_.size() < cap && used < budget) {
      seen_.insert(h);
      ++used;
    } else {
      ++overflow_;
    }
  }
  // Values counted beyond the cap (a restored counter carries them over).
  void AddOverflow(uint64_t n) { overflow_ += n; }
  uint64_t Count() const { return seen_.size() + overflow_; }
  uint64_t overflow() const { return overflow_; }
  const std::unordered_set<uint64_t>& hashes() const { return seen_; }
  size_t Remembered() const { return seen_.size(); }
  // A node per remembered hash plus the bucket array.
  size_t HeapBytes() const {
    return seen_.size() * Chunk(2 * sizeof(void*)) + seen_.bucket_count() * sizeof(void*);
  }

 private:
  std::unordered_set<uint64_t> seen_;
  uint64_t overflow_ = 0;
};

}  // namespace bw::detect
