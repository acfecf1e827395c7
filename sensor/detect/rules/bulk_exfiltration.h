#pragma once
// bulk_exfiltration (DESIGN.md "Detection rules"): one client read at least min_objects
// objects or min_bytes bytes from one bucket within the window, with any auth. One rule for
// both sources: plaintext object reads, and TLS flows to a bucket's server name, whose
// request/response turns count as objects. Dedup per client, provider, account and bucket.

#include <optional>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "sensor/config/detection_config.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/candidate.h"

namespace bw::detect::rules {

// Reads the engine just added to the activity's window.
struct Reads {
  std::string_view client;  // the client's address as text
  TimestampNs ts = 0;
  uint64_t objects = 0;  // object reads, or TLS turns
  uint64_t bytes = 0;    // object bytes served, or TLS application-data bytes to the client
  bool tls = false;      // counted from an encrypted flow (turns as objects)
};

std::optional<Candidate> BulkExfiltration(const Activity& activity, const Reads& reads,
                                          const config::DetectionConfig::BulkExfiltration& config);
// The alert's summary, for a candidate of the same arguments that passed dedup.
std::string BulkExfiltrationSummary(const Activity& activity, const Reads& reads,
                                    const config::DetectionConfig::BulkExfiltration& config);

}  // namespace bw::detect::rules
