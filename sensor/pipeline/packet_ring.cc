#include "sensor/pipeline/packet_ring.h"

namespace bw::pipeline {

PacketRing::PacketRing(size_t capacity_bytes)
    : capacity_(Padded(capacity_bytes)), buffer_(new uint8_t[capacity_]) {}

void PacketRing::WaitForData() {
  for (int spin = 0; spin < 256; ++spin) {
    if (!empty() || closed()) return;
  }
  uint32_t seq = data_seq_.load(std::memory_order_seq_cst);
  consumer_waiting_.store(true, std::memory_order_seq_cst);
  if (empty() && !closed()) data_seq_.wait(seq, std::memory_order_seq_cst);
  consumer_waiting_.store(false, std::memory_order_relaxed);
}

void PacketRing::WaitForRoom() {
  uint64_t released = read_released_.load(std::memory_order_seq_cst);
  for (int spin = 0; spin < 256; ++spin) {
    if (read_released_.load(std::memory_order_acquire) != released) return;
  }
  uint32_t seq = room_seq_.load(std::memory_order_seq_cst);
  producer_blocked_at_.store(released, std::memory_order_relaxed);
  producer_waiting_.store(true, std::memory_order_seq_cst);
  if (read_released_.load(std::memory_order_seq_cst) == released) {
    room_seq_.wait(seq, std::memory_order_seq_cst);
  }
  producer_waiting_.store(false, std::memory_order_relaxed);
}

bool PacketRing::Reserve(size_t bytes, size_t& offset) {
  // A record never straddles the end of the buffer: if it does not fit in the tail, a wrap
  // marker fills the tail and the record starts at offset 0.
  size_t pos = write_local_ % capacity_;
  size_t tail = capacity_ - pos;
  size_t needed = bytes <= tail ? bytes : tail + bytes;
  if (bytes > capacity_ / 2) return false;
  if (write_local_ + needed - read_cache_ > capacity_) {
    read_cache_ = read_released_.load(std::memory_order_acquire);
    if (write_local_ + needed - read_cache_ > capacity_) return false;
  }
  if (bytes > tail) {
    if (tail >= sizeof(RecordKind)) {
      RecordKind wrap = RecordKind::kWrap;
      std::memcpy(buffer_.get() + pos, &wrap, sizeof(wrap));
    }
    write_local_ += tail;
    pos = 0;
  }
  offset = pos;
  write_local_ += bytes;
  return true;
}

bool PacketRing::TryPushPacket(const decode::PacketMeta& meta) {
  size_t l3_len = meta.l3.size();
  size_t bytes = Padded(sizeof(Header) + l3_len);
  size_t offset = 0;
  if (!Reserve(bytes, offset)) return false;
  Header h{};
  h.kind = RecordKind::kPacket;
  h.l3_length = static_cast<uint32_t>(l3_len);
  h.payload_offset =
      meta.payload.empty() ? 0 : static_cast<uint32_t>(meta.payload.data() - meta.l3.data());
  h.payload_length = static_cast<uint32_t>(meta.payload.size());
  h.meta = meta;
  h.meta.l3 = {};
  h.meta.payload = {};
  std::memcpy(buffer_.get() + offset, &h, sizeof(h));
  if (l3_len) std::memcpy(buffer_.get() + offset + sizeof(Header), meta.l3.data(), l3_len);
  ++unpublished_;
  return true;
}

bool PacketRing::TryPushTick(TimestampNs now, RecordKind kind) {
  size_t offset = 0;
  if (!Reserve(Padded(sizeof(Header)), offset)) return false;
  Header h{};
  h.kind = kind;
  h.tick = now;
  std::memcpy(buffer_.get() + offset, &h, sizeof(h));
  return true;
}

bool PacketRing::TryPop(Record& out) {
  uint64_t published = write_published_.load(std::memory_order_acquire);
  while (read_local_ < published) {
    size_t pos = read_local_ % capacity_;
    size_t tail = capacity_ - pos;
    RecordKind kind = RecordKind::kWrap;
    if (tail >= sizeof(RecordKind)) std::memcpy(&kind, buffer_.get() + pos, sizeof(kind));
    if (tail < sizeof(Header) || kind == RecordKind::kWrap) {
      read_local_ += tail;
      continue;
    }
    Header h;
    std::memcpy(&h, buffer_.get() + pos, sizeof(h));
    out.kind = h.kind;
    if (h.kind == RecordKind::kTick || h.kind == RecordKind::kClock) {
      out.tick = h.tick;
      read_local_ += Padded(sizeof(Header));
      return true;
    }
    out.meta = h.meta;
    const uint8_t* l3 = buffer_.get() + pos + sizeof(Header);
    out.meta.l3 = ByteView(l3, h.l3_length);
    out.meta.payload = ByteView(l3 + h.payload_offset, h.payload_length);
    read_local_ += Padded(sizeof(Header) + h.l3_length);
    // The next record was written by another core: start pulling its header in now, while this
    // packet is processed.
    __builtin_prefetch(buffer_.get() + read_local_ % capacity_);
    __builtin_prefetch(buffer_.get() + (read_local_ + 64) % capacity_);
    return true;
  }
  return false;
}

}  // namespace bw::pipeline
