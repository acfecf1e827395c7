#pragma once
// The end-of-run report: the --stats-json document and the summary printed to stderr, rendered
// from the same SensorSnapshot that /metrics renders while the sensor runs.
//
// Guarantees:
//  - Pure functions of the snapshot: no clock, no I/O, no live sensor state. A snapshot taken
//    once the pipeline stopped (SensorSnapshot::stopped) gives a complete report; one taken
//    earlier renders its "end of run" fields as zero.
//  - StatsJson keeps every key, its order and its meaning from release to release: tests and
//    operators' scripts read it. New keys are added, none are renamed.
//  - SummaryText keeps its lines and their format: people and scripts read them.
//  - Both print the same derived totals (storage requests, other HTTP requests), computed in one
//    place.

#include <string>

#include "sensor/output/metrics/sensor_snapshot.h"

namespace bw::pipeline {

// The --stats-json document: a JSON object, indented by 2, without a trailing newline.
std::string StatsJson(const metrics::SensorSnapshot& s);

// The run summary: a few lines, each ending in a newline; the kernel line only for a live
// capture.
std::string SummaryText(const metrics::SensorSnapshot& s);

}  // namespace bw::pipeline
