#include "sensor/detect/rules/new_public_exposure.h"

#include "sensor/detect/alert_text.h"

namespace bw::detect::rules {

using storage::AuthClass;
using storage::Outcome;

std::optional<Candidate> NewPublicExposure(
    const Activity& a, const RequestFacts& request, const Exposure& exposure,
    const config::DetectionConfig::NewPublicExposure& config) {
  const storage::StorageEvent& ev = request.event;
  if (!config.enabled || ev.auth_class != AuthClass::kAnonymous ||
      ev.outcome != Outcome::kSuccess || request.public_bucket || !exposure.first ||
      exposure.learning) {
    return std::nullopt;
  }
  Candidate c;
  c.rule = Rule::kNewPublicExposure;
  c.severity = config.severity;
  c.dedup_key = RuleKey(c.rule, "", a.provider, a.account, a.bucket);
  c.dedup_window = config.dedup_window;
  c.auth_class = storage::AuthClassName(AuthClass::kAnonymous);
  return c;
}

std::string NewPublicExposureSummary(const Activity& a, const RequestFacts& request,
                                     const Exposure&,
                                     const config::DetectionConfig::NewPublicExposure&) {
  const storage::StorageEvent& ev = request.event;
  return BucketUrl(a.provider, a.account, a.bucket) +
         " answered an anonymous request for the first time seen: " +
         std::string(storage::OperationName(ev.operation)) +
         (ev.key.empty() ? "" : " of " + ev.key) + " to " + std::string(request.client);
}

}  // namespace bw::detect::rules
