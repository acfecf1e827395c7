#pragma once
// The bounded queue from one worker to the output stage, with that worker's watermark.
//
// Guarantees:
//  - One producer (the worker's thread, or whichever thread drives it while it does not run) and
//    one consumer (the output thread); no lock, no allocation after construction: records are
//    moved into preallocated slots. Storage requests also travel back: Pop puts a finished one
//    (holding at most kRetainedRequestBytes of heap) into a return ring of kRecycled, and
//    PushSwap hands one from there to the producer in exchange for the request it pushes, so
//    in steady state handing a storage request over allocates nothing. The return ring holds at
//    most kRecycled x kRetainedRequestBytes; when it is empty (the consumer is behind), the
//    producer gets an empty request and allocates as it fills it.
//  - Bounded: `capacity` records. When full, kWait blocks the producer until the consumer makes
//    room (reading a file: nothing is lost, the file waits), kDrop drops the record and counts it
//    (live: the worker must keep up with the wire, the kernel would drop whole packets instead).
//  - The watermark is a promise: no record pushed after Advance(t) has a stamp below t. It is
//    published after the records before it (release), so a consumer that reads the watermark
//    first and then finds the queue empty may rely on it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "sensor/pipeline/output_record.h"

namespace bw::pipeline {

// Wakes the output thread early: when a producer waits for room, and at the end. The sleeper
// also wakes by itself after a short timeout (it must notice records and watermarks move), so a
// ring lost to a race costs at most that timeout, never a hang.
class Doorbell {
 public:
  void Ring() {
    if (!sleeping_.load(std::memory_order_seq_cst)) return;
    std::lock_guard lock(mu_);
    rung_ = true;
    cv_.notify_one();
  }
  template <typename Duration>
  void Wait(Duration timeout) {
    std::unique_lock lock(mu_);
    sleeping_.store(true, std::memory_order_seq_cst);
    cv_.wait_for(lock, timeout, [this] { return rung_; });
    rung_ = false;
    sleeping_.store(false, std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> sleeping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool rung_ = false;
};

struct OutputQueueCounters {
  std::atomic<uint64_t> pushed{0};
  std::atomic<uint64_t> dropped{0};  // kDrop: records lost to a full queue
  std::atomic<uint64_t> waits{0};    // kWait: times the producer waited for room
};

class OutputQueue {
 public:
  enum class WhenFull : uint8_t { kWait, kDrop };
  static constexpr TimestampNs kForever = std::numeric_limits<TimestampNs>::max();
  // Storage requests kept for the producer, and the heap each may hold (see the guarantees).
  static constexpr size_t kRecycled = 256;
  static constexpr size_t kRetainedRequestBytes = 2048;

  OutputQueue(size_t capacity, WhenFull when_full, Doorbell& doorbell)
      : slots_(capacity == 0 ? 1 : capacity), when_full_(when_full), doorbell_(doorbell) {}
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  // Producer. Moves `record` in; false when it was dropped (kDrop and full).
  bool Push(OutputRecord&& record) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (!Room(tail)) return false;
    slots_[tail % slots_.size()] = std::move(record);
    Publish(tail);
    return true;
  }
  // Producer. Moves `request` in and leaves in it a request the consumer is done with (stale
  // content, storage kept) or an empty one; false when it was dropped (kDrop and full),
  // `request` then unchanged.
  bool PushSwap(TimestampNs stamp, event::StorageRequest& request) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (!Room(tail)) return false;
    OutputRecord& slot = slots_[tail % slots_.size()];
    slot.stamp = stamp;
    slot.body.emplace<event::StorageRequest>(std::move(request));
    const uint64_t taken = recycled_head_.load(std::memory_order_relaxed);
    if (taken != recycled_tail_.load(std::memory_order_acquire)) {
      std::swap(request, recycled_[taken % kRecycled]);
      recycled_head_.store(taken + 1, std::memory_order_release);
    }
    Publish(tail);
    return true;
  }
  // Called, over and over, while the producer waits for room; it then polls instead of sleeping.
  // For a producer that also feeds others what the consumer may be waiting for (the capture
  // thread running a worker of its own hands the other workers its clock).
  void SetWaitHook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  // From now on a full queue makes the producer wait (at the end of input, when no packet is
  // left to lose: the flows drained then must not be dropped).
  void WaitWhenFull() { when_full_ = WhenFull::kWait; }
  void Advance(TimestampNs t) {
    if (t > watermark_.load(std::memory_order_relaxed)) {
      watermark_.store(t, std::memory_order_release);
    }
  }

  // Consumer. The oldest record, or null when there is none.
  OutputRecord* Front() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return nullptr;
    }
    return &slots_[head % slots_.size()];
  }
  // Done with the front record. A storage request small enough goes to the return ring while
  // it has room; anything else is freed here, on the consumer's thread.
  void Pop() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    OutputRecord& slot = slots_[head % slots_.size()];
    auto* request = std::get_if<event::StorageRequest>(&slot.body);
    if (request != nullptr && event::HeapBytes(*request) <= kRetainedRequestBytes) {
      const uint64_t kept = recycled_tail_.load(std::memory_order_relaxed);
      if (kept - recycled_head_.load(std::memory_order_acquire) < kRecycled) {
        recycled_[kept % kRecycled] = std::move(*request);
        recycled_tail_.store(kept + 1, std::memory_order_release);
      }
    }
    slot.body = std::monostate{};
    head_.store(head + 1, std::memory_order_seq_cst);
    if (producer_waiting_.load(std::memory_order_seq_cst)) {
      room_seq_.fetch_add(1, std::memory_order_seq_cst);
      room_seq_.notify_one();
    }
  }
  TimestampNs watermark() const { return watermark_.load(std::memory_order_acquire); }
  size_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  size_t capacity() const { return slots_.size(); }
  const OutputQueueCounters& counters() const { return counters_; }

 private:
  // Whether slot `tail` may be written, waiting for it when full and kWait.
  bool Room(uint64_t tail) {
    if (tail - head_cache_ != slots_.size()) return true;
    head_cache_ = head_.load(std::memory_order_acquire);
    if (tail - head_cache_ != slots_.size()) return true;
    if (when_full_ == WhenFull::kDrop) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    WaitForRoom(tail);
    return true;
  }
  void Publish(uint64_t tail) {
    tail_.store(tail + 1, std::memory_order_release);
    counters_.pushed.fetch_add(1, std::memory_order_relaxed);
    // No ring per record: the consumer wakes by itself within its idle wait (a millisecond) and
    // then takes everything queued; waking it per record cost a futex call and a context switch
    // each. A producer that waits for room rings (WaitForRoom).
  }

  void WaitForRoom(uint64_t tail) {
    counters_.waits.fetch_add(1, std::memory_order_relaxed);
    while (wait_hook_) {
      wait_hook_();
      doorbell_.Ring();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ < slots_.size()) return;
    }
    for (;;) {
      // Announce, then re-check: a Pop after the announcement bumps the sequence we wait on.
      uint32_t seq = room_seq_.load(std::memory_order_seq_cst);
      producer_waiting_.store(true, std::memory_order_seq_cst);
      head_cache_ = head_.load(std::memory_order_seq_cst);
      if (tail - head_cache_ < slots_.size()) break;
      doorbell_.Ring();  // the consumer may be asleep with everything it needs already queued
      room_seq_.wait(seq, std::memory_order_seq_cst);
    }
    producer_waiting_.store(false, std::memory_order_relaxed);
  }

  std::vector<OutputRecord> slots_;
  WhenFull when_full_;
  Doorbell& doorbell_;
  std::function<void()> wait_hook_;
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;  // producer's last view of head_
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // consumer's last view of tail_
  alignas(64) std::atomic<TimestampNs> watermark_{0};
  std::atomic<bool> producer_waiting_{false};
  // The return ring: written by the consumer (Pop), taken from by the producer (PushSwap).
  std::vector<event::StorageRequest> recycled_ = std::vector<event::StorageRequest>(kRecycled);
  alignas(64) std::atomic<uint64_t> recycled_tail_{0};
  alignas(64) std::atomic<uint64_t> recycled_head_{0};
  std::atomic<uint32_t> room_seq_{0};
  OutputQueueCounters counters_;
};

}  // namespace bw::pipeline
