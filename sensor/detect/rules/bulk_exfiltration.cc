#include "sensor/detect/rules/bulk_exfiltration.h"

#include "sensor/detect/alert_text.h"

namespace bw::detect::rules {

std::optional<Candidate> BulkExfiltration(const Activity& a, const Reads& reads,
                                          const config::DetectionConfig::BulkExfiltration& config) {
  // A plaintext read of 0 bytes still counts as an object; a TLS summary without new turns or
  // bytes adds nothing to judge.
  if (!config.enabled || (reads.objects == 0 && reads.bytes == 0)) return std::nullopt;
  WindowTotals in_window = a.reads.Sum(reads.ts, SlidingWindow::SlotLength(config.window));
  if (in_window.count < config.min_objects && in_window.bytes < config.min_bytes) {
    return std::nullopt;
  }
  Candidate c;
  c.rule = Rule::kBulkExfiltration;
  c.severity = config.severity;
  c.dedup_key = RuleKey(c.rule, reads.client, a.provider, a.account, a.bucket, a.endpoint);
  c.dedup_window = config.dedup_window;
  return c;
}

std::string BulkExfiltrationSummary(const Activity& a, const Reads& reads,
                                    const config::DetectionConfig::BulkExfiltration& config) {
  WindowTotals in_window = a.reads.Sum(reads.ts, SlidingWindow::SlotLength(config.window));
  return std::string(reads.client) + " read " + Plural(in_window.count, "object", "objects") +
         " (" + HumanBytes(in_window.bytes) + (reads.tls ? " on the wire" : "") + ") from " +
         SourceText(a.provider, a.account, a.bucket, a.endpoint) + " within " +
         HumanWindow(config.window) +
         (reads.tls ? " over TLS (" + a.server_name +
                          "; objects counted as request/response turns, bytes as TLS application "
                          "data)"
                    : " (" + AuthClassesName(a.auth_classes) + ")");
}

}  // namespace bw::detect::rules
