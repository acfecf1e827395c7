#pragma once
// memory_cap_mib divided between what the sensor needs to run and what traffic can make it hold.
// Guarantees:
//  - Plan(): fixed = resident memory once everything is open (code, nDPI modules, the mapped
//    capture ring) + what is reserved but not yet touched (hand-off rings, the window of a
//    mapped capture file); then detection's share, a margin of
//    max(16 MiB, cap/16) for what is not accounted (allocator slack, ledger and alert buffers),
//    and per-connection state gets the rest. A cap that leaves less than kMinFlowBytes for
//    connections is refused with a message naming every part.
//  - Poll() (capture thread, cheap enough to call every few thousand packets): at most every
//    20 ms it reads the resident size; while that is above cap - margin/2, the connection share
//    is lowered by the excess (never below a quarter of the plan) and freed heap is returned to
//    the kernel (malloc_trim, at most once a second). Below it, the share goes back to the plan.
//    The share is what workers evict at, so resident memory stops growing before the cap.
//  - flows_share() and worker_share(): relaxed atomic reads, any thread; each worker evicts at
//    worker_share() (flows_share() / workers).

#include <atomic>
#include <cstdint>
#include <string>

namespace bw::pipeline {

class MemoryBudget {
 public:
  static constexpr uint64_t kMinFlowBytes = 16ull << 20;

  struct Parts {
    uint64_t cap = 0;        // memory_cap_mib
    uint64_t fixed = 0;      // needed to run, measured at start
    uint64_t detection = 0;  // detection.memory_mib
    uint64_t margin = 0;
    uint64_t flows = 0;  // per-connection state, all workers
  };

  // Resident bytes of this process now (/proc/self/statm); 0 when unreadable.
  static uint64_t ResidentBytes();

  // False (and `error`) when the cap is too small for what the sensor needs to run.
  bool Plan(uint64_t cap, uint64_t detection, uint64_t untouched_bytes, uint32_t workers,
            std::string& error);

  void Poll();

  const Parts& parts() const { return parts_; }
  // Bytes of per-connection state allowed now, all workers together.
  uint64_t flows_share() const { return share_.load(std::memory_order_relaxed); }
  uint64_t worker_share() const { return worker_share_.load(std::memory_order_relaxed); }
  // Polls that found resident memory near the cap and lowered the share.
  uint64_t pressure_polls() const { return pressure_polls_.load(std::memory_order_relaxed); }

 private:
  Parts parts_;
  void SetShare(uint64_t share);

  uint32_t workers_ = 1;
  std::atomic<uint64_t> share_{UINT64_MAX};
  std::atomic<uint64_t> worker_share_{UINT64_MAX};
  std::atomic<uint64_t> pressure_polls_{0};
  int64_t last_poll_ms_ = 0;
  int64_t last_trim_ms_ = 0;
};

}  // namespace bw::pipeline
