#pragma once
// Single-producer single-consumer ring that hands decoded packets from the capture thread to
// one worker. Records are copied in contiguously (PacketMeta + the IP packet bytes) and made
// visible in batches, so the hand-off costs one memcpy and an occasional release/acquire pair
// per batch, never a lock or an allocation. A side with nothing to do sleeps on a futex
// (std::atomic::wait) instead of spinning: with more threads than cores, a spinning worker
// would take the CPU from the capture thread it waits for.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "sensor/decode/packet_meta.h"
#include "sensor/output/metrics/snapshot_builder.h"

namespace bw::pipeline {

// kTick advances the worker's clock and expires its flows; kClock only advances the clock (the
// capture thread's time, so an idle worker's watermark keeps up for the output stage's merge).
enum class RecordKind : uint32_t { kPacket = 1, kTick = 2, kWrap = 3, kClock = 4 };

class PacketRing {
 public:
  explicit PacketRing(size_t capacity_bytes);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // Producer side. False when there is no room (the caller waits or drops and counts).
  bool TryPushPacket(const decode::PacketMeta& meta);
  bool TryPushTick(TimestampNs now, RecordKind kind = RecordKind::kTick);
  // Makes everything pushed so far visible to the consumer. A sleeping consumer is woken only
  // once a worthwhile batch is waiting (kWakeBytes) or the oldest waiting record may be getting
  // stale (a clock tick since the last wake), or when `flush` asks (idle link, tick, end):
  // waking per small batch cost more CPU in futex calls and context switches than the packets.
  void Publish(bool flush = false) {
    unpublished_ = 0;
    if (write_published_.load(std::memory_order_relaxed) != write_local_) {
      write_published_.store(write_local_, std::memory_order_seq_cst);
    }
    if (!consumer_waiting_.load(std::memory_order_seq_cst)) return;
    // A sleeping consumer has released everything it read, so this is what waits for it.
    uint64_t waiting = write_local_ - read_released_.load(std::memory_order_acquire);
    if (waiting == 0) return;
    int64_t now = metrics::CoarseSteadyNowNs();
    if (flush || waiting >= kWakeBytes || now - woken_ns_ >= kWakeNs) {
      woken_ns_ = now;
      Wake(data_seq_);
    }
  }
  // Records pushed since the last Publish (the producer publishes in batches).
  uint32_t unpublished() const { return unpublished_; }
  // No more records will be pushed (after a final Publish).
  void Close() {
    Publish(true);
    closed_.store(true, std::memory_order_seq_cst);
    Wake(data_seq_);
  }
  // Producer: blocks until the consumer released something (after a failed push and Publish).
  void WaitForRoom();

  // Consumer side. On kPacket, `meta` views point into the ring until Release().
  struct Record {
    RecordKind kind;
    decode::PacketMeta meta;  // kPacket
    TimestampNs tick = 0;     // kTick, kClock
  };
  bool TryPop(Record& out);
  // Frees every record popped so far, waking the producer if it waits for room.
  void Release() {
    if (read_released_.load(std::memory_order_relaxed) == read_local_) return;
    read_released_.store(read_local_, std::memory_order_seq_cst);
    if (!producer_waiting_.load(std::memory_order_seq_cst)) return;
    // Like Publish: wake a producer waiting for room once a worthwhile amount is free (or
    // everything is), not after every small batch.
    if (read_local_ - producer_blocked_at_.load(std::memory_order_acquire) >= kWakeBytes ||
        read_local_ == write_published_.load(std::memory_order_acquire)) {
      Wake(room_seq_);
    }
  }
  // Consumer: blocks until a record is published or the ring is closed. Spins briefly first:
  // a futex sleep and wake costs microseconds, a busy producer publishes every few.
  void WaitForData();
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  bool empty() const { return read_local_ == write_published_.load(std::memory_order_acquire); }

  size_t capacity() const { return capacity_; }

 private:
  struct Header {
    RecordKind kind;
    uint32_t l3_length;
    uint32_t payload_offset;  // payload start within l3
    uint32_t payload_length;
    decode::PacketMeta meta;  // views cleared; rebuilt on pop
    TimestampNs tick;
  };
  static constexpr size_t kAlign = alignof(std::max_align_t);
  static size_t Padded(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }
  bool Reserve(size_t bytes, size_t& offset);
  // A quarter of the default ring: a sleeper is woken a few hundred times per second of
  // line-rate traffic, not tens of thousands (each wake is a futex call and a context switch).
  static constexpr uint64_t kWakeBytes = 1 << 20;
  static constexpr int64_t kWakeNs = 2'000'000;
  static void Wake(std::atomic<uint32_t>& seq) {
    seq.fetch_add(1, std::memory_order_seq_cst);
    seq.notify_one();
  }

  size_t capacity_;
  std::unique_ptr<uint8_t[]> buffer_;
  // Monotonic byte positions; the offset in the buffer is position % capacity_.
  alignas(64) uint64_t write_local_ = 0;
  uint64_t read_cache_ = 0;
  alignas(64) std::atomic<uint64_t> write_published_{0};
  alignas(64) uint64_t read_local_ = 0;
  alignas(64) std::atomic<uint64_t> read_released_{0};
  std::atomic<bool> closed_{false};
  uint32_t unpublished_ = 0;  // producer: records pushed since the last Publish
  int64_t woken_ns_ = 0;      // producer: when it last woke the consumer
  // Sleeping without lost wake-ups: the sleeper announces itself (waiting flag), re-checks, and
  // waits on a sequence number the other side bumps after its store whenever it sees the flag.
  alignas(64) std::atomic<bool> consumer_waiting_{false};
  std::atomic<uint32_t> data_seq_{0};
  alignas(64) std::atomic<bool> producer_waiting_{false};
  std::atomic<uint64_t> producer_blocked_at_{0};  // read_released_ when the producer blocked
  std::atomic<uint32_t> room_seq_{0};
};

}  // namespace bw::pipeline
