#include "sensor/decode/fragment_reassembler.h"

#include <algorithm>
#include <cstring>

namespace bw::decode {
namespace {

constexpr size_t kMaxFragmentable = 65535;
constexpr size_t kMaxBuffer = FragmentReassembler::kHeaderRoom + kMaxFragmentable;
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6FixedHeader = 40;

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

uint64_t MixAddress(uint64_t h, const IpAddress& a) {
  uint64_t w0 = 0, w1 = 0;
  for (int i = 0; i < 8; ++i) w0 = (w0 << 8) | a.bytes[i];
  for (int i = 8; i < 16; ++i) w1 = (w1 << 8) | a.bytes[i];
  return Mix(Mix(h, w0 ^ a.family), w1);
}

void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint16_t Ipv4HeaderChecksum(const uint8_t* header, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += Be16(header + i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t NextPowerOfTwo(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

uint64_t FragmentKey::Hash() const {
  uint64_t h = Mix(0x2545F4914F6CDD1Dull, (uint64_t{id} << 8) | proto);
  return MixAddress(MixAddress(h, src), dst);
}

FragmentReassembler::FragmentReassembler(const DecoderLimits& limits, DropCounters& drops)
    : limits_(limits), drops_(drops) {
  // A zero limit would make every fragment an eviction loop; one datagram is the floor.
  limits_.max_fragment_datagrams = std::max<size_t>(1, limits_.max_fragment_datagrams);
  slots_.resize(limits_.max_fragment_datagrams);
  buckets_.assign(NextPowerOfTwo(std::max<size_t>(16, 2 * slots_.size())), -1);
  free_.reserve(slots_.size());
  for (size_t i = slots_.size(); i > 0; --i) free_.push_back(static_cast<int32_t>(i - 1));
  // Buffers grow by doubling, so in-use capacity can reach twice the bytes held; the output
  // buffer of the last completed datagram comes on top.
  capacity_budget_ = 2 * limits_.max_fragment_bytes + kMaxBuffer;
}

int32_t FragmentReassembler::Find(const FragmentKey& key, uint64_t hash) const {
  for (int32_t i = buckets_[Bucket(hash)]; i >= 0; i = slots_[i].hash_next) {
    if (slots_[i].key == key) return i;
  }
  return -1;
}

int32_t FragmentReassembler::Allocate(const FragmentKey& key, uint64_t hash, bool ipv6,
                                      TimestampNs ts) {
  if (free_.empty()) Evict(oldest_, DropReason::kFragmentTableFull);
  int32_t index = free_.back();
  free_.pop_back();
  Slot& s = slots_[index];
  s.key = key;
  s.first_seen = ts;
  s.in_use = true;
  s.ipv6 = ipv6;
  s.have_last = false;
  s.next_header = 0;
  s.header_len = 0;
  s.next_header_pos = 0;
  s.total_len = 0;
  s.extent = 0;
  s.range_count = 0;
  size_t b = Bucket(hash);
  s.hash_next = buckets_[b];
  buckets_[b] = index;
  s.older = newest_;
  s.newer = -1;
  if (newest_ >= 0) slots_[newest_].newer = index;
  newest_ = index;
  if (oldest_ < 0) oldest_ = index;
  ++in_use_;
  bytes_held_ += kHeaderRoom;
  return index;
}

void FragmentReassembler::Release(int32_t index) {
  Slot& s = slots_[index];
  int32_t* link = &buckets_[Bucket(s.key.Hash())];
  while (*link >= 0 && *link != index) link = &slots_[*link].hash_next;
  if (*link == index) *link = s.hash_next;
  if (s.older >= 0) slots_[s.older].newer = s.newer;
  if (s.newer >= 0) slots_[s.newer].older = s.older;
  if (oldest_ == index) oldest_ = s.newer;
  if (newest_ == index) newest_ = s.older;
  s.hash_next = s.older = s.newer = -1;
  s.in_use = false;
  bytes_held_ -= kHeaderRoom + s.extent;
  --in_use_;
  free_.push_back(index);
}

void FragmentReassembler::Evict(int32_t index, DropReason reason) {
  if (index < 0) return;
  Release(index);
  drops_.Count(reason);
  if (reason == DropReason::kFragmentTimeout) {
    ++expired_;
  } else {
    ++evicted_;
  }
}

void FragmentReassembler::Expire(TimestampNs now) {
  while (oldest_ >= 0 && now - slots_[oldest_].first_seen > limits_.fragment_timeout) {
    Evict(oldest_, DropReason::kFragmentTimeout);
  }
}

void FragmentReassembler::FreeIdleBuffers(size_t wanted) {
  // Coldest idle buffers first (the front of the LIFO free list). Idle buffers are never
  // referenced by a view the caller still uses: the last completed datagram lives in output_.
  size_t freed = 0;
  for (int32_t index : free_) {
    if (freed >= wanted) break;
    std::vector<uint8_t>& b = slots_[index].buffer;
    if (b.capacity() == 0) continue;
    freed += b.capacity();
    capacity_total_ -= b.capacity();
    std::vector<uint8_t>().swap(b);
  }
}

bool FragmentReassembler::Reserve(Slot& slot, size_t needed) {
  std::vector<uint8_t>& b = slot.buffer;
  if (b.size() >= needed) return true;
  if (b.capacity() < needed) {
    size_t old_cap = b.capacity();
    size_t new_cap = std::max(needed, std::min(kMaxBuffer, 2 * old_cap));
    size_t growth = new_cap - old_cap;
    if (capacity_total_ + growth > capacity_budget_) FreeIdleBuffers(growth);
    if (capacity_total_ + growth > capacity_budget_) return false;
    b.reserve(new_cap);
    capacity_total_ += b.capacity() - old_cap;
  }
  b.resize(needed);
  return true;
}

bool FragmentReassembler::MergeRange(Slot& slot, uint32_t begin, uint32_t end) {
  auto& r = slot.ranges;
  size_t n = slot.range_count;
  size_t i = 0;
  while (i < n && r[i].end < begin) ++i;
  size_t j = i;
  uint32_t b = begin, e = end;
  while (j < n && r[j].begin <= end) {
    b = std::min(b, r[j].begin);
    e = std::max(e, r[j].end);
    ++j;
  }
  if (j == i) {
    if (n == kMaxRanges) return false;
    for (size_t k = n; k > i; --k) r[k] = r[k - 1];
    r[i] = {b, e};
    slot.range_count = n + 1;
    return true;
  }
  r[i] = {b, e};
  size_t removed = j - i - 1;
  for (size_t k = j; k < n; ++k) r[k - removed] = r[k];
  slot.range_count = n - removed;
  return true;
}

ByteView FragmentReassembler::Finish(Slot& slot) {
  size_t start = kHeaderRoom - slot.header_len;
  uint8_t* h = slot.buffer.data() + start;
  if (slot.ipv6) {
    StoreBe16(h + 4, static_cast<uint16_t>(slot.header_len - kIpv6FixedHeader + slot.total_len));
    h[slot.next_header_pos] = slot.next_header;
  } else {
    StoreBe16(h + 2, static_cast<uint16_t>(slot.header_len + slot.total_len));
    h[6] &= 0x40;  // keep DF, clear MF, the reserved bit and the offset
    h[7] = 0;
    StoreBe16(h + 10, 0);
    StoreBe16(h + 10, Ipv4HeaderChecksum(h, slot.header_len));
  }
  size_t length = slot.header_len + slot.total_len;
  // Swap rather than copy: the old output buffer becomes this slot's pooled buffer.
  output_.swap(slot.buffer);
  return ByteView(output_.data() + start, length);
}

FragmentOutcome FragmentReassembler::Add(const FragmentPiece& piece, TimestampNs ts,
                                         ByteView& datagram, DropReason& reason) {
  const size_t min_header = piece.ipv6 ? kIpv6FixedHeader : kIpv4MinHeader;
  if (piece.header.size() < min_header || piece.header.size() > kHeaderRoom ||
      (piece.ipv6 && piece.next_header_pos >= piece.header.size())) {
    reason = DropReason::kFragmentTooLarge;
    return FragmentOutcome::kDropped;
  }
  // The reassembled length must fit the 16-bit length field of the rebuilt header.
  const size_t limit = piece.ipv6 ? kMaxFragmentable - (piece.header.size() - kIpv6FixedHeader)
                                  : kMaxFragmentable - piece.header.size();
  const size_t end64 = size_t{piece.offset} + piece.data.size();
  if (end64 > limit) {
    reason = DropReason::kFragmentTooLarge;
    return FragmentOutcome::kDropped;
  }
  if (piece.more_fragments && (piece.data.empty() || piece.data.size() % 8 != 0)) {
    reason = DropReason::kFragmentBadLength;
    return FragmentOutcome::kDropped;
  }
  const uint32_t begin = piece.offset;
  const uint32_t end = static_cast<uint32_t>(end64);

  Expire(ts);
  const uint64_t hash = piece.key.Hash();
  int32_t index = Find(piece.key, hash);
  if (index < 0) index = Allocate(piece.key, hash, piece.ipv6, ts);
  Slot& slot = slots_[index];

  auto discard = [&](DropReason r) {
    Release(index);
    reason = r;
    return FragmentOutcome::kDropped;
  };

  if (slot.ipv6 != piece.ipv6) return discard(DropReason::kFragmentBadOffset);
  if (slot.have_last) {
    if (end > slot.total_len || (!piece.more_fragments && end != slot.total_len)) {
      return discard(DropReason::kFragmentBadOffset);
    }
  } else if (!piece.more_fragments && end < slot.extent) {
    return discard(DropReason::kFragmentBadOffset);
  }

  if (end > slot.extent) {
    const size_t growth = end - slot.extent;
    while (bytes_held_ + growth > limits_.max_fragment_bytes) {
      int32_t victim = oldest_ == index ? slot.newer : oldest_;
      if (victim < 0) break;
      Evict(victim, DropReason::kFragmentTableFull);
    }
    if (bytes_held_ + growth > limits_.max_fragment_bytes || !Reserve(slot, kHeaderRoom + end)) {
      return discard(DropReason::kFragmentTooLarge);
    }
    bytes_held_ += growth;
    slot.extent = end;
  }

  uint8_t* data = slot.buffer.data() + kHeaderRoom;
  for (size_t k = 0; k < slot.range_count; ++k) {
    const Range& r = slot.ranges[k];
    if (r.begin >= end || r.end <= begin) continue;
    uint32_t b = std::max(r.begin, begin);
    uint32_t e = std::min(r.end, end);
    if (std::memcmp(data + b, piece.data.data() + (b - begin), e - b) != 0) {
      return discard(DropReason::kFragmentOverlap);
    }
  }
  if (!piece.data.empty()) std::memcpy(data + begin, piece.data.data(), piece.data.size());
  if (begin != end && !MergeRange(slot, begin, end)) {
    return discard(DropReason::kFragmentTooManyHoles);
  }
  if (begin == 0 && slot.header_len == 0) {
    slot.header_len = static_cast<uint16_t>(piece.header.size());
    slot.next_header_pos = static_cast<uint16_t>(piece.next_header_pos);
    slot.next_header = piece.next_header;
    std::memcpy(slot.buffer.data() + kHeaderRoom - slot.header_len, piece.header.data(),
                slot.header_len);
  }
  if (!piece.more_fragments) {
    slot.have_last = true;
    slot.total_len = end;
  }
  ++stored_;

  const bool covered = slot.total_len == 0 || (slot.range_count == 1 && slot.ranges[0].begin == 0 &&
                                               slot.ranges[0].end == slot.total_len);
  if (slot.have_last && slot.header_len != 0 && covered) {
    datagram = Finish(slot);
    Release(index);
    ++reassembled_;
    return FragmentOutcome::kComplete;
  }
  return FragmentOutcome::kHeld;
}

}  // namespace bw::decode
