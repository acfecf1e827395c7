#include "sensor/detect/rules/bucket_enumeration.h"

#include "sensor/detect/alert_text.h"

namespace bw::detect::rules {

std::optional<Candidate> BucketEnumeration(
    const ClientProbes& p, const Probe& probe,
    const config::DetectionConfig::BucketEnumeration& config) {
  uint64_t distinct = p.names.size();
  uint64_t failed = distinct - p.resolved_names;
  if (!config.enabled || distinct < config.min_buckets ||
      static_cast<double>(failed) < config.min_failure_ratio * static_cast<double>(distinct)) {
    return std::nullopt;
  }
  Candidate c;
  c.rule = Rule::kBucketEnumeration;
  c.severity = config.severity;
  c.dedup_key = PieceKey{RuleName(c.rule), "/", probe.client};
  c.dedup_window = config.dedup_window;
  c.auth_class = storage::AuthClassName(probe.auth_class);
  return c;
}

std::string BucketEnumerationSummary(const ClientProbes& p, const Probe& probe,
                                     const config::DetectionConfig::BucketEnumeration& config) {
  uint64_t distinct = p.names.size();
  uint64_t failed = distinct - p.resolved_names;
  std::string evidence =
      probe.tls ? "TLS server names" : std::to_string(p.counts.requests) + " requests";
  return std::string(probe.client) + " probed " + Plural(distinct, "bucket name", "bucket names") +
         " in " + HumanWindow(config.window) + " (" + std::to_string(failed) +
         " not found, denied or unanswered; " + evidence + ")";
}

}  // namespace bw::detect::rules
