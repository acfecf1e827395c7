#pragma once
// anonymous_list (DESIGN.md "Detection rules"): a list operation without credentials succeeds,
// on a bucket not on the public_buckets allowlist. Fires on the first page; dedup per client,
// provider, account and bucket.

#include <optional>
#include <string>

#include "sensor/config/detection_config.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/candidate.h"

namespace bw::detect::rules {

std::optional<Candidate> AnonymousList(const Activity& activity, const RequestFacts& request,
                                       const config::DetectionConfig::AnonymousList& config);
// The alert's summary, for a candidate of the same arguments that passed dedup.
std::string AnonymousListSummary(const Activity& activity, const RequestFacts& request,
                                 const config::DetectionConfig::AnonymousList& config);

}  // namespace bw::detect::rules
