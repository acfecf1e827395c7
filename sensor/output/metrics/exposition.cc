#include "sensor/output/metrics/exposition.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "dissectors/storage/storage_event.h"
#include "sensor/output/metrics/operation_table.h"

namespace bw::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Family() hands out references that later calls must not invalidate (a block declares several
// families, then fills them): a deque keeps its elements in place as it grows, where a vector's
// reallocation left them dangling once enough families were added before such a block.
class Families {
 public:
  MetricFamily& Family(const std::string& name, const std::string& help, MetricType type) {
    families_.push_back({name, help, type, {}});
    return families_.back();
  }
  void Counter(const std::string& name, const std::string& help, double value, Labels labels = {}) {
    AddCounter(Family(name, help, MetricType::Counter), value, std::move(labels));
  }
  void Gauge(const std::string& name, const std::string& help, double value, Labels labels = {}) {
    AddGauge(Family(name, help, MetricType::Gauge), value, std::move(labels));
  }
  static void AddCounter(MetricFamily& f, double value, Labels labels) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    f.metric.push_back(std::move(m));
  }
  static void AddGauge(MetricFamily& f, double value, Labels labels) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    f.metric.push_back(std::move(m));
  }
  std::vector<MetricFamily> Take() {
    return std::vector<MetricFamily>(std::make_move_iterator(families_.begin()),
                                     std::make_move_iterator(families_.end()));
  }

 private:
  std::deque<MetricFamily> families_;
};

double D(uint64_t v) { return static_cast<double>(v); }

std::string S(std::string_view v) { return std::string(v); }

// Configured sink names are operator-chosen; keep them to a safe, short label value.
std::string SinkLabel(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (out.size() >= 64) break;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "unnamed" : out;
}

const char* CaptureStateName(CaptureState s) {
  switch (s) {
    case CaptureState::kStarting:
      return "starting";
    case CaptureState::kRunning:
      return "running";
    case CaptureState::kFinished:
      return "finished";
    case CaptureState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace

std::vector<MetricFamily> ToMetricFamilies(const SensorSnapshot& s) {
  Families f;
  // --- build and process
  f.Gauge("bucketwatch_build_info", "Build of the running sensor (value is always 1).", 1,
          {{"version", s.build.version},
           {"compiler", s.build.compiler},
           {"build_type", s.build.build_type}});
  if (!s.observer.name.empty()) {
    f.Gauge("bucketwatch_sensor_info",
            "This sensor's sensor.name and host name, as its ledger lines and alerts carry them "
            "(observer.name, observer.hostname); value is always 1.",
            1, {{"sensor", s.observer.name}, {"hostname", s.observer.hostname}});
  }
  f.Gauge("bucketwatch_process_resident_memory_bytes", "Resident set size of the process.",
          D(s.process.resident_bytes));
  f.Gauge("bucketwatch_process_peak_resident_memory_bytes",
          "Highest resident set size of the process (VmHWM).", D(s.process.peak_resident_bytes));
  f.Gauge("bucketwatch_process_memory_cap_bytes",
          "Resident memory the sensor stays under (memory_cap_mib).",
          D(s.process.memory_cap_bytes));
  f.Gauge("bucketwatch_process_virtual_memory_bytes", "Virtual memory size of the process.",
          D(s.process.virtual_bytes));
  f.Gauge("bucketwatch_process_threads", "Threads of the process.", D(s.process.threads));
  f.Gauge("bucketwatch_process_start_time_seconds", "Unix time the process started.",
          s.process.start_time_seconds);
  {
    auto& fam = f.Family("bucketwatch_config_reloads_total",
                         "Configuration reloads (SIGHUP) by result; a failed reload keeps the "
                         "previous configuration.",
                         MetricType::Counter);
    Families::AddCounter(fam, D(s.config_reloads), {{"result", "success"}});
    Families::AddCounter(fam, D(s.config_reload_failures), {{"result", "failure"}});
  }
  f.Counter("bucketwatch_output_records_total",
            "Records (storage requests, encrypted-flow summaries, flow-log lines) the workers "
            "handed to the output stage.",
            D(s.output.records));
  f.Counter("bucketwatch_output_records_dropped_total",
            "Records dropped because a worker's output queue was full (live capture only; "
            "reading a file the worker waits).",
            D(s.output.records_dropped));
  f.Gauge("bucketwatch_output_queued_records", "Records waiting in the workers' output queues.",
          D(s.output.queued));
  {
    const auto& m = s.metrics_server;
    f.Gauge("bucketwatch_metrics_connections", "Connections open to the /metrics listener.",
            D(m.connections));
    auto& fam = f.Family("bucketwatch_metrics_connections_dropped_total",
                         "Connections to the /metrics listener closed before they were served, by "
                         "reason (evicted: the oldest waiting one, to make room when full; "
                         "refused: every slot was answering; timeout: request head late or reply "
                         "not taken).",
                         MetricType::Counter);
    Families::AddCounter(fam, D(m.evicted), {{"reason", "evicted"}});
    Families::AddCounter(fam, D(m.refused), {{"reason", "refused"}});
    Families::AddCounter(fam, D(m.timed_out), {{"reason", "timeout"}});
    f.Counter("bucketwatch_metrics_accept_errors_total",
              "accept() failures of the /metrics listener (EMFILE: out of file descriptors).",
              D(m.accept_errors));
  }

  // --- capture
  const auto& c = s.capture;
  {
    auto& fam =
        f.Family("bucketwatch_capture_state",
                 "Capture state: 1 for the current state, 0 for the others.", MetricType::Gauge);
    for (auto st : {CaptureState::kStarting, CaptureState::kRunning, CaptureState::kFinished,
                    CaptureState::kFailed}) {
      Families::AddGauge(fam, c.state == st ? 1 : 0, {{"state", CaptureStateName(st)}});
    }
  }
  f.Counter("bucketwatch_capture_packets_total", "Frames read from the capture.", D(c.packets));
  f.Counter("bucketwatch_capture_bytes_total", "Wire bytes of the frames read from the capture.",
            D(c.bytes));
  f.Counter("bucketwatch_capture_kernel_drops_total",
            "Frames the kernel dropped for lack of capture buffer space (pcap_stats ps_drop).",
            D(c.kernel_drops));
  f.Counter("bucketwatch_capture_interface_drops_total",
            "Frames the interface or driver dropped (pcap_stats ps_ifdrop).", D(c.interface_drops));
  {
    auto& fam = f.Family("bucketwatch_capture_link_events_total",
                         "Capture interface events: went down (or disappeared), capture resumed, "
                         "resumed by reopening the interface, a reopen attempt failed.",
                         MetricType::Counter);
    Families::AddCounter(fam, D(c.link_down), {{"event", "down"}});
    Families::AddCounter(fam, D(c.link_resumed), {{"event", "resumed"}});
    Families::AddCounter(fam, D(c.link_reopens), {{"event", "reopened"}});
    Families::AddCounter(fam, D(c.link_reopen_failures), {{"event", "reopen_failed"}});
  }
  {
    std::vector<WorkerSnapshot> workers = s.workers;
    std::sort(workers.begin(), workers.end(),
              [](const WorkerSnapshot& a, const WorkerSnapshot& b) { return a.id < b.id; });
    auto& packets = f.Family("bucketwatch_worker_packets_total",
                             "Packets processed by each worker.", MetricType::Counter);
    for (const auto& w : workers) {
      Families::AddCounter(packets, D(w.packets), {{"worker", std::to_string(w.id)}});
    }
    auto& bytes =
        f.Family("bucketwatch_worker_bytes_total",
                 "Wire bytes of the packets processed by each worker.", MetricType::Counter);
    for (const auto& w : workers) {
      Families::AddCounter(bytes, D(w.bytes), {{"worker", std::to_string(w.id)}});
    }
  }

  // --- decode
  {
    auto& fam = f.Family("bucketwatch_decode_drops_total",
                         "Frames dropped or anomalies noticed by the decoder, by reason.",
                         MetricType::Counter);
    for (size_t i = 0; i < decode::kDropReasonCount; ++i) {
      Families::AddCounter(
          fam, D(s.decode.drops[i]),
          {{"reason", S(decode::DropReasonName(static_cast<decode::DropReason>(i)))}});
    }
  }

  // --- flows
  f.Gauge("bucketwatch_flows_active", "Flows in the flow tables now.", D(s.flows.active));
  f.Counter("bucketwatch_flows_created_total", "Flows created.", D(s.flows.created));
  f.Gauge("bucketwatch_flows_memory_bytes",
          "Per-connection state charged to the memory cap (flow entries, reassembly and HTTP "
          "buffers, pending requests, nDPI state).",
          D(s.flows.memory_bytes));
  f.Gauge("bucketwatch_flows_memory_cap_bytes",
          "Per-connection state allowed now: what memory_cap_mib leaves after the sensor's own "
          "needs, detection and a margin, lowered while resident memory nears the cap.",
          D(s.flows.memory_cap_bytes));
  {
    auto& fam = f.Family("bucketwatch_flows_ended_total",
                         "Flows that left the flow tables, by reason (evicted: table full; "
                         "memory_cap: per-connection state at its share of memory_cap_mib).",
                         MetricType::Counter);
    const uint64_t table_full = s.flows.evicted - std::min(s.flows.evicted, s.flows.evicted_memory);
    Families::AddCounter(fam, D(table_full), {{"reason", "evicted"}});
    Families::AddCounter(fam, D(s.flows.evicted_memory), {{"reason", "memory_cap"}});
    Families::AddCounter(fam, D(s.flows.idle_timeouts), {{"reason", "idle_timeout"}});
    Families::AddCounter(fam, D(s.flows.hard_timeouts), {{"reason", "hard_timeout"}});
    Families::AddCounter(fam, D(s.flows.closed), {{"reason", "closed"}});
    Families::AddCounter(fam, D(s.flows.drained), {{"reason", "shutdown"}});
  }

  // --- reassembly
  const auto& r = s.reassembly;
  f.Counter("bucketwatch_reassembly_segments_total", "TCP segments seen by reassembly.",
            D(r.segments));
  f.Counter("bucketwatch_reassembly_delivered_bytes_total",
            "Bytes delivered in order to the application layer.", D(r.bytes_delivered));
  f.Counter("bucketwatch_reassembly_out_of_order_segments_total",
            "Segments buffered ahead of a hole.", D(r.out_of_order_segments));
  f.Gauge("bucketwatch_reassembly_buffered_bytes", "Out-of-order bytes buffered now.",
          D(r.bytes_buffered));
  f.Counter("bucketwatch_reassembly_retransmissions_total",
            "Segments with no new byte (retransmissions), dropped.", D(r.retransmissions));
  f.Counter("bucketwatch_reassembly_overlaps_total",
            "Segments partly overlapping bytes already received.", D(r.overlaps));
  f.Counter("bucketwatch_reassembly_overlap_conflicts_total",
            "Overlaps whose bytes differed (first wins).", D(r.overlap_conflicts));
  f.Counter("bucketwatch_reassembly_retransmission_conflicts_total",
            "Segments resending delivered bytes with different contents (first wins).",
            D(r.retransmission_conflicts));
  f.Counter("bucketwatch_reassembly_gaps_total", "Holes delivered as explicit gap events.",
            D(r.gaps));
  f.Counter("bucketwatch_reassembly_gap_bytes_total", "Bytes declared lost in gaps.",
            D(r.gap_bytes));
  {
    auto& fam = f.Family("bucketwatch_reassembly_cap_hits_total",
                         "Times a buffer cap forced a gap, by cap.", MetricType::Counter);
    Families::AddCounter(fam, D(r.per_flow_cap_hits), {{"cap", "per_flow"}});
    Families::AddCounter(fam, D(r.segment_cap_hits), {{"cap", "per_flow_segments"}});
    Families::AddCounter(fam, D(r.global_cap_hits), {{"cap", "global"}});
  }
  f.Counter("bucketwatch_reassembly_hole_timeouts_total", "Holes declared lost by age.",
            D(r.hole_timeouts));
  {
    auto& fam = f.Family("bucketwatch_reassembly_weak_total",
                         "Weak segments (TCP checksum a receiver rejects), by what became of them.",
                         MetricType::Counter);
    Families::AddCounter(fam, D(r.weak_segments), {{"event", "received"}});
    Families::AddCounter(fam, D(r.weak_replaced), {{"event", "replaced"}});
    Families::AddCounter(fam, D(r.weak_used), {{"event", "used"}});
    Families::AddCounter(fam, D(r.weak_discarded), {{"event", "discarded"}});
    Families::AddCounter(fam, D(r.weak_controls_ignored), {{"event", "control_ignored"}});
    Families::AddCounter(fam, D(r.weak_syns_confirmed), {{"event", "syn_confirmed"}});
  }

  // --- HTTP
  const auto& h = s.http;
  f.Counter("bucketwatch_http_requests_total", "HTTP request heads parsed.", D(h.requests));
  f.Counter("bucketwatch_http_responses_total", "Final HTTP response heads parsed.",
            D(h.responses));
  f.Counter("bucketwatch_http_transactions_total", "HTTP request/response pairs completed.",
            D(h.transactions));
  f.Counter("bucketwatch_http_resyncs_total",
            "Times the HTTP parser found a start line again after losing sync.", D(h.resyncs));
  f.Counter("bucketwatch_http_lost_requests_total",
            "Responses whose request a gap or resync swallowed.", D(h.lost_requests));
  {
    auto& fam = f.Family("bucketwatch_http_parse_errors_total",
                         "HTTP anomalies noticed by the parser, by reason.", MetricType::Counter);
    for (size_t i = 0; i < http::kHttpErrorCount; ++i) {
      Families::AddCounter(fam, D(h.errors[i]),
                           {{"reason", S(http::HttpErrorName(static_cast<http::HttpError>(i)))}});
    }
  }

  // --- TLS
  const auto& app = s.app;
  f.Counter("bucketwatch_tls_connections_total", "Connections that carry TLS.", D(app.tls_flows));
  f.Counter("bucketwatch_tls_decrypt_attempts_total",
            "TLS connections whose keys were looked for in the key logs.",
            D(app.tls_decrypt_attempts));
  f.Counter("bucketwatch_tls_decrypted_connections_total",
            "TLS connections with records read under logged keys.", D(app.tls_decrypted));
  f.Counter("bucketwatch_tls_key_waits_total",
            "TLS connections whose bytes waited for keys logged after their records.",
            D(app.tls_waited_for_keys));
  f.Counter("bucketwatch_tls_http2_connections_total",
            "Decrypted connections that speak HTTP/2 (counted, not dissected).", D(app.tls_http2));
  f.Counter("bucketwatch_tls_parked_sessions_total",
            "TLS sessions kept after their connection ended, to wait for keys logged late.",
            D(app.tls_parked));
  f.Counter("bucketwatch_tls_early_data_bytes_total",
            "TLS 1.3 0-RTT plaintext bytes decrypted and read, the server having accepted them.",
            D(app.tls_early_data_bytes));
  f.Counter("bucketwatch_tls_early_data_rejected_bytes_total",
            "TLS 1.3 0-RTT plaintext bytes dropped because the server refused early data (the "
            "client sends them again after the handshake).",
            D(app.tls_early_data_rejected_bytes));
  f.Counter("bucketwatch_tls_early_records_skipped_total",
            "TLS 1.3 0-RTT records not decrypted: no CLIENT_EARLY_TRAFFIC_SECRET was logged.",
            D(app.tls_early_records_skipped));
  {
    auto& fam = f.Family("bucketwatch_tls_decrypt_failures_total",
                         "TLS connections whose decryption ended early, by reason (no_keys: "
                         "the keys never came).",
                         MetricType::Counter);
    for (size_t i = 1; i < tls::kSessionFailureCount; ++i) {
      Families::AddCounter(
          fam, D(app.tls_decrypt_failures[i]),
          {{"reason", S(tls::SessionFailureName(static_cast<tls::SessionFailure>(i)))}});
    }
  }

  if (s.tls_keylog.enabled) {
    const auto& k = s.tls_keylog;
    f.Counter("bucketwatch_tls_keylog_lines_total", "Key log lines read.", D(k.lines_read));
    f.Counter("bucketwatch_tls_keys_loaded_total",
              "Keys stored from key logs (new, or replacing a different one).", D(k.keys_loaded));
    f.Counter("bucketwatch_tls_keys_duplicate_total", "Key log lines repeating a key held.",
              D(k.keys_duplicate));
    auto& bad = f.Family("bucketwatch_tls_keylog_malformed_lines_total",
                         "Key log lines skipped as malformed, by reason.", MetricType::Counter);
    for (size_t i = 1; i < tls::kKeyLogErrorCount; ++i) {
      auto error = static_cast<tls::KeyLogError>(i);
      if (error == tls::KeyLogError::kUnusedLabel) continue;  // ignored, not malformed
      Families::AddCounter(bad, D(k.malformed[i]), {{"reason", S(tls::KeyLogErrorName(error))}});
    }
    Families::AddCounter(bad, D(k.overlong_lines), {{"reason", "overlong"}});
    auto& files = f.Family("bucketwatch_tls_keylog_files_total",
                           "Key log files by what happened to them.", MetricType::Counter);
    Families::AddCounter(files, D(k.files_opened), {{"event", "opened"}});
    Families::AddCounter(files, D(k.files_reopened), {{"event", "reopened"}});
    Families::AddCounter(files, D(k.files_refused), {{"event", "refused"}});
    Families::AddCounter(files, D(k.files_skipped), {{"event", "skipped"}});
    f.Counter("bucketwatch_tls_keylog_read_errors_total",
              "Failures to open, stat or read a key log.", D(k.read_errors));
    f.Gauge("bucketwatch_tls_keys_held", "Connections whose keys the sensor holds now.",
            D(k.connections_held));
    auto& dropped = f.Family("bucketwatch_tls_keys_dropped_total",
                             "Connections whose keys were dropped, by why.", MetricType::Counter);
    Families::AddCounter(dropped, D(k.connections_evicted), {{"reason", "evicted"}});
    Families::AddCounter(dropped, D(k.connections_erased), {{"reason", "connection_ended"}});
  }

  // --- storage
  {
    auto& all = f.Family("bucketwatch_storage_requests_total",
                         "Object-storage API requests by provider, operation, auth class and "
                         "outcome.",
                         MetricType::Counter);
    auto& anon = f.Family("bucketwatch_anonymous_requests_total",
                          "Object-storage API requests presenting no credential, by provider, "
                          "operation and outcome.",
                          MetricType::Counter);
    std::map<std::tuple<uint8_t, uint16_t, uint8_t>, uint64_t> anonymous;
    for (const auto& [k, n] : s.storage.requests) {
      auto provider = S(storage::ProviderName(static_cast<storage::Provider>(k.provider)));
      auto outcome = S(storage::OutcomeName(static_cast<storage::Outcome>(k.outcome)));
      Families::AddCounter(
          all, D(n),
          {{"provider", provider},
           {"operation", S(OperationName(k.operation))},
           {"auth", S(storage::AuthClassName(static_cast<storage::AuthClass>(k.auth)))},
           {"outcome", outcome}});
      if (k.auth == static_cast<uint8_t>(storage::AuthClass::kAnonymous)) {
        anonymous[{k.provider, k.operation, k.outcome}] += n;
      }
    }
    for (const auto& [k, n] : anonymous) {
      auto [p, op, o] = k;
      Families::AddCounter(
          anon, D(n),
          {{"provider", S(storage::ProviderName(static_cast<storage::Provider>(p)))},
           {"operation", S(OperationName(op))},
           {"outcome", S(storage::OutcomeName(static_cast<storage::Outcome>(o)))}});
    }
    auto& bytes = f.Family("bucketwatch_anonymous_served_bytes_total",
                           "Response bytes of successful anonymous requests, by provider.",
                           MetricType::Counter);
    for (size_t p = 0; p < kProviderCount; ++p) {
      Families::AddCounter(
          bytes, D(s.storage.anonymous_bytes_served[p]),
          {{"provider", S(storage::ProviderName(static_cast<storage::Provider>(p)))}});
    }
  }

  // --- detection state
  f.Gauge("bucketwatch_detection_memory_bytes",
          "Detection state held (activities, clients and probed names, dedup entries, TLS flow "
          "totals).",
          D(s.detection.memory_bytes));
  f.Gauge("bucketwatch_detection_memory_cap_bytes",
          "Detection state allowed (detection.memory_mib); least recently used entries are "
          "evicted beyond it.",
          D(s.detection.memory_cap_bytes));

  f.Gauge("bucketwatch_exposure_inventory_buckets",
          "Buckets new_public_exposure knows to have served an anonymous request "
          "(detection.new_public_exposure.max_buckets at most).",
          D(s.detection.exposures));
  f.Counter("bucketwatch_exposure_inventory_evicted_total",
            "Buckets forgotten at detection.new_public_exposure.max_buckets (the least recently "
            "served first); one seen serving anonymously again alerts again.",
            D(s.detection.exposures_evicted));
  f.Counter("bucketwatch_exposure_inventory_learned_total",
            "Buckets recorded without an alert during new_public_exposure's learning period.",
            D(s.detection.exposures_learned));

  // --- learned state
  {
    auto& fam = f.Family("bucketwatch_state_saves_total",
                         "State file saves (--state-dir) by result; after a failure a restart "
                         "forgets what was learned since the last good save.",
                         MetricType::Counter);
    Families::AddCounter(fam, D(s.state.saves), {{"result", "success"}});
    Families::AddCounter(fam, D(s.state.save_errors), {{"result", "failure"}});
  }
  f.Counter("bucketwatch_state_windows_left_out_total",
            "Open detection windows a state save left out to stay within half of "
            "state.max_bytes (the least recently used first); a restart restarts their counts.",
            D(s.state.windows_left_out));

  // --- ledger
  f.Counter("bucketwatch_ledger_lines_total",
            "Lines appended to the ledger file (lines later lost with a deleted file count in "
            "bucketwatch_ledger_lines_lost_total too).",
            D(s.ledger.lines));
  f.Counter("bucketwatch_ledger_lines_lost_total",
            "Ledger lines in no file: failed writes (disk full), no file open, lines of a deleted "
            "file that could not be copied to its successor.",
            D(s.ledger.lines_lost));
  f.Counter("bucketwatch_ledger_write_errors_total",
            "Ledger write, open, close and rename failures.", D(s.ledger.write_errors));
  f.Counter("bucketwatch_ledger_rotations_total", "Ledger files rotated (by size or age).",
            D(s.ledger.rotations));
  f.Counter("bucketwatch_ledger_reopens_total",
            "The ledger file was deleted or moved away while open and its path opened again.",
            D(s.ledger.reopens));
  f.Counter("bucketwatch_ledger_compress_errors_total",
            "Rotated ledger files that could not be compressed.", D(s.ledger.compress_errors));

  // --- alerts
  {
    auto& raised = f.Family("bucketwatch_alerts_total", "Alerts raised, by rule and severity.",
                            MetricType::Counter);
    for (const auto& a : s.alerts) {
      Families::AddCounter(raised, D(a.raised), {{"rule", a.rule}, {"severity", a.severity}});
    }
    auto& suppressed = f.Family("bucketwatch_alerts_suppressed_total",
                                "Repeats of an already-raised alert (same dedup key) not sent "
                                "again, by rule.",
                                MetricType::Counter);
    for (const auto& a : s.suppressed) {
      Families::AddCounter(suppressed, D(a.count), {{"rule", a.rule}});
    }
  }

  // --- sinks and spool
  {
    auto& deliveries =
        f.Family("bucketwatch_sink_deliveries_total",
                 "Alerts delivered (acknowledged) by each sink.", MetricType::Counter);
    auto& failures = f.Family("bucketwatch_sink_failures_total",
                              "Failed delivery attempts of each sink.", MetricType::Counter);
    auto& retries = f.Family("bucketwatch_sink_retries_total", "Delivery retries of each sink.",
                             MetricType::Counter);
    auto& overflows = f.Family("bucketwatch_sink_queue_overflows_total",
                               "Alerts not queued in memory because the sink's queue was full "
                               "(still spooled on disk).",
                               MetricType::Counter);
    auto& queue = f.Family("bucketwatch_sink_queue_depth",
                           "Alerts waiting in each sink's memory queue.", MetricType::Gauge);
    auto& pending = f.Family("bucketwatch_sink_pending_alerts",
                             "Spooled alerts not yet delivered to each sink.", MetricType::Gauge);
    for (const auto& k : s.sinks) {
      Labels l = {{"sink", SinkLabel(k.name)}, {"type", SinkLabel(k.type)}};
      Families::AddCounter(deliveries, D(k.deliveries), l);
      Families::AddCounter(failures, D(k.failures), l);
      Families::AddCounter(retries, D(k.retries), l);
      Families::AddCounter(overflows, D(k.queue_overflows), l);
      Families::AddGauge(queue, D(k.queue_depth), l);
      Families::AddGauge(pending, D(k.pending), l);
    }
    f.Gauge("bucketwatch_spool_alerts",
            "Alerts in the on-disk spool, not yet delivered to every sink.", D(s.spool.alerts));
    f.Gauge("bucketwatch_spool_bytes", "Bytes of the on-disk spool.", D(s.spool.bytes));
    f.Counter("bucketwatch_spool_evicted_total",
              "Undelivered alerts dropped at the spool's size bound (lost).", D(s.spool.evicted));
    f.Counter("bucketwatch_spool_write_errors_total", "Spool append or remove failures.",
              D(s.spool.write_errors));
    f.Counter("bucketwatch_spool_recovered_total",
              "Alerts recovered at start from temporary spool files a crash left before their "
              "rename.",
              D(s.spool.recovered));
    f.Counter("bucketwatch_spool_temp_discarded_total",
              "Temporary spool files (or their torn tails) a crash left without a whole record, "
              "removed at start.",
              D(s.spool.temp_discarded));
  }

  // --- the ClickHouse ledger sink (ledger.clickhouse), when configured
  if (s.clickhouse.enabled) {
    const ClickHouseSinkSnapshot& ch = s.clickhouse;
    f.Counter("bucketwatch_clickhouse_rows_sent_total",
              "Ledger rows ClickHouse acknowledged (a batch sent again counts again).",
              D(ch.rows_sent));
    f.Counter("bucketwatch_clickhouse_batches_sent_total", "INSERTs ClickHouse acknowledged.",
              D(ch.batches_sent));
    f.Counter("bucketwatch_clickhouse_send_failures_total",
              "INSERTs that failed (retried with backoff; the rows stay queued).",
              D(ch.send_failures));
    f.Gauge("bucketwatch_clickhouse_queue_rows",
            "Ledger rows in the on-disk queue, not yet acknowledged by ClickHouse.",
            D(ch.rows_queued));
    f.Gauge("bucketwatch_clickhouse_queue_bytes", "Bytes of the on-disk queue.", D(ch.queue_bytes));
    f.Gauge("bucketwatch_clickhouse_pending_rows",
            "Ledger rows in memory, not yet written to the on-disk queue.", D(ch.rows_pending));
    f.Counter("bucketwatch_clickhouse_rows_dropped_total",
              "Ledger rows dropped because the on-disk queue was at queue_max_bytes or could not "
              "be written (lost for ClickHouse; the file ledger still has them).",
              D(ch.rows_dropped));
    f.Counter("bucketwatch_clickhouse_rows_spilled_total",
              "Ledger rows the output stage wrote to the on-disk queue itself because the sender "
              "was behind.",
              D(ch.rows_spilled));
    f.Gauge("bucketwatch_clickhouse_last_success_timestamp_seconds",
            "Wall time of the last INSERT ClickHouse acknowledged (0: none yet).",
            static_cast<double>(ch.last_success_unix_ns) / 1e9);
  }

  std::vector<MetricFamily> families = f.Take();
  if (s.observer.label_every_series && !s.observer.name.empty()) {
    for (MetricFamily& family : families) {
      for (ClientMetric& m : family.metric) {
        bool has = false;
        for (const auto& l : m.label) has = has || l.name == "sensor";
        if (!has) m.label.push_back({"sensor", s.observer.name});
      }
    }
  }
  return families;
}

std::string RenderText(const SensorSnapshot& s) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, ToMetricFamilies(s));
  return out.str();
}

HealthVerdict EvaluateHealth(const CaptureSnapshot& c, const SpoolSnapshot& spool,
                             int64_t now_steady_ns, int64_t stall_ns) {
  if (spool.append_failing || spool.memory_only_held > 0) {
    return {false, "alerts cannot be persisted: the spool's last write failed (" +
                       std::to_string(spool.write_errors) + " write errors, " +
                       std::to_string(spool.memory_only_held) +
                       " alerts held in memory only; the log says why)"};
  }
  switch (c.state) {
    case CaptureState::kStarting:
      return {false, "capture not started"};
    case CaptureState::kFailed:
      return {false,
              "capture failed: " + (c.error.empty() ? std::string("unknown error") : c.error)};
    case CaptureState::kFinished:
      return {true, "ok (input finished)"};
    case CaptureState::kRunning:
      break;
  }
  // Paused by a link event: down and waiting is a state the sensor leaves by itself; a reopen
  // that keeps failing (interface gone, no CAP_NET_RAW left) is not, and the operator must act.
  if (c.link_down > c.link_resumed && c.link_reopen_failures > 0) {
    return {false, "capture paused: the interface cannot be reopened (" +
                       std::to_string(c.link_reopen_failures) +
                       " failed attempts; the log says why)"};
  }
  int64_t last = std::max({c.heartbeat_steady_ns, c.last_packet_steady_ns, c.started_steady_ns});
  int64_t idle = now_steady_ns - last;
  if (idle > stall_ns) {
    return {false, "capture stalled: no packet and no capture-loop heartbeat for " +
                       std::to_string(idle / 1000000000) + " s"};
  }
  if (c.link_down > c.link_resumed) return {true, "ok (capture paused: link down)"};
  return {true, "ok"};
}

}  // namespace bw::metrics
