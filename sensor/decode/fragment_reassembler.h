#pragma once
// Bounded IPv4/IPv6 fragment reassembly keyed by (src, dst, id, protocol). Guarantees: at most
// `max_fragment_datagrams` datagrams and about `max_fragment_bytes` of buffer are committed
// (the oldest datagram is evicted and counted to make room); datagrams whose fragments overlap
// with different contents are discarded (RFC 5722, and Linux since the 2018 FragmentSmack
// fixes), identical overlaps and duplicates are absorbed; nothing is allocated per fragment once
// the buffer pool has grown. A completed datagram is handed out with a rebuilt IP header
// (fragment fields cleared, lengths correct) and stays valid until the next Add.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/decoder_limits.h"
#include "sensor/decode/drop_reason.h"
#include "sensor/decode/ip_address.h"

namespace bw::decode {

struct FragmentKey {
  IpAddress src;
  IpAddress dst;
  uint32_t id = 0;
  uint8_t proto = 0;

  bool operator==(const FragmentKey&) const = default;
  uint64_t Hash() const;
};

// One fragment as the IP layer saw it. All views must be fully captured.
struct FragmentPiece {
  FragmentKey key;
  bool ipv6 = false;
  // Everything before the fragmentable part: the IPv4 header, or the IPv6 header plus the
  // extension headers that precede the Fragment header. Used from the offset-0 fragment.
  ByteView header;
  // IPv6: offset inside `header` of the Next Header byte that named the Fragment header, and
  // the protocol the Fragment header announced; the rebuilt header points straight to it.
  size_t next_header_pos = 0;
  uint8_t next_header = 0;
  uint32_t offset = 0;  // byte offset of `data` in the fragmentable part
  bool more_fragments = false;
  ByteView data;
};

enum class FragmentOutcome : uint8_t { kHeld, kComplete, kDropped };

class FragmentReassembler {
 public:
  // Room reserved in front of each datagram for its rebuilt header; a larger IPv6
  // unfragmentable part is refused as kFragmentTooLarge.
  static constexpr size_t kHeaderRoom = 512;
  // Disjoint byte ranges tracked per datagram; more holes than this is an attack, not a network.
  static constexpr size_t kMaxRanges = 64;

  FragmentReassembler(const DecoderLimits& limits, DropCounters& drops);

  FragmentReassembler(const FragmentReassembler&) = delete;
  FragmentReassembler& operator=(const FragmentReassembler&) = delete;

  // kComplete: `datagram` is the whole IP packet. kDropped: `reason` says why the fragment (and
  // the datagram it belonged to, if any) was discarded; the caller counts it. Evictions and
  // timeouts of *other* datagrams that this call performs are counted here.
  FragmentOutcome Add(const FragmentPiece& piece, TimestampNs ts, ByteView& datagram,
                      DropReason& reason);

  // Discards datagrams whose first fragment arrived more than the timeout before `now`.
  void Expire(TimestampNs now);

  size_t datagrams_held() const { return in_use_; }
  size_t bytes_held() const { return bytes_held_; }
  uint64_t datagrams_reassembled() const { return reassembled_; }
  uint64_t fragments_stored() const { return stored_; }
  uint64_t datagrams_evicted() const { return evicted_; }
  uint64_t datagrams_expired() const { return expired_; }

 private:
  struct Range {
    uint32_t begin;
    uint32_t end;
  };
  struct Slot {
    FragmentKey key;
    TimestampNs first_seen = 0;
    int32_t hash_next = -1;
    int32_t older = -1;
    int32_t newer = -1;
    bool in_use = false;
    bool ipv6 = false;
    bool have_last = false;
    uint8_t next_header = 0;
    uint16_t header_len = 0;  // 0 until the offset-0 fragment arrived
    uint16_t next_header_pos = 0;
    uint32_t total_len = 0;  // fragmentable bytes, known once the last fragment arrived
    uint32_t extent = 0;     // highest byte end seen
    size_t range_count = 0;
    std::array<Range, kMaxRanges> ranges{};
    std::vector<uint8_t> buffer;  // [kHeaderRoom][fragmentable data]
  };

  int32_t Find(const FragmentKey& key, uint64_t hash) const;
  int32_t Allocate(const FragmentKey& key, uint64_t hash, bool ipv6, TimestampNs ts);
  void Release(int32_t index);
  void Evict(int32_t index, DropReason reason);
  bool Reserve(Slot& slot, size_t needed);
  void FreeIdleBuffers(size_t wanted);
  bool MergeRange(Slot& slot, uint32_t begin, uint32_t end);
  ByteView Finish(Slot& slot);
  size_t Bucket(uint64_t hash) const { return static_cast<size_t>(hash) & (buckets_.size() - 1); }

  DecoderLimits limits_;
  DropCounters& drops_;
  std::vector<Slot> slots_;
  std::vector<int32_t> buckets_;
  std::vector<int32_t> free_;  // LIFO: the warmest buffer is reused first
  std::vector<uint8_t> output_;
  int32_t oldest_ = -1;
  int32_t newest_ = -1;
  size_t in_use_ = 0;
  size_t bytes_held_ = 0;
  size_t capacity_total_ = 0;
  size_t capacity_budget_ = 0;
  uint64_t reassembled_ = 0;
  uint64_t stored_ = 0;
  uint64_t evicted_ = 0;
  uint64_t expired_ = 0;
};

}  // namespace bw::decode
