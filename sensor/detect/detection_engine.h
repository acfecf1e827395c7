#pragma once
// The detection engine: turns storage events (one per HTTP request/response) and encrypted-flow
// summaries into Alerts, per DESIGN.md "Detection rules". Guarantees:
//  - Packet time only: every window, dedup and expiry is driven by the timestamps of the
//    events and of Advance(), so replaying a capture raises the same alerts as live traffic.
//  - Bounded memory: activities (client, provider, account, bucket), clients, dedup entries and
//    encrypted flows are each capped; the least recently used entry is evicted and counted.
//    All of it together is also held under config.memory_bytes (heap bytes estimated per entry
//    as glibc malloc spends them): over it, the LRU entries of the largest kind are evicted.
//    Distinct keys and probed bucket names are exact up to max_distinct per activity/client
//    and max_distinct_total overall, an upper-bound estimate beyond. An activity costs a few
//    hundred bytes plus 1.4 KiB once it reads objects (the bulk window ring), 8 B per distinct
//    key and at most 20 sample keys of <= 256 B. Every stored string is bounded as well, since
//    the packet decides its length: a bucket, container or account name past 256 bytes (longer
//    than any provider allows) is kept as its first 200 bytes plus "...#" and a 64-bit hash of
//    the whole (still distinct); user agents are cut to 512 bytes, TLS server names to 256.
//  - Windows slide in slots of window/60 (10 s for 10 min): an event leaves at most one slot
//    late. Dedup entries outlive their window by one more window when repeats were suppressed,
//    so the next alert of the key carries their count.
//  - One thread: the output stage owns the engine, and only its thread calls OnStorageEvent,
//    OnEncryptedFlow, Advance and Reconfigure (there is no lock; records from every worker reach
//    it in packet-time order). Alerts are delivered to the sink synchronously from that thread,
//    after the event's state changes are complete. Stats() alone may be called from any thread
//    at any time (the metrics server): counters and gauges are relaxed atomics with one writer.
//  - Never throws on event content.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/endpoint.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/config/detection_config.h"
#include "sensor/decode/ip_address.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/known_exposures.h"
#include "sensor/event/encrypted_flow.h"
#include "sensor/event/storage_request.h"

namespace bw::detect {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Called on the engine's thread; must not block it for long, nor call back into the engine.
  virtual void OnAlert(const Alert& alert) = 0;
};

// One dedup entry, as the persisted state holds it: the key of an alert that fired, when it did,
// its window, and the repeats suppressed since.
struct DedupRecord {
  std::string key;
  TimestampNs fired = 0;
  TimestampNs window = 0;
  uint64_t suppressed = 0;
};

// The detection windows open when the state is saved, a bulk read or a name spray in progress,
// as the persisted state holds them: enough to go on counting after a restart, and to fill the
// alert that may follow with what was seen before it.
struct ReadWindowRecord {
  ActivityFacts facts;
  std::vector<uint64_t> distinct;  // hashes of the distinct keys read (DistinctCounter)
  uint64_t distinct_overflow = 0;  // keys counted beyond the exact cap
  std::vector<WindowSlot> slots;   // the bulk-read window's slots, oldest first
};

struct ProbeWindowRecord {
  ProbeFacts facts;
  std::vector<ProbedName> names;  // in probe order
};

struct OpenWindows {
  std::vector<ReadWindowRecord> reads;    // least recently used first
  std::vector<ProbeWindowRecord> probes;  // least recently used first
  uint64_t left_out = 0;                  // windows the byte budget did not take (the oldest)
};

// A plain copy of the counters (for metrics and tests).
struct DetectionStats {
  uint64_t storage_events = 0;
  uint64_t encrypted_summaries = 0;
  uint64_t encrypted_not_storage = 0;             // SNI names no provider pattern recognised
  std::array<uint64_t, kRuleCount> evaluated{};   // events on which a rule's condition held
  std::array<uint64_t, kRuleCount> suppressed{};  // of those, repeats within the dedup window
  std::array<std::array<uint64_t, kSeverityCount>, kRuleCount> alerts{};
  uint64_t denied = 0;  // denied storage requests (any auth)
  uint64_t denied_anonymous = 0;
  uint64_t not_found = 0;
  uint64_t no_response = 0;
  uint64_t allowlisted_cidr = 0;           // events and summaries of trusted clients, skipped
  uint64_t allowlisted_public_bucket = 0;  // anonymous list/read of public buckets, skipped
  uint64_t crawler_downgraded = 0;         // alerts lowered one severity level
  // Gauges (current sizes) and evictions (LRU caps reached).
  uint64_t tracked_activities = 0, tracked_clients = 0, tracked_dedup = 0, tracked_flows = 0;
  uint64_t evicted_activities = 0, evicted_clients = 0, evicted_dedup = 0, evicted_flows = 0;
  uint64_t evicted_probe_names = 0;  // distinct bucket names beyond max_distinct per client
  uint64_t evicted_memory = 0;  // entries of any kind evicted at memory_bytes (also counted above)
  uint64_t memory_bytes = 0;    // bytes of state held (estimated as glibc malloc spends them)
  // The inventory of buckets seen serving anonymously (new_public_exposure): its size, the
  // buckets forgotten at max_buckets, and those recorded silently in the learning period. Its
  // memory is bounded by max_buckets, apart from memory_bytes.
  uint64_t tracked_exposures = 0, evicted_exposures = 0, learned_exposures = 0;
};

class DetectionEngine {
 public:
  DetectionEngine(const config::DetectionConfig& config, AlertSink& sink);
  ~DetectionEngine();
  DetectionEngine(const DetectionEngine&) = delete;
  DetectionEngine& operator=(const DetectionEngine&) = delete;

  void OnStorageEvent(const event::RequestContext& ctx, const storage::StorageEvent& event);
  // Periodically while a TLS flow lives (cumulative totals), and once at its end (final).
  void OnEncryptedFlow(const event::EncryptedFlowSummary& summary);
  // Packet time has reached `now`: expires windows, dedup entries and idle state. Time never
  // goes backwards inside the engine (an older `now` is ignored).
  void Advance(TimestampNs now);
  // SIGHUP: new thresholds, severities and allowlists apply to the next event. State is kept;
  // bulk windows restart when their length changed; caps shrink by evicting LRU entries.
  void Reconfigure(const config::DetectionConfig& config);
  // The stores the operator named (storage.endpoints), so an encrypted flow to one of them is
  // storage traffic by its server name (TargetFromServerName). Before the first event.
  void SetStorageEndpoints(std::vector<storage::EndpointRule> endpoints) {
    endpoints_ = std::move(endpoints);
  }

  // The dedup windows, least recently used first, so that a restarted sensor does not page
  // again for what it already reported (state/learned_state.h). Engine thread only.
  std::vector<DedupRecord> ExportDedup() const;
  // Before the first event: takes over saved dedup entries (at most max_dedup_keys, the most
  // recent kept, in packet time as saved). Entries whose window has passed go with the next
  // sweep, once packet time is known. Engine thread only.
  void RestoreDedup(const std::vector<DedupRecord>& records);

  // The windows open at the current packet time: activities whose bulk-read window holds reads,
  // clients whose probed names are inside the enumeration window. At most about `max_bytes` of
  // serialised state, half for each kind, the most recently used kept. Engine thread only.
  OpenWindows ExportWindows(size_t max_bytes) const;
  // Before the first event (after RestoreDedup): takes saved windows over under the current
  // caps and budget, slots re-slotted for the current window length. Windows that closed while
  // the sensor was down close at the first event, as they would have. Engine thread only.
  void RestoreWindows(const OpenWindows& windows);

  // The buckets seen serving anonymously, for the state file (known_exposures.h). Engine thread
  // only.
  ExposureInventory ExportExposures() const;
  // Before the first event: takes a saved inventory over, at most new_public_exposure.max_buckets
  // (the most recently served kept). Engine thread only.
  void RestoreExposures(const ExposureInventory& saved);

  // Safe from any thread, concurrently with the calls above.
  DetectionStats Stats() const;

 private:
  struct State;
  struct Counters;
  void Deliver(std::vector<Alert>& alerts);
  void PublishGauges(State& state);

  AlertSink& sink_;
  std::vector<storage::EndpointRule> endpoints_;
  std::unique_ptr<State> state_;        // the engine thread's alone
  std::unique_ptr<Counters> counters_;  // written by the engine thread, read by Stats()
};

}  // namespace bw::detect
