#include "sensor/output/metrics/storage_request_counters.h"

#include "sensor/output/metrics/operation_table.h"

namespace bw::metrics {
namespace {

void Add(std::atomic<uint64_t>& c, uint64_t n) {
  // fetch_add, not load+store: Count() runs once per storage request (not per packet), so the
  // locked add costs nothing measurable and one instance may safely be shared by all workers.
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace

StorageRequestCounters::StorageRequestCounters()
    : operations_(OperationCount()),
      requests_(new std::atomic<uint64_t>[kProviderCount * OperationCount() * kAuthClassCount *
                                          kOutcomeCount]) {
  size_t n = kProviderCount * operations_ * kAuthClassCount * kOutcomeCount;
  for (size_t i = 0; i < n; ++i) requests_[i].store(0, std::memory_order_relaxed);
}

size_t StorageRequestCounters::Slot(size_t provider, size_t operation, size_t auth,
                                    size_t outcome) {
  return ((provider * OperationCount() + operation) * kAuthClassCount + auth) * kOutcomeCount +
         outcome;
}

void StorageRequestCounters::Count(const storage::StorageEvent& event) {
  auto provider = static_cast<size_t>(event.provider);
  auto auth = static_cast<size_t>(event.auth_class);
  auto outcome = static_cast<size_t>(event.outcome);
  // Enum values come from our own recognisers, but a bad cast must not write out of bounds.
  if (provider >= kProviderCount || auth >= kAuthClassCount || outcome >= kOutcomeCount) return;
  Add(requests_[Slot(provider, OperationIndex(event.operation), auth, outcome)], 1);
  if (event.auth_class == storage::AuthClass::kAnonymous &&
      event.outcome == storage::Outcome::kSuccess) {
    Add(anonymous_bytes_[provider], event.response_bytes);
  }
}

uint64_t StorageRequestCounters::Requests(size_t provider, size_t operation, size_t auth,
                                          size_t outcome) const {
  if (provider >= kProviderCount || operation >= operations_ || auth >= kAuthClassCount ||
      outcome >= kOutcomeCount) {
    return 0;
  }
  return requests_[Slot(provider, operation, auth, outcome)].load(std::memory_order_relaxed);
}

uint64_t StorageRequestCounters::AnonymousBytesServed(size_t provider) const {
  return provider < kProviderCount ? anonymous_bytes_[provider].load(std::memory_order_relaxed) : 0;
}

}  // namespace bw::metrics
