#pragma once
// The translation from SensorSnapshot to Prometheus metric families, and the /healthz verdict.
// Guarantees: every family has the `bucketwatch_` prefix, counters end in `_total`, values are
// in base units (bytes, seconds), and every label value comes from a fixed table or the config
// (never from traffic). Pure functions: the same snapshot always gives the same text.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sensor/output/metrics/sensor_snapshot.h"

namespace bw::metrics {

std::vector<prometheus::MetricFamily> ToMetricFamilies(const SensorSnapshot& s);
// Prometheus text exposition format 0.0.4 of ToMetricFamilies(s).
std::string RenderText(const SensorSnapshot& s);

// Asks a callback for a fresh snapshot at every Collect(), so a prometheus::Registry or our own
// server always serves current values without the sensor pushing anything.
class SnapshotCollectable : public prometheus::Collectable {
 public:
  explicit SnapshotCollectable(std::function<SensorSnapshot()> source)
      : source_(std::move(source)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return ToMetricFamilies(source_());
  }

 private:
  std::function<SensorSnapshot()> source_;
};

struct HealthVerdict {
  bool healthy = false;
  std::string reason;  // "ok", or why not, one line
};
// Healthy while the capture runs and has shown a packet or a loop heartbeat within `stall_ns`
// of `now_steady_ns`, and after an input file ended normally. Unhealthy while starting, after a
// capture error, when stalled, and while alerts cannot be persisted (the spool's last write
// failed, or alerts are held in memory only): a crash then loses them.
HealthVerdict EvaluateHealth(const CaptureSnapshot& c, const SpoolSnapshot& spool,
                             int64_t now_steady_ns, int64_t stall_ns);

}  // namespace bw::metrics
