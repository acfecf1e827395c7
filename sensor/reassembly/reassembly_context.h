#pragma once
// The per-worker side of TCP reassembly: limits, the shared byte budget, the counters and the key
// of the delivered-bytes hash (DeliveredHistory). One context serves every connection of a worker
// thread; nothing in it is shared between workers.
//
// Guarantees: every byte a reassembler buffers is charged to the budget before it is stored
// and released when it is delivered, declared lost or discarded, so `used()` is exact at all
// times. A charge covers the payload plus a fixed per-segment header (kSegmentOverhead in
// TcpReassembler), so a flood of one-byte segments is bounded in real memory too.

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "dissectors/common/counter.h"
#include "dissectors/common/timestamp.h"
#include "sensor/reassembly/delivered_history.h"

namespace bw::reassembly {

// Finite defaults; behaviour at each bound is a counted gap, never unbounded buffering.
struct ReassemblyLimits {
  // Buffered (out-of-order) bytes per direction of one connection; values above 1 GiB are treated
  // as 1 GiB.
  size_t per_flow_bytes = size_t{1} << 20;
  // Buffered ranges per direction of one connection. The byte cap alone lets tiny segments pile
  // up (1 MiB holds ~21,000 one-byte segments) and placing one costs a walk of the list; this
  // bounds that walk. Reached the same way as per_flow_bytes: the oldest hole becomes a gap.
  uint32_t max_segments_per_flow = 4096;
  // Buffered bytes across all connections of a worker.
  size_t global_bytes = size_t{256} << 20;
  // A hole not filled within this time (capture time) is delivered as a gap.
  TimestampNs hole_timeout = 5 * kNsPerSecond;
  // Segments ending more than this far ahead of, or this far behind, the next expected byte
  // are ignored and counted (serial arithmetic cannot order anything near 2^31 apart). Values
  // above 1 GiB are treated as 1 GiB.
  uint32_t max_window_bytes = uint32_t{1} << 30;
};

// The global cap shared by all connections of one worker.
class ReassemblyMemory {
 public:
  explicit ReassemblyMemory(size_t limit) : limit_(limit) {}

  // Charges `bytes` if the budget allows; false (and nothing charged) otherwise.
  bool TryCharge(size_t bytes) {
    size_t used = used_.load(std::memory_order_relaxed);
    if (bytes > limit_ || used > limit_ - bytes) return false;
    used += bytes;
    used_.store(used, std::memory_order_relaxed);
    if (used > high_water_.load(std::memory_order_relaxed)) {
      high_water_.store(used, std::memory_order_relaxed);
    }
    return true;
  }
  void Release(size_t bytes) {
    size_t used = used_.load(std::memory_order_relaxed);
    if (bytes > used) {
      // Releasing more than was charged is a bookkeeping bug, never packet input: abort in
      // debug builds, count and clamp in release builds.
      assert(bytes <= used && "reassembly memory released twice");
      accounting_errors_.store(accounting_errors_.load(std::memory_order_relaxed) + 1,
                               std::memory_order_relaxed);
      bytes = used;
    }
    used_.store(used - bytes, std::memory_order_relaxed);
  }

  size_t limit() const { return limit_; }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t high_water() const { return high_water_.load(std::memory_order_relaxed); }
  uint64_t accounting_errors() const { return accounting_errors_.load(std::memory_order_relaxed); }

 private:
  size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> high_water_{0};
  std::atomic<uint64_t> accounting_errors_{0};
};

// Written by the owning worker only (relaxed load + store), read by the metrics thread.
struct ReassemblyCounters {
  std::atomic<uint64_t> segments{0};               // TCP segments seen, with or without payload
  std::atomic<uint64_t> bytes_delivered{0};        // bytes handed to OnData
  std::atomic<uint64_t> out_of_order_segments{0};  // buffered behind a hole or a waiting weak range
  std::atomic<uint64_t> retransmissions{0};        // segments with no new byte, dropped
  std::atomic<uint64_t> overlaps{0};               // segments partly overlapping received bytes
  std::atomic<uint64_t> overlap_conflicts{0};      // overlaps whose bytes differ (Linux's rule)
  std::atomic<uint64_t> gaps{0};                   // OnGap events
  std::atomic<uint64_t> gap_bytes{0};              // bytes declared lost
  std::atomic<uint64_t> per_flow_cap_hits{0};      // per-flow cap forced a gap
  std::atomic<uint64_t> segment_cap_hits{0};       // per-flow segment cap forced a gap
  std::atomic<uint64_t> global_cap_hits{0};        // global cap (or allocation) forced a gap
  std::atomic<uint64_t> hole_timeouts{0};          // holes declared lost by age
  std::atomic<uint64_t> out_of_window{0};          // beyond 1 GiB or the receiver's window
  std::atomic<uint64_t> truncated_segments{0};     // snaplen cut the payload (tail is a gap)
  std::atomic<uint64_t> after_end{0};              // data beyond FIN or after the end, ignored
  std::atomic<uint64_t> bad_fins{0};               // FINs contradicting bytes already received

  // Segments carrying bytes already delivered that differ from the delivered copy, as far as
  // the per-direction DeliveredHistory can tell (see delivered_history.h for what it misses).
  // Counted besides `retransmissions` or `overlaps`; the first copy stays.
  std::atomic<uint64_t> retransmission_conflicts{0};

  // Weak segments (a checksum a receiver rejects, see decode/tcp_checksum.h and
  // tcp_reassembler.h): those with data, their buffered ranges a strong copy replaced, those used
  // (the receiver's ACK passed them, or no better copy and no refusal by the end), those discarded
  // (the receiver acknowledged up to them after they were sent and never past them), and weak
  // SYN, RST and FIN flags ignored.
  std::atomic<uint64_t> weak_segments{0};
  std::atomic<uint64_t> weak_replaced{0};
  std::atomic<uint64_t> weak_used{0};
  std::atomic<uint64_t> weak_discarded{0};
  std::atomic<uint64_t> weak_controls_ignored{0};
  std::atomic<uint64_t> weak_syns_confirmed{0};  // ignored weak SYNs the peer then acknowledged
};

using bw::Bump;

struct ReassemblyContext {
  explicit ReassemblyContext(const ReassemblyLimits& l = {},
                             const HistoryKey& key = HistoryKey::Random())
      : limits(l), memory(l.global_bytes), history_key(key) {}
  ReassemblyContext(const ReassemblyContext&) = delete;
  ReassemblyContext& operator=(const ReassemblyContext&) = delete;

  ReassemblyLimits limits;
  ReassemblyMemory memory;  // bytes buffered now and high-water live here
  ReassemblyCounters counters;
  // Keys the hash of delivered bytes (DeliveredHistory); random per worker so that nobody can
  // craft a fake copy that collides with the real one.
  HistoryKey history_key;
};

}  // namespace bw::reassembly
