#pragma once
// One alert as the SOC receives it: the JSON object of DESIGN.md "Detection rules" that goes to
// --alerts and to every sink. Values are bounded (sample keys, strings) and hold no credential:
// built only from StorageEvents (already redacted) and flow facts. The rule and the severity
// are enums; they become names only in ToJson (and in metrics labels).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/config/severity.h"
#include "sensor/event/observer.h"

namespace bw::detect {

#define BW_RULES(X)                           \
  X(kAnonymousList, "anonymous_list")         \
  X(kAnonymousRead, "anonymous_read")         \
  X(kBucketEnumeration, "bucket_enumeration") \
  X(kBulkExfiltration, "bulk_exfiltration")   \
  X(kNewPublicExposure, "new_public_exposure")

enum class Rule : uint8_t {
#define BW_RULE_ENUM(id, name) id,
  BW_RULES(BW_RULE_ENUM)
#undef BW_RULE_ENUM
};

inline constexpr size_t kRuleCount = 0
#define BW_RULE_COUNT(id, name) +1
    BW_RULES(BW_RULE_COUNT)
#undef BW_RULE_COUNT
    ;

// "anonymous_list", ...: the names of DESIGN.md, for output only.
constexpr const char* RuleName(Rule rule) {
  constexpr std::array<const char*, kRuleCount> kNames = {
#define BW_RULE_NAME(id, name) name,
      BW_RULES(BW_RULE_NAME)
#undef BW_RULE_NAME
  };
  auto i = static_cast<size_t>(rule);
  return i < kNames.size() ? kNames[i] : "unknown";
}

// The config parses severities (it cannot depend on detect), so the table lives there.
using config::Severity;
using config::SeverityFromName;
using config::SeverityName;
inline constexpr size_t kSeverityCount = config::kSeverityCount;

struct AlertCounts {
  uint64_t requests = 0;
  uint64_t objects = 0;           // object reads (GetObject, GetBlob, objects.get, ...)
  uint64_t distinct_keys = 0;     // distinct object keys read
  uint64_t distinct_buckets = 0;  // distinct bucket names probed (bucket_enumeration)
  // Bytes served to the client, the figure thresholds use: object bytes (response body content)
  // of plaintext reads, plus TLS application-data bytes of encrypted flows (tls_wire_bytes),
  // where bodies are not visible.
  uint64_t bytes = 0;
  uint64_t message_bytes = 0;   // the same responses on the wire (HTTP headers and bodies as sent;
                                // TLS application-data bytes)
  uint64_t tls_wire_bytes = 0;  // the part of bytes measured as TLS application data
  uint64_t pages = 0;           // listing pages
  uint64_t listed_keys = 0;     // keys disclosed by listings
  uint64_t denied = 0;
  uint64_t not_found = 0;
  uint64_t suppressed = 0;  // repeats of this dedup key suppressed since the last alert
};

struct Alert {
  Rule rule = Rule::kAnonymousList;
  Severity severity = Severity::kHigh;
  std::string summary;        // one line a human can act on
  TimestampNs timestamp = 0;  // when it fired (packet time)
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
  std::string source_ip;
  std::string destination_ip;
  uint16_t destination_port = 0;
  std::string provider;
  std::string account;
  std::string bucket;
  // The storage endpoint of an activity whose bucket is not visible (path-style over TLS);
  // ToJson writes it as storage.endpoint with storage.bucket_visible: false.
  std::string endpoint;
  std::string auth_class;
  std::vector<std::pair<std::string, uint64_t>> operations;  // operation name -> requests
  bool encrypted = false;
  AlertCounts counts;
  std::vector<std::string> sample_keys;  // at most 20
  std::string user_agent;
  std::string server_name;  // TLS SNI
  std::string community_id;
  std::string dedup_key;
  bool downgraded = false;  // a known crawler's user agent lowered the severity
  // Fleet-wide rules (`bucketwatch correlate`): the sensors (observer.name) whose ledger rows are
  // the evidence, sorted; ToJson writes them as `sensors` when there are any.
  std::vector<std::string> sensors;

  // The alert's JSON object (one line, no trailing newline); invalid UTF-8 replaced. Empty
  // optional strings (account, user agent, SNI, community id) are omitted, as in the ledger.
  // counts has distinct_buckets in bucket_enumeration alerts, distinct_keys in all others.
  // observer.name/hostname when `observer` is given (the sensor that raised it).
  std::string ToJson(const event::Observer* observer = nullptr) const;
};

}  // namespace bw::detect
