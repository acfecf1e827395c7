#pragma once
// Filling a SensorSnapshot from the sensor's live counters. Every Add* function only performs
// relaxed loads of single-writer atomics, so the metrics thread may call them while the workers
// run (except where a parameter says "end of run"); sums over workers are taken here and
// nowhere else, so /metrics, --stats-json and the run summary add up the same counters.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sensor/app/app_counters.h"
#include "sensor/decode/drop_reason.h"
#include "sensor/decode/tcp_checksum.h"
#include "sensor/flow/flow_table.h"
#include "sensor/output/metrics/operation_table.h"
#include "sensor/output/metrics/sensor_snapshot.h"
#include "sensor/output/metrics/storage_request_counters.h"
#include "sensor/reassembly/reassembly_context.h"

namespace bw::metrics {

// Steady-clock nanoseconds, the time base of CaptureSnapshot and CaptureStatus.
int64_t SteadyNowNs();
// The same clock at tick resolution (a few ms), for per-packet liveness stamps: a memory read in
// the vDSO instead of a timer read.
int64_t CoarseSteadyNowNs();

// Liveness and totals of the capture loop, written by the capture thread and read by the
// metrics thread (relaxed atomics, so the sensor's own plain counters need not be shared).
// Packet() is one coarse clock read and a few relaxed stores: cheap enough for every frame.
class CaptureStatus {
 public:
  // Every time here comes from the coarse clock, which Packet() needs for its cost: mixed with
  // the fine clock, a heartbeat could step back by up to a tick (the coarse clock lags it).
  void Start() {
    started_.store(CoarseSteadyNowNs(), kRelaxed);
    Beat();
    Set(CaptureState::kRunning);
  }
  // A capture-loop iteration without a packet (a read timeout on an idle link).
  void Beat() { heartbeat_.store(CoarseSteadyNowNs(), kRelaxed); }
  // Frames were read (implies Beat()).
  void Packet(uint64_t wire_bytes, uint64_t frames = 1) {
    int64_t now = CoarseSteadyNowNs();
    heartbeat_.store(now, kRelaxed);
    last_packet_.store(now, kRelaxed);
    packets_.store(packets_.load(kRelaxed) + frames, kRelaxed);
    bytes_.store(bytes_.load(kRelaxed) + wire_bytes, kRelaxed);
  }
  // pcap_stats totals (cumulative), refreshed by the capture thread now and then.
  void SetKernelStats(uint64_t kernel_drops, uint64_t interface_drops) {
    kernel_drops_.store(kernel_drops, kRelaxed);
    interface_drops_.store(interface_drops, kRelaxed);
  }
  // Interface down/up events (cumulative), from the capture thread.
  void SetLinkEvents(uint64_t down, uint64_t resumed, uint64_t reopens,
                     uint64_t reopen_failures = 0) {
    link_down_.store(down, kRelaxed);
    link_resumed_.store(resumed, kRelaxed);
    link_reopens_.store(reopens, kRelaxed);
    link_reopen_failures_.store(reopen_failures, kRelaxed);
  }
  // The input file ended normally.
  void Finish() { Set(CaptureState::kFinished); }
  // The loop stopped on an error (the message is kept, cut to 159 bytes).
  void Fail(std::string_view error);

  // Copies state, times and totals into `out`.
  void Fill(CaptureSnapshot& out) const;

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;
  void Set(CaptureState s) { state_.store(static_cast<uint8_t>(s), std::memory_order_release); }

  std::atomic<uint8_t> state_{static_cast<uint8_t>(CaptureState::kStarting)};
  std::atomic<int64_t> started_{0};
  std::atomic<int64_t> heartbeat_{0};
  std::atomic<int64_t> last_packet_{0};
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> kernel_drops_{0};
  std::atomic<uint64_t> interface_drops_{0};
  std::atomic<uint64_t> link_down_{0};
  std::atomic<uint64_t> link_resumed_{0};
  std::atomic<uint64_t> link_reopens_{0};
  std::atomic<uint64_t> link_reopen_failures_{0};
  // Written before state_ becomes kFailed (release), read only after acquiring kFailed.
  char error_[160] = {};
};

// Adds one worker's counters (summed into the totals; packets/bytes kept per worker). High
// waters and the deepest pipeline are maxima across workers, except the flow state's, which is
// the sum of each worker's most (what they could have held together).
struct WorkerCountersView {
  int id = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  const flow::FlowTableCounters* flows = nullptr;
  const reassembly::ReassemblyContext* reassembly = nullptr;
  const app::AppCounters* app = nullptr;
  const StorageRequestCounters* storage = nullptr;
  uint64_t tcp_packets = 0;
  uint64_t udp_packets = 0;
  uint64_t other_packets = 0;
  // End of run: a worker's plain map, safe to read only once it stopped.
  const std::map<std::string, uint64_t>* protocols = nullptr;
};
void AddWorker(SensorSnapshot& s, const WorkerCountersView& w);

// Adds storage request counters kept outside the workers (one instance shared by all of them).
void AddStorage(SensorSnapshot& s, const StorageRequestCounters& counters);

void AddDecodeDrops(SensorSnapshot& s, const decode::DropCounters& drops);
// End of run: one decoder's checksum verdicts (each decoder verifies only its own packets).
void AddTcpChecksum(SensorSnapshot& s, const decode::TcpChecksumPolicy& checksum);

// Known alert rule names; anything else is exported as "other". Severities outside the five
// known names become "unknown". Adding a zero still creates the series, so every known
// rule/severity can be exported from the start (increase() then sees the first alert).
inline constexpr std::array<std::string_view, 5> kAlertRules = {
    "anonymous_list", "anonymous_read", "bucket_enumeration", "bulk_exfiltration",
    "new_public_exposure"};
void AddAlerts(SensorSnapshot& s, std::string_view rule, std::string_view severity,
               uint64_t raised);
void AddSuppressed(SensorSnapshot& s, std::string_view rule, uint64_t count);

// Reads /proc/self/status (VmRSS, VmSize, Threads) and /proc/self/stat (start time). Values it
// cannot read stay 0.
ProcessSnapshot ReadProcessSnapshot();
// Parses the text of /proc/self/status; exposed for tests.
void ParseProcStatus(std::string_view text, ProcessSnapshot& out);

}  // namespace bw::metrics
