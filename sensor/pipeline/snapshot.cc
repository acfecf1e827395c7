// Sensor::Snapshot(): the one place the sensor's counters are copied out, for /metrics while it
// runs and for the end-of-run report (run_report.h).

#include "sensor/pipeline/file_lane.h"
#include "sensor/pipeline/sensor.h"

#ifdef NDEBUG
#define BW_BUILD_TYPE_STRING "release"
#else
#define BW_BUILD_TYPE_STRING "debug"
#endif

namespace bw::pipeline {

namespace {

uint64_t Load(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

}  // namespace

metrics::SensorSnapshot Sensor::Snapshot() const {
  metrics::SensorSnapshot s;
  if (key_log_) {
    const tls::KeyLogSourceCounts k = key_log_->Counts();
    const tls::SharedKeyStoreCounts st = key_store_->Counts();
    auto& t = s.tls_keylog;
    t.enabled = true;
    t.lines_read = k.lines_read;
    t.keys_loaded = k.keys_loaded;
    t.keys_duplicate = k.keys_duplicate;
    t.malformed = k.malformed;
    t.overlong_lines = k.overlong_lines;
    t.files_opened = k.files_opened;
    t.files_reopened = k.files_reopened;
    t.files_refused = k.files_refused;
    t.files_skipped = k.files_skipped;
    t.read_errors = k.read_errors;
    t.connections_held = st.connections;
    t.connections_evicted = st.store.connections_evicted;
    t.connections_erased = st.store.connections_erased;
  }
  // Pairs with Run's release store: once it is seen, every thread that wrote the end-of-run
  // state has stopped, and that state may be read from here.
  s.stopped = stopped_.load(std::memory_order_acquire);
  s.build.version = BW_VERSION;
  s.build.compiler = "gcc " __VERSION__;
  s.build.build_type = BW_BUILD_TYPE_STRING;
  s.observer = {observer_.name, observer_.hostname, options_.config.metrics.sensor_label};
  capture_status_.Fill(s.capture);
  s.capture.source = source_->description();
  s.capture.live = source_->live();
  s.capture.readers = 1 + lanes_.size();
  for (const auto& w : workers_) {
    const WorkerCounters& wc = w->counters();
    metrics::AddWorker(
        s, {w->id(), Load(wc.packets), Load(wc.bytes), &w->flow_counters(), &w->reassembly(),
            &w->app_counters(), nullptr, Load(wc.tcp_packets), Load(wc.udp_packets),
            Load(wc.other_packets), s.stopped ? &w->protocols() : nullptr});
  }
  // Storage requests are counted once for all workers (StorageRequestCounters is thread-safe).
  metrics::AddStorage(s, storage_counters_);
  metrics::AddDecodeDrops(s, drops_);
  for (const auto& lane : lanes_) metrics::AddDecodeDrops(s, lane->drops);
  s.decode.tcp_checksum.mode = options_.config.decode.tcp_checksum;
  if (output_) {
    for (size_t i = 0; i < output_->workers(); ++i) {
      const OutputQueue& q = output_->queue(i);
      s.output.records += Load(q.counters().pushed);
      s.output.records_dropped += Load(q.counters().dropped);
      s.output.queue_waits += Load(q.counters().waits);
      s.output.queued += q.size();
    }
    const OutputStageCounters& oc = output_->counters();
    s.output.batches = Load(oc.batches);
    s.output.alert_batches = Load(oc.alert_batches);
    s.output.known_server_candidates = Load(oc.candidates);
    s.output.known_server_requests = Load(oc.candidates_storage);
    s.alert_totals.raised = Load(oc.alerts_raised);
    s.state = {.saves = Load(oc.state_saves),
               .save_errors = Load(oc.state_save_errors),
               .windows_left_out = Load(oc.state_windows_left_out)};
  }
  s.alert_totals.lines = alerts_.lines_written();
  s.alert_totals.write_errors = alerts_.write_errors();
  s.ledger = {.lines = ledger_.lines_written(),
              .write_errors = ledger_.write_errors(),
              .rotations = ledger_.rotations(),
              .files_compressed = ledger_.files_compressed(),
              .compress_errors = ledger_.compress_errors(),
              .lines_lost = ledger_.lines_lost(),
              .reopens = ledger_.reopens()};
  s.config_reloads = reloads_.load(std::memory_order_relaxed);
  s.config_reload_failures = reload_failures_.load(std::memory_order_relaxed);
  s.flows.memory_cap_bytes = memory_budget_.flows_share();
  s.process = metrics::ReadProcessSnapshot();
  const MemoryBudget::Parts& mp = memory_budget_.parts();
  s.process.memory_cap_bytes = mp.cap;
  s.process.memory_to_run_bytes = mp.fixed;
  s.process.memory_margin_bytes = mp.margin;
  s.process.memory_pressure_polls = memory_budget_.pressure_polls();
  if (output_) {
    detect::DetectionStats d = output_->DetectionStats();
    s.detection = {.storage_events = d.storage_events,
                   .tracked_activities = d.tracked_activities,
                   .tracked_clients = d.tracked_clients,
                   .tracked_dedup = d.tracked_dedup,
                   .tracked_flows = d.tracked_flows,
                   .evicted_activities = d.evicted_activities,
                   .evicted_clients = d.evicted_clients,
                   .evicted_dedup = d.evicted_dedup,
                   .evicted_flows = d.evicted_flows,
                   .evicted_probe_names = d.evicted_probe_names,
                   .evicted_memory = d.evicted_memory,
                   .memory_bytes = d.memory_bytes,
                   .memory_cap_bytes = options_.config.detection.memory_bytes,
                   .exposures = d.tracked_exposures,
                   .exposures_evicted = d.evicted_exposures,
                   .exposures_learned = d.learned_exposures};
    for (size_t r = 0; r < detect::kRuleCount; ++r) {
      const char* rule = detect::RuleName(static_cast<detect::Rule>(r));
      for (size_t v = 0; v < detect::kSeverityCount; ++v) {
        metrics::AddAlerts(s, rule, detect::SeverityName(static_cast<detect::Severity>(v)),
                           d.alerts[r][v]);
      }
      metrics::AddSuppressed(s, rule, d.suppressed[r]);
    }
  }
  if (ledger_sink_) {
    const clickhouse::LedgerSinkStats k = ledger_sink_->Stats();
    s.clickhouse = {.enabled = true,
                    .rows_sent = k.rows_sent,
                    .batches_sent = k.batches_sent,
                    .send_failures = k.send_failures,
                    .rows_queued = k.rows_queued,
                    .queue_bytes = k.queue_bytes,
                    .rows_pending = k.rows_pending,
                    .rows_dropped = k.rows_dropped,
                    .rows_spilled = k.rows_spilled,
                    .queue_corrupt = k.queue_corrupt,
                    .last_success_unix_ns = k.last_success_unix_ns};
  }
  if (dispatcher_) {
    output::DispatcherCounters dc = dispatcher_->Counters();
    for (const auto& k : dc.sinks) {
      s.sinks.push_back({k.name, k.type, k.delivered, k.failed_attempts, k.retries, k.queue_depth,
                         k.pending, k.dropped_from_memory});
    }
    s.spool = {.alerts = dc.spool.alerts,
               .bytes = dc.spool.bytes,
               .evicted = dc.spool.evicted,
               .write_errors = dc.spool.write_errors,
               .memory_only = dc.spool.memory_only,
               .memory_only_held = dc.spool.memory_only_held,
               .append_failing = dc.spool.append_failing,
               .recovered = dc.spool.recovered,
               .temp_discarded = dc.spool.temp_discarded};
  }
  if (s.stopped) {
    // The whole message: CaptureStatus keeps a cut copy only so that it can hand it across
    // threads without a lock.
    s.capture.error = capture_error_;
    s.capture.ring_waits = ring_waits_;
    s.capture.interrupted_by = interrupted_by_;
    s.capture.pcapng_blocks_skipped = source_->pcapng_blocks_skipped();
    // Fragments: every decoder of a fanout sees all of them, so the capture thread's counts are
    // the totals. Checksums: each verifies its own packets.
    s.decode.fragments_reassembled = decoder_->fragments_reassembled();
    s.decode.fragments_stored = decoder_->fragments_stored();
    for (const decode::Decoder* d : Decoders()) metrics::AddTcpChecksum(s, d->tcp_checksum());
    if (output_) s.output.known_servers = output_->known_servers();
  }
  return s;
}

}  // namespace bw::pipeline
