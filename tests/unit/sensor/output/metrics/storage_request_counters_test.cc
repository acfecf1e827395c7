#include "sensor/output/metrics/storage_request_counters.h"

#include <gtest/gtest.h>

#include "sensor/output/metrics/operation_table.h"

namespace bw::metrics {
namespace {

using storage::AuthClass;
using storage::Operation;
using storage::Outcome;
using storage::Provider;

storage::StorageEvent Event(Provider p, storage::Operation op, AuthClass a, Outcome o,
                            uint64_t response_bytes = 0) {
  storage::StorageEvent e;
  e.provider = p;
  e.operation = op;
  e.auth_class = a;
  e.outcome = o;
  e.response_bytes = response_bytes;
  e.bucket = "some-bucket";
  return e;
}

size_t P(Provider p) { return static_cast<size_t>(p); }
size_t A(AuthClass a) { return static_cast<size_t>(a); }
size_t O(Outcome o) { return static_cast<size_t>(o); }

TEST(StorageRequestCounters, CountsByProviderOperationAuthOutcome) {
  StorageRequestCounters c;
  c.Count(
      Event(Provider::kS3, Operation::kGetObject, AuthClass::kAnonymous, Outcome::kSuccess, 100));
  c.Count(
      Event(Provider::kS3, Operation::kGetObject, AuthClass::kAnonymous, Outcome::kSuccess, 50));
  c.Count(Event(Provider::kS3, Operation::kGetObject, AuthClass::kSigned, Outcome::kSuccess, 7));
  c.Count(Event(Provider::kAzureBlob, Operation::kListBlobs, AuthClass::kAnonymous,
                Outcome::kDenied, 300));
  size_t get = OperationIndex(Operation::kGetObject);
  size_t list = OperationIndex(Operation::kListBlobs);
  EXPECT_EQ(c.Requests(P(Provider::kS3), get, A(AuthClass::kAnonymous), O(Outcome::kSuccess)), 2u);
  EXPECT_EQ(c.Requests(P(Provider::kS3), get, A(AuthClass::kSigned), O(Outcome::kSuccess)), 1u);
  EXPECT_EQ(c.Requests(P(Provider::kGcs), get, A(AuthClass::kSigned), O(Outcome::kSuccess)), 0u);
  EXPECT_EQ(
      c.Requests(P(Provider::kAzureBlob), list, A(AuthClass::kAnonymous), O(Outcome::kDenied)), 1u);
  // Only successful anonymous responses count as data served anonymously.
  EXPECT_EQ(c.AnonymousBytesServed(P(Provider::kS3)), 150u);
  EXPECT_EQ(c.AnonymousBytesServed(P(Provider::kAzureBlob)), 0u);
}

TEST(StorageRequestCounters, UnknownOperationsShareOneSlot) {
  StorageRequestCounters c;
  // kUnknown, and values no recogniser produces (a bad cast must not index out of bounds).
  for (int i = 0; i < 1000; ++i) {
    auto op = i == 0 ? Operation::kUnknown : static_cast<Operation>(storage::kOperationCount + i);
    c.Count(Event(Provider::kS3Compatible, op, AuthClass::kUnknown, Outcome::kError));
  }
  EXPECT_EQ(c.Requests(P(Provider::kS3Compatible), kOtherOperationIndex, A(AuthClass::kUnknown),
                       O(Outcome::kError)),
            1000u);
}

TEST(StorageRequestCounters, OutOfRangeReadsAndBadEnumsAreHarmless) {
  StorageRequestCounters c;
  EXPECT_EQ(c.Requests(kProviderCount, 0, 0, 0), 0u);
  EXPECT_EQ(c.Requests(0, OperationCount(), 0, 0), 0u);
  EXPECT_EQ(c.Requests(0, 0, kAuthClassCount, 0), 0u);
  EXPECT_EQ(c.Requests(0, 0, 0, kOutcomeCount), 0u);
  EXPECT_EQ(c.AnonymousBytesServed(kProviderCount), 0u);
  auto e = Event(Provider::kS3, Operation::kGetObject, AuthClass::kAnonymous, Outcome::kSuccess, 5);
  e.provider = static_cast<Provider>(200);
  c.Count(e);  // ignored, no write out of bounds (ASan would notice)
  uint64_t total = 0;
  for (size_t p = 0; p < kProviderCount; ++p) total += c.AnonymousBytesServed(p);
  EXPECT_EQ(total, 0u);
}

}  // namespace
}  // namespace bw::metrics
