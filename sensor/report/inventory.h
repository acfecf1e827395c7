#pragma once
// The exposure inventory (`bucketwatch report --inventory`): one row per provider/account/bucket
// that answered at least one anonymous request successfully — since when, until when, with which
// operations, to how many clients, how many distinct objects and object bytes it served, and which
// sensors saw it.
//
// Guarantees:
//  - InventoryRow is plain numbers and short lists: distinct counts are counts, never the sets
//    behind them, so a row can be filled as well from SQL aggregates (ClickHouse: min/max of the
//    timestamp, countIf, uniqExact, groupUniqArray) as from a local ledger by InventoryBuilder.
//    The formatters (inventory_format.h) only ever see rows.
//  - InventoryBuilder holds bounded memory whatever the ledger holds: at most max_buckets rows,
//    per row at most max_operations operation names, max_sensors sensor names, and distinct
//    clients and objects remembered as 64-bit hashes up to a cap per row and max_distinct_total
//    over all rows. Past a cap a count stops growing and its row says it is a lower bound
//    (`*_lower_bound`); requests for buckets past max_buckets are counted, never silently
//    dropped. Worst case at the defaults: about 100k rows of ~1 KiB plus 2M hashes of ~40 B,
//    under 200 MiB; a ledger with a few hundred exposed buckets needs a few MiB.
//  - A bucket is listed only once an anonymous request to it succeeded (storage.outcome
//    "success", storage.auth.class "anonymous"); requests naming neither an account nor a bucket
//    (ListBuckets of a whole service) belong to no bucket and are only counted.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/report/ledger_entry.h"

namespace bw::report {

struct InventoryRow {
  std::string provider;
  std::string account;            // empty when the provider has none (S3, GCS)
  std::string bucket;             // empty: account-level requests (Azure ListContainers)
  TimestampNs first_success = 0;  // first and last anonymous success
  TimestampNs last_success = 0;
  uint64_t anonymous_successes = 0;            // anonymous requests that succeeded
  std::map<std::string, uint64_t> operations;  // of those, by operation name
  uint64_t operations_other = 0;               // of those, of operations past the cap
  uint64_t clients = 0;                        // distinct client addresses served anonymously
  bool clients_lower_bound = false;            // more clients than were counted
  uint64_t objects = 0;  // distinct object keys whose data was served anonymously
  bool objects_lower_bound = false;
  uint64_t object_reads = 0;         // anonymous object reads (GetObject, GetBlob, media downloads)
  uint64_t object_bytes = 0;         // object bytes those reads served
  std::vector<std::string> sensors;  // observer.name of the sensors that saw its successes, sorted
  bool sensors_truncated = false;    // more sensors than were kept
  uint64_t unattributed = 0;         // anonymous successes from ledger lines without observer.name
};

// "provider/account/bucket", the inventory's sort order (the exposure report's BucketKey).
std::string InventoryKey(const InventoryRow& row);

struct InventoryLimits {
  size_t max_buckets = 100000;
  size_t max_operations = 32;
  size_t max_sensors = 16;
  size_t max_clients_per_bucket = 100000;
  size_t max_objects_per_bucket = 1000000;
  size_t max_distinct_total = 2000000;  // client and object hashes over all rows together
};

// What fed the inventory and what its bounds left out; a SQL source fills what it knows.
struct InventoryCounters {
  uint64_t entries = 0;                // ledger entries given to Add
  uint64_t anonymous_successes = 0;    // of those, anonymous successes
  uint64_t no_bucket = 0;              // anonymous successes naming neither account nor bucket
  uint64_t past_bucket_limit = 0;      // anonymous successes of buckets past max_buckets
  uint64_t distinct_budget_spent = 0;  // hashes not remembered for max_distinct_total
};

// Builds inventory rows from ledger entries (already filtered by the caller).
class InventoryBuilder {
 public:
  explicit InventoryBuilder(InventoryLimits limits) : limits_(limits) {}

  void Add(const LedgerEntry& e);
  // The rows in InventoryKey order.
  std::vector<InventoryRow> Rows() const;

  const InventoryCounters& counters() const { return counters_; }
  const InventoryLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    InventoryRow row;
    std::unordered_set<uint64_t> clients;
    std::unordered_set<uint64_t> objects;
  };
  // Adds `value`'s hash to `set` within the caps; false when it had to be left out.
  bool Remember(std::unordered_set<uint64_t>& set, const std::string& value, size_t cap);

  InventoryLimits limits_;
  std::unordered_map<std::string, Bucket> buckets_;  // by InventoryKey
  size_t distinct_total_ = 0;
  InventoryCounters counters_;
};

}  // namespace bw::report
