#pragma once
// new_public_exposure (DESIGN.md "Detection rules"): a bucket this sensor never saw serve an
// anonymous request does so successfully for the first time. Whether it is the first time is
// the engine's inventory's to say (known_exposures.h, persisted in the state file); the rule
// decides what that means: an alert, unless the bucket is meant to be public or the inventory
// is still learning. Dedup per provider, account and bucket: once, while the inventory holds
// the bucket.

#include <optional>
#include <string>

#include "sensor/config/detection_config.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/candidate.h"

namespace bw::detect::rules {

// What the inventory said about the request's bucket.
struct Exposure {
  bool first = false;     // the bucket was not in the inventory (it is now)
  bool learning = false;  // inside the learning period: record, do not alert
};

std::optional<Candidate> NewPublicExposure(
    const Activity& activity, const RequestFacts& request, const Exposure& exposure,
    const config::DetectionConfig::NewPublicExposure& config);
// The alert's summary, for a candidate of the same arguments that passed dedup.
std::string NewPublicExposureSummary(const Activity& activity, const RequestFacts& request,
                                     const Exposure& exposure,
                                     const config::DetectionConfig::NewPublicExposure& config);

}  // namespace bw::detect::rules
