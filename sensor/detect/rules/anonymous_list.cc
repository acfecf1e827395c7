#include "sensor/detect/rules/anonymous_list.h"

#include "sensor/detect/alert_text.h"

namespace bw::detect::rules {

using storage::AuthClass;
using storage::OperationKind;
using storage::Outcome;

std::optional<Candidate> AnonymousList(const Activity& a, const RequestFacts& request,
                                       const config::DetectionConfig::AnonymousList& config) {
  const storage::StorageEvent& ev = request.event;
  bool is_list = ev.kind == OperationKind::kList || ev.kind == OperationKind::kListBuckets;
  if (!config.enabled || ev.auth_class != AuthClass::kAnonymous ||
      ev.outcome != Outcome::kSuccess || !is_list || request.public_bucket) {
    return std::nullopt;
  }
  Candidate c;
  c.rule = Rule::kAnonymousList;
  c.severity = config.severity;
  c.dedup_key = RuleKey(c.rule, request.client, a.provider, a.account, a.bucket);
  c.dedup_window = config.dedup_window;
  c.auth_class = storage::AuthClassName(AuthClass::kAnonymous);
  return c;
}

std::string AnonymousListSummary(const Activity& a, const RequestFacts& request,
                                 const config::DetectionConfig::AnonymousList&) {
  const storage::StorageEvent& ev = request.event;
  return "anonymous " + std::string(storage::OperationName(ev.operation)) + " of " +
         BucketUrl(a.provider, a.account, a.bucket) + " from " + std::string(request.client) +
         " succeeded (" + Plural(a.counts.pages, "page", "pages") + ", " +
         Plural(a.counts.listed_keys, "key", "keys") + ")";
}

}  // namespace bw::detect::rules
