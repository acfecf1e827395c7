#include "sensor/pipeline/run_report.h"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "dissectors/http/http_counters.h"
#include "sensor/common/human_bytes.h"
#include "sensor/decode/drop_reason.h"

namespace bw::pipeline {

namespace {

using Json = nlohmann::ordered_json;
using metrics::SensorSnapshot;

// Requests the workers could not tell were storage, which the output stage knew were, move
// from "other HTTP" to "storage".
uint64_t StorageRequests(const SensorSnapshot& s) {
  return s.app.storage_events + s.output.known_server_requests;
}

// Saturating: in a snapshot of a running sensor the two counters are read at different
// instants, and the stage may be seen ahead of the worker that counted the request.
uint64_t NonStorageHttp(const SensorSnapshot& s) {
  const uint64_t known = s.output.known_server_requests;
  return s.app.non_storage_http > known ? s.app.non_storage_http - known : 0;
}

Json Capture(const metrics::CaptureSnapshot& c) {
  return {{"source", c.source},
          {"packets", c.packets},
          {"bytes", c.bytes},
          {"seconds", c.seconds},
          {"processing_seconds", c.processing_seconds},
          {"error", c.error},
          {"readers", c.readers},
          {"kernel_drops", c.kernel_drops},
          {"interface_drops", c.interface_drops},
          {"ring_waits", c.ring_waits},
          {"interface_down", c.link_down},
          {"resumed", c.link_resumed},
          {"reopens", c.link_reopens},
          {"reopen_failures", c.link_reopen_failures},
          {"pcapng_blocks_skipped", c.pcapng_blocks_skipped}};
}

// Only the reasons that dropped something, in the DropReason table's order.
Json Drops(const SensorSnapshot& s) {
  Json drops = Json::object();
  for (size_t i = 0; i < decode::kDropReasonCount; ++i) {
    if (s.decode.drops[i]) {
      drops[std::string(decode::DropReasonName(static_cast<decode::DropReason>(i)))] =
          s.decode.drops[i];
    }
  }
  return drops;
}

Json Decode(const SensorSnapshot& s) {
  const metrics::TcpChecksumSnapshot& t = s.decode.tcp_checksum;
  return {{"drops", Drops(s)},
          {"fragments_reassembled", s.decode.fragments_reassembled},
          {"fragments_stored", s.decode.fragments_stored},
          {"tcp_checksum",
           {{"mode", t.mode},
            {"good", t.good},
            {"unfilled", t.unfilled},
            {"bad", t.bad},
            {"rejected", t.rejected},
            {"unverifiable", t.unverifiable}}}};
}

Json Flows(const metrics::FlowSnapshot& f) {
  return {{"created", f.created},
          {"evicted", f.evicted},
          {"idle_timeouts", f.idle_timeouts},
          {"hard_timeouts", f.hard_timeouts},
          {"closed", f.closed},
          {"drained", f.drained},
          {"evicted_memory", f.evicted_memory},
          {"memory_bytes", f.memory_bytes},
          {"memory_high_water_bytes", f.memory_high_water_bytes},
          {"memory_cap_bytes", f.memory_cap_bytes}};
}

Json Reassembly(const metrics::ReassemblySnapshot& r) {
  return {{"segments", r.segments},
          {"bytes_delivered", r.bytes_delivered},
          {"out_of_order_segments", r.out_of_order_segments},
          {"retransmissions", r.retransmissions},
          {"overlaps", r.overlaps},
          {"overlap_conflicts", r.overlap_conflicts},
          {"retransmission_conflicts", r.retransmission_conflicts},
          {"gaps", r.gaps},
          {"gap_bytes", r.gap_bytes},
          {"per_flow_cap_hits", r.per_flow_cap_hits},
          {"segment_cap_hits", r.segment_cap_hits},
          {"global_cap_hits", r.global_cap_hits},
          {"hole_timeouts", r.hole_timeouts},
          {"out_of_window", r.out_of_window},
          {"truncated_segments", r.truncated_segments},
          {"weak_segments", r.weak_segments},
          {"weak_replaced", r.weak_replaced},
          {"weak_used", r.weak_used},
          {"weak_discarded", r.weak_discarded},
          {"weak_controls_ignored", r.weak_controls_ignored},
          {"weak_syns_confirmed", r.weak_syns_confirmed},
          {"buffered_high_water", r.buffered_high_water}};
}

Json App(const SensorSnapshot& s) {
  return {{"http_flows", s.app.http_flows},
          {"tls_flows", s.app.tls_flows},
          {"other_flows", s.app.other_flows},
          {"tls_client_hellos", s.app.tls_client_hellos},
          {"storage_requests", StorageRequests(s)},
          {"non_storage_http", NonStorageHttp(s)},
          {"object_digest_matches", s.app.object_digest_matches},
          {"object_digest_mismatches", s.app.object_digest_mismatches}};
}

// Every failure reason is listed, zero or not.
Json TlsDecryption(const SensorSnapshot& s) {
  Json failures = Json::object();
  for (size_t i = 1; i < tls::kSessionFailureCount; ++i) {
    failures[std::string(tls::SessionFailureName(static_cast<tls::SessionFailure>(i)))] =
        s.app.tls_decrypt_failures[i];
  }
  return {{"attempts", s.app.tls_decrypt_attempts},
          {"decrypted", s.app.tls_decrypted},
          {"waited_for_keys", s.app.tls_waited_for_keys},
          {"http2", s.app.tls_http2},
          {"parked", s.app.tls_parked},
          {"early_data_bytes", s.app.tls_early_data_bytes},
          {"early_data_rejected_bytes", s.app.tls_early_data_rejected_bytes},
          {"early_records_skipped", s.app.tls_early_records_skipped},
          {"failures", failures}};
}

// Every error reason is listed, zero or not.
Json Http(const metrics::HttpSnapshot& h) {
  Json errors = Json::object();
  for (size_t i = 0; i < h.errors.size(); ++i) {
    errors[std::string(http::HttpErrorName(static_cast<http::HttpError>(i)))] = h.errors[i];
  }
  return {{"requests", h.requests},
          {"responses", h.responses},
          {"transactions", h.transactions},
          {"no_response", h.no_response},
          {"truncated", h.truncated},
          {"gaps", h.gaps},
          {"resyncs", h.resyncs},
          {"lost_requests", h.lost_requests},
          {"tunnels", h.tunnels},
          {"gave_up", h.gave_up},
          {"pipelined_max_depth", h.pipelined_max_depth},
          {"errors", errors}};
}

Json Detection(const metrics::DetectionSnapshot& d) {
  return {
      {"storage_events", d.storage_events},       {"tracked_activities", d.tracked_activities},
      {"tracked_clients", d.tracked_clients},     {"tracked_dedup", d.tracked_dedup},
      {"tracked_flows", d.tracked_flows},         {"evicted_activities", d.evicted_activities},
      {"evicted_clients", d.evicted_clients},     {"evicted_dedup", d.evicted_dedup},
      {"evicted_flows", d.evicted_flows},         {"evicted_probe_names", d.evicted_probe_names},
      {"evicted_memory", d.evicted_memory},       {"memory_bytes", d.memory_bytes},
      {"memory_cap_bytes", d.memory_cap_bytes},   {"exposures", d.exposures},
      {"exposures_evicted", d.exposures_evicted}, {"exposures_learned", d.exposures_learned}};
}

Json Ledger(const metrics::LedgerSnapshot& l) {
  return {{"lines", l.lines},
          {"write_errors", l.write_errors},
          {"rotations", l.rotations},
          {"files_compressed", l.files_compressed},
          {"compress_errors", l.compress_errors},
          {"lines_lost", l.lines_lost},
          {"reopens", l.reopens}};
}

Json ClickHouse(const metrics::ClickHouseSinkSnapshot& c) {
  return {{"rows_sent", c.rows_sent},         {"batches_sent", c.batches_sent},
          {"send_failures", c.send_failures}, {"rows_queued", c.rows_queued},
          {"queue_bytes", c.queue_bytes},     {"rows_pending", c.rows_pending},
          {"rows_dropped", c.rows_dropped},   {"rows_spilled", c.rows_spilled},
          {"queue_corrupt", c.queue_corrupt}, {"last_success_unix_ns", c.last_success_unix_ns}};
}

Json Process(const metrics::ProcessSnapshot& p) {
  return {{"peak_rss_bytes", p.peak_resident_bytes},
          {"rss_bytes", p.resident_bytes},
          {"memory_cap_bytes", p.memory_cap_bytes},
          {"memory_to_run_bytes", p.memory_to_run_bytes},
          {"memory_margin_bytes", p.memory_margin_bytes},
          {"memory_pressure_polls", p.memory_pressure_polls}};
}

Json Output(const metrics::OutputSnapshot& o) {
  return {{"records", o.records},
          {"records_dropped", o.records_dropped},
          {"queue_waits", o.queue_waits},
          {"batches", o.batches},
          {"alert_batches", o.alert_batches},
          {"known_server_candidates", o.known_server_candidates},
          {"known_server_requests", o.known_server_requests},
          {"known_servers", o.known_servers}};
}

Json Alerts(const SensorSnapshot& s) {
  uint64_t delivered = 0;
  for (const auto& k : s.sinks) delivered += k.deliveries;
  return {{"raised", s.alert_totals.raised},
          {"lines", s.alert_totals.lines},
          {"write_errors", s.alert_totals.write_errors},
          {"delivered", delivered},
          {"spool_write_errors", s.spool.write_errors},
          {"spool_memory_only", s.spool.memory_only},
          {"spool_memory_only_held", s.spool.memory_only_held}};
}

// "name n, name n" or "none".
template <typename Pairs>
std::string List(const Pairs& pairs) {
  std::string out;
  for (const auto& [name, n] : pairs) {
    out += (out.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(n);
  }
  return out.empty() ? std::string("none") : out;
}

using ULL = unsigned long long;

std::string SignalName(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return signal > 0 ? "signal " + std::to_string(signal) : std::string("a stop request");
  }
}

}  // namespace

RunLosses Losses(const SensorSnapshot& s) {
  RunLosses l;
  l.ledger_lines = s.ledger.write_errors;
  l.clickhouse_rows = s.clickhouse.rows_dropped;
  l.alerts = s.alert_totals.write_errors + s.spool.evicted + s.spool.memory_only_held;
  return l;
}

std::string LossText(const SensorSnapshot& s) {
  std::string out;
  char line[512];
  if (s.capture.interrupted_by != 0) {
    std::snprintf(line, sizeof(line),
                  "bucketwatch: interrupted by %s after %llu packets: the rest of %s was not "
                  "read\n",
                  SignalName(s.capture.interrupted_by).c_str(), static_cast<ULL>(s.capture.packets),
                  s.capture.source.c_str());
    out += line;
  }
  const RunLosses l = Losses(s);
  if (l.ledger_lines > 0) {
    std::snprintf(line, sizeof(line),
                  "bucketwatch: lost %llu ledger line%s (write errors; %llu written)\n",
                  static_cast<ULL>(l.ledger_lines), l.ledger_lines == 1 ? "" : "s",
                  static_cast<ULL>(s.ledger.lines));
    out += line;
  }
  if (l.clickhouse_rows > 0) {
    std::snprintf(line, sizeof(line),
                  "bucketwatch: lost %llu ClickHouse ledger row%s (its queue was full or could "
                  "not be written; %llu sent)\n",
                  static_cast<ULL>(l.clickhouse_rows), l.clickhouse_rows == 1 ? "" : "s",
                  static_cast<ULL>(s.clickhouse.rows_sent));
    out += line;
  }
  if (l.alerts > 0) {
    std::snprintf(line, sizeof(line),
                  "bucketwatch: lost %llu alert%s (%llu not written to the alerts file, %llu "
                  "dropped by the full spool, %llu held in memory only and undelivered)\n",
                  static_cast<ULL>(l.alerts), l.alerts == 1 ? "" : "s",
                  static_cast<ULL>(s.alert_totals.write_errors), static_cast<ULL>(s.spool.evicted),
                  static_cast<ULL>(s.spool.memory_only_held));
    out += line;
  }
  return out;
}

std::string StatsJson(const SensorSnapshot& s) {
  Json j;
  j["capture"] = Capture(s.capture);
  j["config"] = {{"reloads", s.config_reloads}, {"reload_failures", s.config_reload_failures}};
  j["decode"] = Decode(s);
  j["packets"] = {{"processed", s.packets.processed},
                  {"tcp", s.packets.tcp},
                  {"udp", s.packets.udp},
                  {"other", s.packets.other}};
  j["flows"] = Flows(s.flows);
  j["protocols"] = s.protocols;
  j["reassembly"] = Reassembly(s.reassembly);
  j["app"] = App(s);
  j["tls_decryption"] = TlsDecryption(s);
  j["http"] = Http(s.http);
  j["detection"] = Detection(s.detection);
  j["ledger"] = Ledger(s.ledger);
  if (s.clickhouse.enabled) j["clickhouse"] = ClickHouse(s.clickhouse);
  j["process"] = Process(s.process);
  j["output"] = Output(s.output);
  j["alerts"] = Alerts(s);
  const RunLosses lost = Losses(s);
  j["run"] = {{"interrupted_by_signal", std::max(0, s.capture.interrupted_by)},
              {"interrupted", s.capture.interrupted_by != 0},
              {"ledger_lines_lost", lost.ledger_lines},
              {"clickhouse_rows_lost", lost.clickhouse_rows},
              {"alerts_lost", lost.alerts}};
  return j.dump(2);
}

std::string SummaryText(const SensorSnapshot& s) {
  const metrics::CaptureSnapshot& c = s.capture;
  std::string out;
  char line[512];
  double pps = c.seconds > 0 ? c.packets / c.seconds : 0;
  std::snprintf(line, sizeof(line),
                "bucketwatch: %llu packets (%s) from %s in %.2f s (%.0f packets/s)\n",
                static_cast<ULL>(c.packets), common::HumanBytes(c.bytes).c_str(), c.source.c_str(),
                c.seconds, pps);
  out += line;
  const metrics::FlowSnapshot& f = s.flows;
  std::snprintf(line, sizeof(line),
                "  flows:      %llu created, %llu closed, %llu idle timeouts, %llu hard "
                "timeouts, %llu evicted, %llu open at end\n",
                static_cast<ULL>(f.created), static_cast<ULL>(f.closed),
                static_cast<ULL>(f.idle_timeouts), static_cast<ULL>(f.hard_timeouts),
                static_cast<ULL>(f.evicted), static_cast<ULL>(f.drained));
  out += line;
  out += "  protocols:  " + List(s.protocols) + "\n";
  std::vector<std::pair<std::string_view, uint64_t>> drops;
  for (size_t i = 0; i < decode::kDropReasonCount; ++i) {
    if (s.decode.drops[i]) {
      drops.emplace_back(decode::DropReasonName(static_cast<decode::DropReason>(i)),
                         s.decode.drops[i]);
    }
  }
  out += "  drops:      " + List(drops) + "\n";
  const metrics::ReassemblySnapshot& r = s.reassembly;
  std::snprintf(line, sizeof(line),
                "  reassembly: %llu gaps (%s), %llu out-of-order segments, %llu retransmissions "
                "(%llu conflicting), %llu overlaps (%llu conflicting), %llu cap hits\n",
                static_cast<ULL>(r.gaps), common::HumanBytes(r.gap_bytes).c_str(),
                static_cast<ULL>(r.out_of_order_segments), static_cast<ULL>(r.retransmissions),
                static_cast<ULL>(r.retransmission_conflicts), static_cast<ULL>(r.overlaps),
                static_cast<ULL>(r.overlap_conflicts),
                static_cast<ULL>(r.per_flow_cap_hits + r.segment_cap_hits + r.global_cap_hits));
  out += line;
  if (r.weak_segments + r.weak_controls_ignored > 0) {
    std::snprintf(line, sizeof(line),
                  "  checksums:  %llu weak segments (%llu ranges replaced, %llu used, %llu "
                  "discarded), %llu weak SYN/RST/FIN ignored (%llu SYNs later acknowledged)\n",
                  static_cast<ULL>(r.weak_segments), static_cast<ULL>(r.weak_replaced),
                  static_cast<ULL>(r.weak_used), static_cast<ULL>(r.weak_discarded),
                  static_cast<ULL>(r.weak_controls_ignored),
                  static_cast<ULL>(r.weak_syns_confirmed));
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "  storage:    %llu requests (%llu ledger lines); %llu HTTP flows, %llu TLS flows, "
                "%llu other HTTP requests\n",
                static_cast<ULL>(StorageRequests(s)), static_cast<ULL>(s.ledger.lines),
                static_cast<ULL>(s.app.http_flows), static_cast<ULL>(s.app.tls_flows),
                static_cast<ULL>(NonStorageHttp(s)));
  out += line;
  // Only when something happened to the ledger: a run that lost lines must say so, and how many.
  if (s.ledger.lines_lost + s.ledger.reopens > 0) {
    std::snprintf(line, sizeof(line),
                  "  ledger:     %llu lines LOST (in no ledger file: failed writes, no file open, "
                  "or lines of a deleted file not recovered); reopened %llu times after the file "
                  "was deleted or moved away\n",
                  static_cast<ULL>(s.ledger.lines_lost), static_cast<ULL>(s.ledger.reopens));
    out += line;
  }
  std::snprintf(line, sizeof(line), "  alerts:     %llu raised\n",
                static_cast<ULL>(s.alert_totals.raised));
  out += line;
  if (c.live) {
    std::snprintf(line, sizeof(line), "  kernel:     %llu dropped, %llu dropped by the interface\n",
                  static_cast<ULL>(c.kernel_drops), static_cast<ULL>(c.interface_drops));
    out += line;
  }
  return out;
}

}  // namespace bw::pipeline
