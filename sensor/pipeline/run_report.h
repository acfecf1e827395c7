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

// What a run lost, from its end-of-run snapshot. Any of it makes the exit code 1.
struct RunLosses {
  // Ledger lines not written: write errors (full disk, closed stdout, broken pipe).
  uint64_t ledger_lines = 0;
  // Rows of the ClickHouse ledger sink dropped: its disk queue was at its bound or unwritable.
  // (Rows still queued at exit are not lost: the next start sends them.)
  uint64_t clickhouse_rows = 0;
  // Alerts lost: lines the --alerts file could not take, alerts the spool dropped at its bound
  // (undelivered), and alerts held in memory only (the spool's disk was full) still undelivered
  // when the process ends.
  uint64_t alerts = 0;
};
RunLosses Losses(const metrics::SensorSnapshot& s);

// One line per loss, and one for a --read interrupted before its input ended (which signal,
// how many packets were read); "" for a complete run. Printed even with --quiet.
std::string LossText(const metrics::SensorSnapshot& s);

}  // namespace bw::pipeline
