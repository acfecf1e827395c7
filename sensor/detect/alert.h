#pragma once
// One alert as the SOC receives it: the JSON object of DESIGN.md "Detection rules" that goes to
// --alerts and to every sink. Values are bounded (sample keys, strings) and hold no credential:
// built only from StorageEvents (already redacted) and flow facts.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dissectors/common/timestamp.h"

namespace bw::detect {

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
const char* SeverityName(Severity s);  // "info", "low", "medium", "high", "critical"
// Inverse of SeverityName; false (out untouched) for any other name.
bool SeverityFromName(std::string_view name, Severity& out);

struct AlertCounts {
  uint64_t requests = 0;
  uint64_t objects = 0;        // object reads (GetObject, GetBlob, objects.get, ...)
  uint64_t distinct_keys = 0;  // distinct object keys read
  uint64_t bytes = 0;          // bytes served to the client
  uint64_t pages = 0;          // listing pages
  uint64_t listed_keys = 0;    // keys disclosed by listings
  uint64_t denied = 0;
  uint64_t not_found = 0;
  uint64_t suppressed = 0;  // repeats of this dedup key suppressed since the last alert
};

struct Alert {
  std::string rule;  // anonymous_list, anonymous_read, bucket_enumeration, bulk_exfiltration
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

  // The alert's JSON object (one line, no trailing newline); invalid UTF-8 replaced. Empty
  // optional strings (account, user agent, SNI, community id) are omitted, as in the ledger.
  std::string ToJson() const;
};

}  // namespace bw::detect
