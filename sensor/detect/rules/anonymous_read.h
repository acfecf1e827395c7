#pragma once
// anonymous_read (DESIGN.md "Detection rules"): object data of a bucket not on the
// public_buckets allowlist is served without credentials. Dedup per provider, account and
// bucket: one alert per exposed bucket, whichever clients read it.

#include <optional>
#include <string>

#include "sensor/config/detection_config.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/candidate.h"

namespace bw::detect::rules {

std::optional<Candidate> AnonymousRead(const Activity& activity, const RequestFacts& request,
                                       const config::DetectionConfig::AnonymousRead& config);
// The alert's summary, for a candidate of the same arguments that passed dedup.
std::string AnonymousReadSummary(const Activity& activity, const RequestFacts& request,
                                 const config::DetectionConfig::AnonymousRead& config);

}  // namespace bw::detect::rules
