#include "sensor/detect/rules/anonymous_read.h"

#include "sensor/detect/alert_text.h"

namespace bw::detect::rules {

using storage::AuthClass;
using storage::OperationKind;
using storage::Outcome;

std::optional<Candidate> AnonymousRead(const Activity& a, const RequestFacts& request,
                                       const config::DetectionConfig::AnonymousRead& config) {
  const storage::StorageEvent& ev = request.event;
  if (!config.enabled || ev.auth_class != AuthClass::kAnonymous ||
      ev.kind != OperationKind::kRead || ev.outcome != Outcome::kSuccess || request.public_bucket) {
    return std::nullopt;
  }
  Candidate c;
  c.rule = Rule::kAnonymousRead;
  c.severity = config.severity;
  c.dedup_key = RuleKey(c.rule, "", a.provider, a.account, a.bucket);
  c.dedup_window = config.dedup_window;
  c.auth_class = storage::AuthClassName(AuthClass::kAnonymous);
  return c;
}

std::string AnonymousReadSummary(const Activity& a, const RequestFacts& request,
                                 const config::DetectionConfig::AnonymousRead&) {
  const storage::StorageEvent& ev = request.event;
  return "anonymous " + std::string(storage::OperationName(ev.operation)) + " of " +
         BucketUrl(a.provider, a.account, a.bucket) + (ev.key.empty() ? "" : "/" + ev.key) +
         " served to " + std::string(request.client) + " without credentials (" +
         Plural(a.counts.objects, "object", "objects") + ", " + HumanBytes(a.counts.bytes) + ")";
}

}  // namespace bw::detect::rules
