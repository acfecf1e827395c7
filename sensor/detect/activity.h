#pragma once
// The state the engine keeps per activity and per probing client, which the rules read.
// Guarantees: every string held was bounded on the way in (bounded_text.h), operation names
// are capped at kMaxOperations and samples at the caller's cap, and OwnBytes is the heap an
// entry holds beyond its map node, so the engine's byte budget covers all of it.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/decode/ip_address.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/distinct_counter.h"
#include "sensor/detect/piece_key.h"
#include "sensor/detect/sliding_window.h"

namespace bw::detect {

// Distinct operation names kept per activity or client (providers define a few dozen).
inline constexpr size_t kMaxOperations = 32;

using OperationCounts = std::vector<std::pair<std::string, uint64_t>>;

// What an activity knows besides its distinct keys and its bulk-read window: plain values, so
// the persisted state (DetectionEngine::ExportWindows) can copy them out and back.
struct ActivityFacts {
  decode::IpAddress client;
  storage::Provider provider = storage::Provider::kS3;
  std::string account;
  std::string bucket;
  std::string endpoint;  // the service name when the bucket is not visible; empty otherwise
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string user_agent;
  std::string server_name;
  uint8_t auth_classes = 0;  // bit per AuthClass seen
  bool encrypted = false;
  AlertCounts counts;  // since first_seen (suppressed is filled per alert)
  OperationCounts operations;
  std::vector<std::string> read_samples;    // keys of objects served
  std::vector<std::string> listed_samples;  // keys disclosed by listings
};

// All requests of one client to one bucket (provider, account, bucket), or, when the bucket is
// not visible (TLS to a provider's service name: path-style requests), to one endpoint.
struct Activity : ActivityFacts {
  DistinctCounter distinct;  // distinct object keys read
  SlidingWindow reads;       // object reads and bytes served, for bulk_exfiltration
  size_t charged = 0;        // heap bytes held (OwnBytes when last recharged)
};

struct ProbedName {
  std::string name;  // "s3://bucket", "az://account/container", ...
  TimestampNs last = 0;
  bool resolved = false;  // some probe was answered other than not found / denied / unanswered
};

// What a probing client's state knows besides its names (see ActivityFacts).
struct ProbeFacts {
  decode::IpAddress client;
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
  AlertCounts counts;  // requests, denied, not_found since first_seen
  OperationCounts operations;
  storage::Provider provider = storage::Provider::kS3;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string user_agent;
  std::string server_name;
  std::string community_id;
  bool encrypted = false;
};

// The bucket names one client addressed, for bucket_enumeration, in probe order.
struct ClientProbes : ProbeFacts {
  // A probed name's list node, index node and bucket, plus its text.
  static size_t NameBytes(const std::string& name);

  std::list<ProbedName> names;
  // Found by the name's text or by its pieces (BucketUrlKey), without building the name.
  std::unordered_map<std::string_view, std::list<ProbedName>::iterator, KeyTextHash, KeyTextEqual>
      index;
  uint64_t resolved_names = 0;
  size_t name_bytes = 0;  // NameBytes of every name held
  size_t charged = 0;     // heap bytes held (OwnBytes when last recharged)

  // `used` is the engine-wide count of remembered names and keys.
  void Add(ProbedName name, uint64_t& used);
  void EraseFront(uint64_t& used);
  void Expire(TimestampNs now, TimestampNs window, uint64_t& used);
};

void CountOperation(OperationCounts& ops, std::string_view name, uint64_t n);
// Adds `key` cut to kMaxSampleBytes unless empty, already there, or `cap` reached; only an
// added sample allocates.
void AddSample(std::vector<std::string>& samples, std::string_view key, size_t cap);

// The heap bytes held beyond the map entry (strings, operation names, distinct hashes,
// samples, window; probed names). Walks samples and operations: at most a few dozen.
size_t OwnBytes(const Activity& a);
size_t OwnBytes(const ClientProbes& c);

}  // namespace bw::detect
