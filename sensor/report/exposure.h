#pragma once
// Streams ledger entries into a per-bucket account of anonymous exposure, in
// bounded memory: every per-bucket table has a fixed cap (what falls past it is
// counted, never dropped silently), the timeline re-bins to a coarser width
// instead of growing, and the per-object table spills to disk (ObjectStore). A
// bucket is "exposed" when at least one anonymous request to it succeeded.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/report/ledger_entry.h"
#include "sensor/report/object_store.h"

namespace bw::report {

// Every table is capped per bucket and, where rows are large, across all
// buckets, so the worst case is bounded whatever the ledger holds: about 5000 x
// 12 KB (bucket summaries and timelines) + 100k clients + 3 x 50k rows (~250 B
// each) + objects_in_memory objects (~300 B each) ~= 150 MB; a ledger with a
// handful of exposed buckets needs a few tens of MB.
struct ExposureLimits {
  size_t max_buckets = 5000;
  size_t max_clients_per_bucket = 1000;
  size_t max_clients_total = 100000;
  size_t max_operations_per_bucket = 64;
  size_t max_listing_rows = 1000;
  size_t max_listing_rows_total = 50000;
  size_t max_sample_keys = 200;
  size_t max_sample_keys_total = 50000;
  size_t max_denied_rows = 500;
  size_t max_denied_rows_total = 50000;
  size_t max_access_keys = 100;
  size_t max_timeline_bins = 120;
  size_t objects_in_memory = 100000;
  std::string temp_dir = "/tmp";
};

struct OutcomeCounts {
  uint64_t requests = 0;
  uint64_t success = 0;
  uint64_t denied = 0;
  uint64_t not_found = 0;
  uint64_t error = 0;
  uint64_t no_response = 0;
  void Add(const std::string& outcome);
};

struct ClientStats {
  std::string ip;
  std::string user_agent;
  uint64_t requests = 0;
  uint64_t successes = 0;
  uint64_t listings = 0;
  uint64_t reads = 0;
  uint64_t denied = 0;
  uint64_t bytes = 0;  // response bytes of successful requests
  TimestampNs first = 0;
  TimestampNs last = 0;
};

struct ListingRow {
  TimestampNs ts = 0;
  std::string ip;
  std::string user_agent;
  std::string operation;
  std::string query;
  int64_t keys = 0;
  bool truncated = false;
};

struct DeniedRow {
  TimestampNs ts = 0;
  std::string ip;
  std::string user_agent;
  std::string operation;
  std::string key;
  uint16_t status = 0;
  std::string error_code;
};

struct TimelineBin {
  uint64_t anon_requests = 0;
  uint64_t anon_success = 0;
  uint64_t anon_bytes = 0;
  uint64_t auth_requests = 0;
};

struct AuthenticatedStats {
  OutcomeCounts outcomes;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> by_class;  // signed, presigned, bearer, unknown
  std::set<std::string> access_key_ids;      // at most max_access_keys
  bool access_keys_truncated = false;
  TimestampNs first = 0;
  TimestampNs last = 0;
};

struct BucketReport {
  std::string id;  // BucketKey()
  std::string provider;
  std::string account;
  std::string bucket;  // empty: account-level requests (ListBuckets, service properties)

  OutcomeCounts anonymous;
  TimestampNs exposure_first = 0;  // first and last anonymous success
  TimestampNs exposure_last = 0;
  std::map<std::string, OutcomeCounts> anon_operations;
  uint64_t operations_overflow = 0;  // requests of operations past the cap

  std::unordered_map<std::string, ClientStats> clients;  // anonymous clients, "<ip>\t<ua>"
  ClientStats other_clients;                             // aggregate of clients past the cap
  uint64_t clients_overflow = 0;

  uint64_t listing_pages = 0;
  uint64_t listed_keys = 0;
  uint64_t truncated_pages = 0;
  std::vector<ListingRow> listings;
  uint64_t listings_overflow = 0;
  std::set<std::string> sample_keys;
  bool sample_keys_truncated = false;

  uint64_t object_reads = 0;  // anonymous successful object reads (requests)
  uint64_t object_read_bytes = 0;
  uint64_t range_reads = 0;

  std::vector<DeniedRow> denied_rows;
  uint64_t denied_overflow = 0;

  AuthenticatedStats authenticated;

  TimestampNs bin_width = 0;                // ns per timeline bin
  std::map<int64_t, TimelineBin> timeline;  // bin index (ts / bin_width) -> counts

  bool exposed() const { return anonymous.success > 0; }
  // Clients sorted by requests (descending), then address.
  std::vector<const ClientStats*> SortedClients() const;
};

// "provider/account/bucket" (account or bucket empty when absent); the report's
// sort order.
std::string BucketKey(const std::string& provider, const std::string& account,
                      const std::string& bucket);

struct ExposureCounters {
  uint64_t entries = 0;
  uint64_t filtered_time = 0;
  uint64_t filtered_bucket = 0;
  uint64_t buckets_overflow = 0;  // entries for buckets past max_buckets
};

class ExposureAggregator {
 public:
  explicit ExposureAggregator(ExposureLimits limits);

  // Adds one entry (already filtered by the caller). False with error() when
  // the object table cannot spill.
  [[nodiscard]] bool Add(const LedgerEntry& e);
  // Ends input and prepares the object stream.
  [[nodiscard]] bool Finish();

  const std::string& error() const { return error_; }
  const ExposureCounters& counters() const { return counters_; }
  const ExposureLimits& limits() const { return limits_; }
  // Buckets in BucketKey order.
  const std::map<std::string, BucketReport>& buckets() const { return buckets_; }
  ObjectStore& objects() { return objects_; }

 private:
  void AddTimeline(BucketReport& b, const LedgerEntry& e);
  void AddClient(BucketReport& b, const LedgerEntry& e);

  ExposureLimits limits_;
  std::map<std::string, BucketReport> buckets_;
  size_t clients_total_ = 0;
  size_t listing_rows_total_ = 0;
  size_t sample_keys_total_ = 0;
  size_t denied_rows_total_ = 0;
  ObjectStore objects_;
  ExposureCounters counters_;
  std::string error_;
};

}  // namespace bw::report
