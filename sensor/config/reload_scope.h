#pragma once
// What a SIGHUP may change in a running sensor. Some settings are built into what runs (the
// capture handle and its filter, the worker threads, memory plans, the tables sized at start,
// where outputs and state live, the metrics listener): changing them needs a restart, and a
// reload that changes one is refused whole, naming the keys, so the sensor never reports a
// change it did not apply. The rest (storage, detection, alert sinks and spool bounds, ledger
// rotation and compression, log level) is applied by the reload.

#include <string>
#include <vector>

#include "sensor/config/config.h"

namespace bw::config {

struct ReloadChanges {
  // Key paths whose value differs and that apply only at a restart, in configuration order
  // ("capture.bpf", "workers", ...). Empty: `next` can be applied to the running sensor.
  std::vector<std::string> restart_only;
  // Sections a reload would change ("storage", "detection", "alerting", "ledger", "log"), in
  // configuration order.
  std::vector<std::string> reloadable;
};

// What differs between the `running` configuration and the `next` one a reload read.
ReloadChanges CompareForReload(const Config& running, const Config& next);

}  // namespace bw::config
