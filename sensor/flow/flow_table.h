#pragma once
// FlowTable<Data>: the bounded per-worker table of live flows.
//
// Guarantees:
//  - Memory is bounded at construction: a power-of-two bucket array (load factor <= 1/2) that
//    starts small and doubles with the flows up to 2 x max_flows buckets, and an entry pool of
//    exactly `max_flows` slots. Nothing is allocated per packet besides those rare doublings;
//    Data is constructed in place when a flow is created and destroyed when it ends, never
//    moved. The pool is reserved, not touched: its pages become resident as flows use them, and
//    freed slots are reused last-in first-out so a lightly loaded table stays compact.
//  - Every flow that leaves the table does so through the end callback, exactly once, with its
//    reason (evicted, idle/hard timeout, closed, shutdown), and every reason is counted.
//  - When the table is full, creating a flow evicts the least recently used one (lingering
//    closed flows first, since nothing more is expected from them).
//  - Expire(now) costs O(flows removed + 3): each timeout class (TCP, other, closed) keeps its
//    own LRU list ordered by last activity, so the walk starts at the oldest end and stops at
//    the first live flow. The hard timeout is checked on that walk and whenever FindOrInsert
//    finds a flow, so a busy flow past it ends at its next packet.
//  - Deletion uses backward-shift (no tombstones), so probe lengths never degrade over time.
//
// Not thread-safe: one worker owns a table. Counters are relaxed atomics so the metrics thread
// may read them. The end callback must not call back into the table (it is running inside a
// table operation); it should flush the flow's application state and return.

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "dissectors/common/counter.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/flow/flow_key.h"

namespace bw::flow {

// Finite defaults: a flow is never kept forever and the table never grows.
struct FlowLimits {
  size_t max_flows = size_t{1} << 20;
  TimestampNs tcp_idle_timeout = 120 * kNsPerSecond;
  TimestampNs other_idle_timeout = 30 * kNsPerSecond;  // UDP and anything not TCP
  // How long a flow marked closed (both TCP directions ended) lingers, so that trailing ACKs and
  // retransmitted FINs land on it instead of creating a fresh mid-stream flow.
  TimestampNs closed_linger = 5 * kNsPerSecond;
  TimestampNs hard_timeout = 3600 * kNsPerSecond;
};

enum class FlowEndReason : uint8_t {
  kEvicted,      // table full, least recently used flow made room
  kIdleTimeout,  // no packet for longer than the idle timeout
  kHardTimeout,  // alive for longer than the hard timeout
  kClosed,       // Remove() by the owner, or a closed flow whose linger time passed
  kShutdown,     // Drain() at the end of a run
};

constexpr const char* FlowEndReasonName(FlowEndReason r) {
  switch (r) {
    case FlowEndReason::kEvicted:
      return "evicted";
    case FlowEndReason::kIdleTimeout:
      return "idle_timeout";
    case FlowEndReason::kHardTimeout:
      return "hard_timeout";
    case FlowEndReason::kClosed:
      return "closed";
    case FlowEndReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

// When a flow was first and last seen (capture time).
struct FlowTimes {
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
};

// Written by the owning worker only; relaxed loads from other threads are fine.
struct FlowTableCounters {
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> evicted{0};
  std::atomic<uint64_t> idle_timeouts{0};
  std::atomic<uint64_t> hard_timeouts{0};
  std::atomic<uint64_t> closed{0};
  std::atomic<uint64_t> drained{0};
  std::atomic<uint64_t> active{0};  // gauge: flows in the table now
  // Kept by the owner, which knows what its Data holds (see Worker): bytes of flow state now,
  // the most ever, and evictions made to stay under the memory cap (also counted in evicted).
  std::atomic<uint64_t> memory_bytes{0};
  std::atomic<uint64_t> memory_high_water{0};
  std::atomic<uint64_t> evicted_memory{0};
};

template <typename Data>
class FlowTable {
 public:
  // Called once for every flow leaving the table, before its Data is destroyed.
  using EndCallback =
      std::function<void(const FlowKey&, Data&, const FlowTimes&, FlowEndReason, TimestampNs now)>;

  // `max_flows` is clamped to [1, 2^30]. The callback may be empty.
  explicit FlowTable(const FlowLimits& limits, EndCallback on_end = {})
      : limits_(limits), on_end_(std::move(on_end)) {
    max_flows_ = std::clamp<size_t>(limits_.max_flows, 1, size_t{1} << 30);
    max_buckets_ = 8;
    while (max_buckets_ < 2 * max_flows_) max_buckets_ <<= 1;
    AllocateBuckets(std::min(max_buckets_, kInitialBuckets));
    entries_ = std::allocator<Entry>().allocate(max_flows_);
    free_.reserve(max_flows_);
  }

  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Destroys the remaining flows without callbacks (call Drain() first to flush them).
  ~FlowTable() {
    for (size_t i = 0; i <= mask_; ++i) {
      if (buckets_[i].used()) std::destroy_at(&entries_[buckets_[i].entry()]);
    }
    std::free(buckets_);
    std::allocator<Entry>().deallocate(entries_, max_flows_);
  }

  // Pure lookup: no timestamps change, nothing expires.
  Data* Lookup(const FlowKey& key) {
    uint32_t e = FindEntry(key, key.Hash());
    return e == kNone ? nullptr : &entries_[e].data;
  }
  const FlowTimes* Times(const FlowKey& key) const {
    uint32_t e = FindEntry(key, key.Hash());
    return e == kNone ? nullptr : &entries_[e].times;
  }

  // The per-packet call. Finds the flow and touches it at `ts`; a flow found past its idle or
  // hard timeout is ended first (callback) and replaced by a fresh one. A new flow is built as
  // Data(args...); when the table is full the least recently used flow is evicted to make room.
  // `inserted` tells whether the returned flow is new.
  template <typename... Args>
  Data* FindOrInsert(const FlowKey& key, TimestampNs ts, bool& inserted, Args&&... args) {
    const uint64_t hash = key.Hash();
    uint32_t e = FindEntry(key, hash);
    if (e != kNone) {
      FlowEndReason why;
      if (!IsExpired(entries_[e], ts, why)) {
        inserted = false;
        TouchEntry(e, ts);
        return &entries_[e].data;
      }
      RemoveEntry(e, why, ts);
    }
    if (size_ == max_flows_) EvictOne(ts);
    if (free_.empty()) {
      e = static_cast<uint32_t>(never_used_++);
    } else {
      e = free_.back();
      free_.pop_back();
    }
    Entry* entry = std::construct_at(&entries_[e], key, hash, ts, std::forward<Args>(args)...);
    entry->lru_class = key.proto == decode::kIpProtoTcp ? kClassTcp : kClassOther;
    LinkTail(e);
    if (2 * (size_ + 1) > bucket_count() && bucket_count() < max_buckets_) Grow();
    InsertBucket(e, hash);
    ++size_;
    Bump(counters_.created);
    counters_.active.store(size_, std::memory_order_relaxed);
    inserted = true;
    return &entry->data;
  }

  // Marks activity without a lookup result; false when the flow is unknown.
  bool Touch(const FlowKey& key, TimestampNs ts) {
    uint32_t e = FindEntry(key, key.Hash());
    if (e == kNone) return false;
    TouchEntry(e, ts);
    return true;
  }

  // The owner saw the connection close (both FINs or a RST): the flow stays for `closed_linger`
  // so trailing packets find it, then ends with kClosed. False when the flow is unknown.
  bool MarkClosed(const FlowKey& key, TimestampNs ts) {
    uint32_t e = FindEntry(key, key.Hash());
    if (e == kNone) return false;
    Unlink(e);
    entries_[e].lru_class = kClassClosed;
    entries_[e].times.last_seen = std::max(entries_[e].times.last_seen, ts);
    LinkTail(e);
    return true;
  }

  // Ends a flow now (callback with kClosed). False when the flow is unknown.
  bool Remove(const FlowKey& key, TimestampNs now) {
    uint32_t e = FindEntry(key, key.Hash());
    if (e == kNone) return false;
    RemoveEntry(e, FlowEndReason::kClosed, now);
    return true;
  }

  // Ends flows idle past their class timeout (closed flows: past the linger time, reason
  // kClosed) or alive past the hard timeout, oldest first, at most `max_removals` of them.
  // Returns how many were removed.
  size_t Expire(TimestampNs now, size_t max_removals = std::numeric_limits<size_t>::max()) {
    size_t removed = 0;
    for (uint8_t c = 0; c < kClassCount; ++c) {
      while (removed < max_removals && lru_head_[c] != kNone) {
        uint32_t e = lru_head_[c];
        FlowEndReason why;
        if (!IsExpired(entries_[e], now, why)) break;
        RemoveEntry(e, why, now);
        ++removed;
      }
    }
    return removed;
  }

  // Evicts the least recently used flow (lingering closed flows first), as when the table is
  // full; the owner calls it to stay under a memory cap. False when the table is empty.
  bool EvictLeastRecent(TimestampNs now) {
    if (size_ == 0) return false;
    EvictOne(now);
    return true;
  }

  // Ends every flow (callback with kShutdown), oldest first.
  void Drain(TimestampNs now) {
    for (uint8_t c = 0; c < kClassCount; ++c) {
      // A flow that already closed is reported as closed, not cut short by the shutdown.
      const FlowEndReason why =
          c == kClassClosed ? FlowEndReason::kClosed : FlowEndReason::kShutdown;
      while (lru_head_[c] != kNone) RemoveEntry(lru_head_[c], why, now);
    }
  }

  // Visits every flow, least recently used first within each timeout class:
  // f(const FlowKey&, Data&, const FlowTimes&). `f` must not modify the table.
  template <typename F>
  void ForEach(F&& f) {
    for (uint8_t c = 0; c < kClassCount; ++c) {
      for (uint32_t e = lru_head_[c]; e != kNone; e = entries_[e].next) {
        f(static_cast<const FlowKey&>(entries_[e].key), entries_[e].data,
          static_cast<const FlowTimes&>(entries_[e].times));
      }
    }
  }

  size_t size() const { return size_; }
  size_t max_flows() const { return max_flows_; }
  size_t bucket_count() const { return mask_ + 1; }
  const FlowTableCounters& counters() const { return counters_; }
  FlowTableCounters& owner_counters() { return counters_; }
  const FlowLimits& limits() const { return limits_; }
  // Bytes reserved at construction (bucket array and entry pool), for the memory gauge.
  size_t reserved_bytes() const {
    return bucket_count() * sizeof(Bucket) + max_flows_ * sizeof(Entry) +
           free_.capacity() * sizeof(uint32_t);
  }
  // Bytes of one pool slot (key, times, links and Data), for sizing reports.
  static constexpr size_t EntrySize() { return sizeof(Entry); }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  enum : uint8_t { kClassTcp = 0, kClassOther = 1, kClassClosed = 2, kClassCount = 3 };

  struct Entry {
    template <typename... Args>
    Entry(const FlowKey& k, uint64_t h, TimestampNs ts, Args&&... args)
        : key(k), hash(h), times{ts, ts}, data(std::forward<Args>(args)...) {}
    FlowKey key;
    uint64_t hash;
    FlowTimes times;
    uint32_t prev = kNone;  // LRU links: entry indices, stable because the pool never moves
    uint32_t next = kNone;
    uint8_t lru_class = kClassTcp;
    Data data;
  };

  // A bucket holds an entry index and the high half of its hash, so most probe mismatches are
  // rejected without touching the entry.
  struct Bucket {
    uint32_t entry_plus_one;  // 0: empty (so a zeroed array is an empty table)
    uint32_t tag;
    bool used() const { return entry_plus_one != 0; }
    uint32_t entry() const { return entry_plus_one - 1; }
  };

  static void Bump(std::atomic<uint64_t>& c) { bw::Bump(c); }

  // The index starts small and doubles as flows arrive (load factor <= 1/2), up to twice
  // max_flows: a sensor tracking a thousand flows probes a bucket array that fits in cache, not
  // one sized for a million. Doubling rehashes every flow once: O(flows), log2(max) times in the
  // life of the table, never per packet otherwise.
  static constexpr size_t kInitialBuckets = 4096;

  void AllocateBuckets(size_t count) {
    // calloc: a zeroed bucket is empty, and large zeroed allocations come straight from the
    // kernel untouched.
    buckets_ = static_cast<Bucket*>(std::calloc(count, sizeof(Bucket)));
    if (!buckets_) throw std::bad_alloc();
    mask_ = count - 1;
    AdviseHugePages(buckets_, count * sizeof(Bucket));
  }

  void Grow() {
    Bucket* old = buckets_;
    size_t old_count = bucket_count();
    AllocateBuckets(old_count * 2);
    for (size_t i = 0; i < old_count; ++i) {
      if (old[i].used()) InsertBucket(old[i].entry(), entries_[old[i].entry()].hash);
    }
    std::free(old);
  }

  // Every lookup lands on a random line of the bucket array (16 MiB for a million flows): with
  // 4 KiB pages nearly every one is a TLB miss. Transparent huge pages for the whole-page part
  // of the array make the index a few TLB entries; where THP is off this is a no-op.
  static void AdviseHugePages(void* p, size_t bytes) {
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    auto end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
  static uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & mask_; }

  uint32_t FindEntry(const FlowKey& key, uint64_t hash) const {
    size_t slot = FindSlot(key, hash);
    return slot == kNoSlot ? kNone : buckets_[slot].entry();
  }

  static constexpr size_t kNoSlot = std::numeric_limits<size_t>::max();
  size_t FindSlot(const FlowKey& key, uint64_t hash) const {
    const uint32_t tag = Tag(hash);
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Bucket& b = buckets_[i];
      if (!b.used()) return kNoSlot;
      if (b.tag == tag && entries_[b.entry()].hash == hash && entries_[b.entry()].key == key) {
        return i;
      }
    }
  }

  void InsertBucket(uint32_t e, uint64_t hash) {
    size_t i = Home(hash);
    while (buckets_[i].used()) i = (i + 1) & mask_;
    buckets_[i] = Bucket{e + 1, Tag(hash)};
  }

  // Backward-shift deletion: pull later members of the probe run into the hole whenever their
  // home position does not lie cyclically inside (hole, current].
  void EraseBucket(size_t hole) {
    size_t j = hole;
    for (;;) {
      j = (j + 1) & mask_;
      if (!buckets_[j].used()) break;
      size_t home = Home(entries_[buckets_[j].entry()].hash);
      bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (stays) continue;
      buckets_[hole] = buckets_[j];
      hole = j;
    }
    buckets_[hole] = Bucket{0, 0};
  }

  TimestampNs IdleTimeout(uint8_t c) const {
    switch (c) {
      case kClassTcp:
        return limits_.tcp_idle_timeout;
      case kClassOther:
        return limits_.other_idle_timeout;
      default:
        return limits_.closed_linger;
    }
  }

  // Idle is checked first: a flow that went quiet ended for that reason, whatever its age.
  bool IsExpired(const Entry& en, TimestampNs now, FlowEndReason& why) const {
    if (now - en.times.last_seen > IdleTimeout(en.lru_class)) {
      why = en.lru_class == kClassClosed ? FlowEndReason::kClosed : FlowEndReason::kIdleTimeout;
      return true;
    }
    if (now - en.times.first_seen > limits_.hard_timeout) {
      why = FlowEndReason::kHardTimeout;
      return true;
    }
    return false;
  }

  void TouchEntry(uint32_t e, TimestampNs ts) {
    // Capture time can step back slightly (multi-queue NICs, merged files); last_seen never does.
    entries_[e].times.last_seen = std::max(entries_[e].times.last_seen, ts);
    if (lru_tail_[entries_[e].lru_class] == e) return;
    Unlink(e);
    LinkTail(e);
  }

  void LinkTail(uint32_t e) {
    Entry& en = entries_[e];
    uint8_t c = en.lru_class;
    en.prev = lru_tail_[c];
    en.next = kNone;
    if (lru_tail_[c] != kNone) {
      entries_[lru_tail_[c]].next = e;
    } else {
      lru_head_[c] = e;
    }
    lru_tail_[c] = e;
  }

  void Unlink(uint32_t e) {
    Entry& en = entries_[e];
    uint8_t c = en.lru_class;
    if (en.prev != kNone) {
      entries_[en.prev].next = en.next;
    } else {
      lru_head_[c] = en.next;
    }
    if (en.next != kNone) {
      entries_[en.next].prev = en.prev;
    } else {
      lru_tail_[c] = en.prev;
    }
    en.prev = en.next = kNone;
  }

  // Lingering closed flows go first; otherwise the older of the TCP and other heads.
  void EvictOne(TimestampNs now) {
    uint32_t victim = lru_head_[kClassClosed];
    if (victim == kNone) {
      uint32_t a = lru_head_[kClassTcp];
      uint32_t b = lru_head_[kClassOther];
      if (a == kNone) {
        victim = b;
      } else if (b == kNone) {
        victim = a;
      } else {
        victim = entries_[b].times.last_seen < entries_[a].times.last_seen ? b : a;
      }
    }
    if (victim != kNone) RemoveEntry(victim, FlowEndReason::kEvicted, now);
  }

  void RemoveEntry(uint32_t e, FlowEndReason why, TimestampNs now) {
    Entry& en = entries_[e];
    switch (why) {
      case FlowEndReason::kEvicted:
        Bump(counters_.evicted);
        break;
      case FlowEndReason::kIdleTimeout:
        Bump(counters_.idle_timeouts);
        break;
      case FlowEndReason::kHardTimeout:
        Bump(counters_.hard_timeouts);
        break;
      case FlowEndReason::kClosed:
        Bump(counters_.closed);
        break;
      case FlowEndReason::kShutdown:
        Bump(counters_.drained);
        break;
    }
    // Unhook first so the table is consistent even if the callback inspects it.
    size_t slot = FindSlot(en.key, en.hash);
    if (slot != kNoSlot) EraseBucket(slot);
    Unlink(e);
    --size_;
    counters_.active.store(size_, std::memory_order_relaxed);
    if (on_end_) on_end_(en.key, en.data, en.times, why, now);
    std::destroy_at(&en);
    free_.push_back(e);
  }

  FlowLimits limits_;
  EndCallback on_end_;
  size_t max_flows_ = 0;
  size_t mask_ = 0;
  size_t max_buckets_ = 0;
  size_t size_ = 0;
  Bucket* buckets_ = nullptr;   // mask_ + 1 of them
  Entry* entries_ = nullptr;    // raw pool of max_flows_ slots; live ones are in buckets_
  std::vector<uint32_t> free_;  // released slots, reused last-in first-out
  size_t never_used_ = 0;       // slots [never_used_, max_flows_) were never handed out
  uint32_t lru_head_[kClassCount] = {kNone, kNone, kNone};
  uint32_t lru_tail_[kClassCount] = {kNone, kNone, kNone};
  FlowTableCounters counters_;
};

}  // namespace bw::flow
