#pragma once
// Per-worker counters of storage requests by provider, operation, auth class and outcome, plus
// the response bytes served to anonymous clients. Guarantees: memory is fixed at construction
// (one relaxed atomic per label combination, ~180 KiB); Count() never allocates, never throws
// and folds Operation::kUnknown to "other", so the exported label sets stay bounded however
// many buckets, keys or clients the traffic holds. Count() is safe from several threads at once
// (relaxed fetch_add, once per request, never per packet); reads are relaxed loads.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "dissectors/storage/storage_event.h"

namespace bw::metrics {

inline constexpr size_t kProviderCount = 4;   // storage::Provider
inline constexpr size_t kAuthClassCount = 5;  // storage::AuthClass
inline constexpr size_t kOutcomeCount = 5;    // storage::Outcome

class StorageRequestCounters {
 public:
  StorageRequestCounters();
  StorageRequestCounters(const StorageRequestCounters&) = delete;
  StorageRequestCounters& operator=(const StorageRequestCounters&) = delete;

  // Counts one finished request. Thread-safe.
  void Count(const storage::StorageEvent& event);

  // Relaxed reads, any thread. Indices out of range read as 0.
  uint64_t Requests(size_t provider, size_t operation, size_t auth, size_t outcome) const;
  // Response bytes (headers and body) of anonymous requests that succeeded, per provider.
  uint64_t AnonymousBytesServed(size_t provider) const;

 private:
  static size_t Slot(size_t provider, size_t operation, size_t auth, size_t outcome);

  size_t operations_;
  std::unique_ptr<std::atomic<uint64_t>[]> requests_;
  std::array<std::atomic<uint64_t>, kProviderCount> anonymous_bytes_{};
};

}  // namespace bw::metrics
