#include "sensor/output/metrics/snapshot_builder.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace bw::metrics {
namespace {

uint64_t Load(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }

constexpr std::array<std::string_view, 5> kSeverities = {"info", "low", "medium", "high",
                                                         "critical"};

// "VmRSS:\t  1234 kB" -> 1234 * 1024.
uint64_t ParseKbField(std::string_view value) {
  size_t i = 0;
  while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data() + i, value.data() + value.size(), n);
  if (ec != std::errc()) return 0;
  std::string_view unit(ptr, value.data() + value.size() - ptr);
  return unit.find("kB") != std::string_view::npos ? n * 1024 : n;
}

}  // namespace

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t CoarseSteadyNowNs() {
  timespec ts{};
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return SteadyNowNs();
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void CaptureStatus::Fail(std::string_view error) {
  size_t n = std::min(error.size(), sizeof(error_) - 1);
  std::memcpy(error_, error.data(), n);
  error_[n] = '\0';
  Set(CaptureState::kFailed);
}

void CaptureStatus::Fill(CaptureSnapshot& out) const {
  out.state = static_cast<CaptureState>(state_.load(std::memory_order_acquire));
  if (out.state == CaptureState::kFailed) out.error = error_;
  out.started_steady_ns = started_.load(kRelaxed);
  out.heartbeat_steady_ns = heartbeat_.load(kRelaxed);
  out.last_packet_steady_ns = last_packet_.load(kRelaxed);
  out.packets = packets_.load(kRelaxed);
  out.bytes = bytes_.load(kRelaxed);
  out.kernel_drops = kernel_drops_.load(kRelaxed);
  out.interface_drops = interface_drops_.load(kRelaxed);
  out.link_down = link_down_.load(kRelaxed);
  out.link_resumed = link_resumed_.load(kRelaxed);
  out.link_reopens = link_reopens_.load(kRelaxed);
  out.link_reopen_failures = link_reopen_failures_.load(kRelaxed);
}

void AddWorker(SensorSnapshot& s, const WorkerCountersView& w) {
  s.workers.push_back({w.id, w.packets, w.bytes});
  s.packets.processed += w.packets;
  s.packets.tcp += w.tcp_packets;
  s.packets.udp += w.udp_packets;
  s.packets.other += w.other_packets;
  if (w.flows) {
    const auto& f = *w.flows;
    s.flows.active += Load(f.active);
    s.flows.created += Load(f.created);
    s.flows.evicted += Load(f.evicted);
    s.flows.idle_timeouts += Load(f.idle_timeouts);
    s.flows.hard_timeouts += Load(f.hard_timeouts);
    s.flows.closed += Load(f.closed);
    s.flows.drained += Load(f.drained);
    s.flows.evicted_memory += Load(f.evicted_memory);
    s.flows.memory_bytes += Load(f.memory_bytes);
    s.flows.memory_high_water_bytes += Load(f.memory_high_water);
  }
  if (w.reassembly) {
    const auto& c = w.reassembly->counters;
    auto& r = s.reassembly;
    r.segments += Load(c.segments);
    r.bytes_delivered += Load(c.bytes_delivered);
    r.out_of_order_segments += Load(c.out_of_order_segments);
    r.bytes_buffered += w.reassembly->memory.used();
    r.retransmissions += Load(c.retransmissions);
    r.overlaps += Load(c.overlaps);
    r.overlap_conflicts += Load(c.overlap_conflicts);
    r.retransmission_conflicts += Load(c.retransmission_conflicts);
    r.gaps += Load(c.gaps);
    r.gap_bytes += Load(c.gap_bytes);
    r.per_flow_cap_hits += Load(c.per_flow_cap_hits);
    r.segment_cap_hits += Load(c.segment_cap_hits);
    r.global_cap_hits += Load(c.global_cap_hits);
    r.hole_timeouts += Load(c.hole_timeouts);
    r.out_of_window += Load(c.out_of_window);
    r.truncated_segments += Load(c.truncated_segments);
    r.weak_segments += Load(c.weak_segments);
    r.weak_replaced += Load(c.weak_replaced);
    r.weak_used += Load(c.weak_used);
    r.weak_discarded += Load(c.weak_discarded);
    r.weak_controls_ignored += Load(c.weak_controls_ignored);
    r.weak_syns_confirmed += Load(c.weak_syns_confirmed);
    r.buffered_high_water =
        std::max<uint64_t>(r.buffered_high_water, w.reassembly->memory.high_water());
  }
  if (w.app) {
    const auto& a = *w.app;
    s.app.http_flows += Load(a.http_flows);
    s.app.tls_flows += Load(a.tls_flows);
    s.app.other_flows += Load(a.other_flows);
    s.app.tls_client_hellos += Load(a.tls_client_hellos);
    s.app.storage_events += Load(a.storage_events);
    s.app.non_storage_http += Load(a.non_storage_http);
    s.app.object_digest_matches += Load(a.object_digest_matches);
    s.app.object_digest_mismatches += Load(a.object_digest_mismatches);
    s.app.tls_decrypt_attempts += Load(a.tls_decrypt_attempts);
    s.app.tls_decrypted += Load(a.tls_decrypted);
    s.app.tls_waited_for_keys += Load(a.tls_waited_for_keys);
    s.app.tls_http2 += Load(a.tls_http2);
    s.app.tls_parked += Load(a.tls_parked);
    s.app.tls_early_data_bytes += Load(a.tls_early_data_bytes);
    s.app.tls_early_data_rejected_bytes += Load(a.tls_early_data_rejected_bytes);
    s.app.tls_early_records_skipped += Load(a.tls_early_records_skipped);
    for (size_t i = 0; i < s.app.tls_decrypt_failures.size(); ++i) {
      s.app.tls_decrypt_failures[i] += Load(a.tls_decrypt_failures[i]);
    }
    const auto& h = a.http;
    auto& o = s.http;
    o.requests += Load(h.requests);
    o.responses += Load(h.responses);
    o.transactions += Load(h.transactions);
    o.no_response += Load(h.no_response);
    o.truncated += Load(h.truncated);
    o.resyncs += Load(h.resyncs);
    o.gaps += Load(h.gaps);
    o.lost_requests += Load(h.lost_requests);
    o.tunnels += Load(h.tunnels);
    o.gave_up += Load(h.gave_up);
    o.pipelined_max_depth = std::max(o.pipelined_max_depth, Load(h.pipelined_max_depth));
    for (size_t i = 0; i < http::kHttpErrorCount; ++i) o.errors[i] += Load(h.errors[i]);
  }
  if (w.storage) AddStorage(s, *w.storage);
  if (w.protocols) {
    for (const auto& [name, n] : *w.protocols) s.protocols[name] += n;
  }
}

void AddStorage(SensorSnapshot& s, const StorageRequestCounters& counters) {
  for (size_t p = 0; p < kProviderCount; ++p) {
    for (size_t op = 0; op < OperationCount(); ++op) {
      for (size_t a = 0; a < kAuthClassCount; ++a) {
        for (size_t o = 0; o < kOutcomeCount; ++o) {
          uint64_t n = counters.Requests(p, op, a, o);
          if (n == 0) continue;
          StorageSnapshot::Key key{static_cast<uint8_t>(p), static_cast<uint16_t>(op),
                                   static_cast<uint8_t>(a), static_cast<uint8_t>(o)};
          s.storage.requests[key] += n;
        }
      }
    }
    s.storage.anonymous_bytes_served[p] += counters.AnonymousBytesServed(p);
  }
}

void AddDecodeDrops(SensorSnapshot& s, const decode::DropCounters& drops) {
  for (size_t i = 0; i < decode::kDropReasonCount; ++i) {
    s.decode.drops[i] += drops.Get(static_cast<decode::DropReason>(i));
  }
}

void AddTcpChecksum(SensorSnapshot& s, const decode::TcpChecksumPolicy& checksum) {
  TcpChecksumSnapshot& t = s.decode.tcp_checksum;
  t.good += checksum.good();
  t.unfilled += checksum.unfilled();
  t.bad += checksum.bad();
  t.rejected += checksum.rejected();
  t.unverifiable += checksum.unverifiable();
}

namespace {
std::string_view FoldRule(std::string_view rule) {
  for (auto known : kAlertRules) {
    if (rule == known) return known;
  }
  return "other";
}
}  // namespace

void AddAlerts(SensorSnapshot& s, std::string_view rule, std::string_view severity,
               uint64_t raised) {
  std::string_view r = FoldRule(rule);
  std::string_view sev = "unknown";
  for (auto known : kSeverities) {
    if (severity == known) sev = known;
  }
  for (auto& a : s.alerts) {
    if (a.rule == r && a.severity == sev) {
      a.raised += raised;
      return;
    }
  }
  s.alerts.push_back({std::string(r), std::string(sev), raised});
}

void AddSuppressed(SensorSnapshot& s, std::string_view rule, uint64_t count) {
  std::string_view r = FoldRule(rule);
  for (auto& a : s.suppressed) {
    if (a.rule == r) {
      a.count += count;
      return;
    }
  }
  s.suppressed.push_back({std::string(r), count});
}

void ParseProcStatus(std::string_view text, ProcessSnapshot& out) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (name == "VmRSS") out.resident_bytes = ParseKbField(value);
    if (name == "VmHWM") out.peak_resident_bytes = ParseKbField(value);
    if (name == "VmSize") out.virtual_bytes = ParseKbField(value);
    if (name == "Threads") out.threads = ParseKbField(value);
  }
}

ProcessSnapshot ReadProcessSnapshot() {
  ProcessSnapshot out;
  {
    std::ifstream f("/proc/self/status");
    std::stringstream ss;
    ss << f.rdbuf();
    ParseProcStatus(ss.str(), out);
  }
  // Field 22 of /proc/self/stat is the start time in clock ticks after boot; the comm field
  // (2) may contain spaces, so count fields after its closing parenthesis.
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  std::ifstream uptime_file("/proc/uptime");
  double uptime = 0;
  uptime_file >> uptime;
  long ticks = sysconf(_SC_CLK_TCK);
  if (close != std::string::npos && uptime > 0 && ticks > 0) {
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    // After ')' come fields 3..; the start time is field 22, the 20th of them.
    for (int i = 3; i <= 22 && (rest >> field); ++i) {
      if (i == 22) {
        double start_after_boot = std::strtod(field.c_str(), nullptr) / static_cast<double>(ticks);
        double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        out.start_time_seconds = now - uptime + start_after_boot;
      }
    }
  }
  return out;
}

}  // namespace bw::metrics
