#pragma once
// Fleet-wide detection over the central ledger (`bucketwatch correlate`, issue 20): the sensor's
// own DetectionEngine, with only the rules that add up over many requests (bucket_enumeration,
// bulk_exfiltration), fed the ledger rows of every sensor in event-time order, its alerts sent
// through the sensor's AlertDispatcher and spool. Guarantees:
//  - the same thresholds, windows and dedup as a sensor with the same `detection` section: the
//    engine is the sensor's, its clock is the rows' time (ledger @timestamp, request end as the
//    output stage feeds it), advanced to the end of each time slice read;
//  - rows are read page by page (ledger_query.h) and a page is fed only once it was read whole:
//    a query that fails or is stopped leaves detection as it was, so reading again cannot count
//    a row twice;
//  - after every page fed: its alerts are named with the sensors that saw their evidence, spooled
//    (fsync'd) and written to the alerts file, then the cursor, the dedup windows and the open
//    windows are saved together in the state file. A crash between the two re-reads that page
//    after the restart, and its alerts may be sent twice (at least once, as the sensor's spool);
//    nothing is skipped;
//  - memory: one page of rows (page_rows) plus the engine's own bounds.
// One thread: not thread-safe.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/config/detection_config.h"
#include "sensor/correlate/ledger_row_reader.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/detection_engine.h"
#include "sensor/event/observer.h"
#include "sensor/output/line_writer.h"
#include "sensor/output/sinks/alert_dispatcher.h"
#include "sensor/state/learned_state.h"
#include "sensor/state/state_file.h"

namespace bw::correlate {

// `detection` with only the fleet rules on. anonymous_list and anonymous_read fire on one
// request, so every sensor already raised them for what it saw; the correlator would only repeat
// them under another observer.
config::DetectionConfig FleetRules(const config::DetectionConfig& detection);

struct CorrelatorOptions {
  std::string table;                       // "db.ledger"
  uint64_t page_rows = 10000;              // rows per query, at most
  TimestampNs slice = 600 * kNsPerSecond;  // event time per query, at most
  uint64_t max_sensors = 32;               // sensor names per alert
  event::Observer observer;                // the correlator's identity in its alerts
};

// Where the correlator reads and writes; alerts and state may be null (not configured).
struct CorrelatorTargets {
  clickhouse::Client* client = nullptr;
  output::AlertDispatcher* dispatcher = nullptr;
  output::LineWriter* alerts = nullptr;
  state::StateFile* state = nullptr;
};

struct CorrelatorCounters {
  uint64_t rows = 0;          // fed to detection
  uint64_t rows_skipped = 0;  // malformed rows (ledger_row_reader.h), logged and passed over
  uint64_t pages = 0;
  uint64_t alerts = 0;
  uint64_t alerts_unattributed = 0;  // the sensors query failed: sent without `sensors`
  uint64_t state_saves = 0;
  uint64_t state_save_errors = 0;
};

class Correlator final : private detect::AlertSink {
 public:
  Correlator(const CorrelatorOptions& options, const config::DetectionConfig& detection,
             CorrelatorTargets targets);
  ~Correlator() override;
  Correlator(const Correlator&) = delete;
  Correlator& operator=(const Correlator&) = delete;

  // Before Run: the cursor, dedup and open windows of an earlier run.
  void Restore(const state::ParseResult& saved);
  // Where reading starts when no state gave a cursor: rows at or after `ts`.
  void StartAt(TimestampNs ts);
  const state::LedgerCursor& cursor() const { return cursor_; }

  // Reads and feeds every row before `before` (exclusive) after the cursor, page by page; the
  // detection clock ends at `before`. False with `error` when a query failed (what was fed
  // before it stays fed and saved). Returns true early when `stop` is set (between pages, or
  // within one, which is then dropped unfed).
  [[nodiscard]] bool Run(TimestampNs before, const std::atomic<bool>& stop, std::string& error);

  const CorrelatorCounters& counters() const { return counters_; }
  detect::DetectionStats DetectionStats() const { return engine_.Stats(); }

 private:
  // The first row's time in [from, before), or `before` when there is none.
  [[nodiscard]] bool NextRow(TimestampNs from, TimestampNs before, TimestampNs& next,
                             std::string& error);
  void OnAlert(const detect::Alert& alert) override;
  void Publish();
  void Attribute(detect::Alert& alert);
  void SaveState();

  CorrelatorOptions options_;
  config::DetectionConfig detection_;
  CorrelatorTargets targets_;
  detect::DetectionEngine engine_;
  state::LedgerCursor cursor_;
  TimestampNs clock_ = 0;  // the engine's time: the latest row or slice end fed
  std::vector<LedgerRow> page_;
  std::vector<detect::Alert> pending_;  // raised by the page being fed
  CorrelatorCounters counters_;
  bool state_error_logged_ = false;
};

}  // namespace bw::correlate
