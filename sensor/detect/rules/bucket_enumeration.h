#pragma once
// bucket_enumeration (DESIGN.md "Detection rules"): one client addressed at least min_buckets
// distinct bucket names within the window, at least min_failure_ratio of them never answered
// other than not found, denied or not at all. Plaintext requests and TLS server names of
// bucket hosts both count as probes (a TLS answer is not visible: unresolved). Dedup per client.

#include <optional>
#include <string>
#include <string_view>

#include "dissectors/storage/storage_event.h"
#include "sensor/config/detection_config.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/candidate.h"

namespace bw::detect::rules {

// The probe the engine just added to a client's names.
struct Probe {
  std::string_view client;  // the client's address as text
  storage::AuthClass auth_class = storage::AuthClass::kUnknown;
  bool tls = false;  // a TLS server name, not a request
};

std::optional<Candidate> BucketEnumeration(
    const ClientProbes& probes, const Probe& probe,
    const config::DetectionConfig::BucketEnumeration& config);
// The alert's summary, for a candidate of the same arguments that passed dedup.
std::string BucketEnumerationSummary(const ClientProbes& probes, const Probe& probe,
                                     const config::DetectionConfig::BucketEnumeration& config);

}  // namespace bw::detect::rules
