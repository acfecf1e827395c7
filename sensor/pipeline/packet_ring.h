#pragma once
// Single-producer single-consumer ring that hands decoded packets from the capture thread to
// one worker. Records are copied in contiguously (PacketMeta + the IP packet bytes) and made
// visible in batches, so the hand-off costs one memcpy and an occasional release/acquire pair
// per batch, never a lock or an allocation.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "sensor/decode/packet_meta.h"

namespace bw::pipeline {

enum class RecordKind : uint32_t { kPacket = 1, kTick = 2, kWrap = 3 };

class PacketRing {
 public:
  explicit PacketRing(size_t capacity_bytes);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // Producer side. False when there is no room (the caller waits or drops and counts).
  bool TryPushPacket(const decode::PacketMeta& meta);
  bool TryPushTick(TimestampNs now);
  // Makes everything pushed so far visible to the consumer.
  void Publish() { write_published_.store(write_local_, std::memory_order_release); }
  // No more records will be pushed (after a final Publish).
  void Close() {
    Publish();
    closed_.store(true, std::memory_order_release);
  }

  // Consumer side. On kPacket, `meta` views point into the ring until Release().
  struct Record {
    RecordKind kind;
    decode::PacketMeta meta;  // kPacket
    TimestampNs tick = 0;     // kTick
  };
  bool TryPop(Record& out);
  // Frees every record popped so far.
  void Release() { read_released_.store(read_local_, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  bool empty() const {
    return read_local_ == write_published_.load(std::memory_order_acquire);
  }

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

  size_t capacity_;
  std::unique_ptr<uint8_t[]> buffer_;
  // Monotonic byte positions; the offset in the buffer is position % capacity_.
  alignas(64) uint64_t write_local_ = 0;
  uint64_t read_cache_ = 0;
  alignas(64) std::atomic<uint64_t> write_published_{0};
  alignas(64) uint64_t read_local_ = 0;
  alignas(64) std::atomic<uint64_t> read_released_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace bw::pipeline
