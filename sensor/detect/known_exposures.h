#pragma once
// The buckets this sensor has seen answer an anonymous request successfully: the memory behind
// new_public_exposure, which fires the first time a bucket joins it. Guarantees:
//  - Bounded: at most the cap given to Record (detection.new_public_exposure.max_buckets). The
//    bucket that served anonymously least recently is forgotten first, counted in evicted();
//    a forgotten bucket is new again when it next serves anonymously (and may alert again).
//  - Keyed on provider, account and bucket exactly (names as the engine bounds them,
//    bounded_text.h), any byte allowed: the account's length is part of the key.
//  - Export and Restore carry it across restarts (state/learned_state.h), least recently
//    served first, with started(), the packet time of the first bucket it ever recorded (the
//    start of the learning period), so a restart neither re-alerts nor restarts learning.
//  - Packet time only; one owner (the engine's thread), no locks.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/detect/lru_map.h"

namespace bw::detect {

// One remembered bucket, as the state file holds it.
struct ExposureRecord {
  storage::Provider provider = storage::Provider::kS3;
  std::string account;
  std::string bucket;
  TimestampNs first_seen = 0;  // its first anonymous success seen
  TimestampNs last_seen = 0;   // its latest
};

struct ExposureInventory {
  std::vector<ExposureRecord> buckets;  // least recently served first
  TimestampNs started = 0;              // first record ever; 0: none yet
};

class KnownExposures {
 public:
  // The longest account or bucket name kept (longer ones are not recorded, never truncated into
  // another bucket's key); BoundedName keeps names within 256 bytes.
  static constexpr size_t kMaxNameBytes = 1024;

  // `bucket` of `account` served an anonymous request at `ts`. True when it was not remembered
  // (now it is); false when it was (its last_seen moves on) or its names are too long.
  bool Record(storage::Provider p, std::string_view account, std::string_view bucket,
              TimestampNs ts, size_t cap);
  // Forgets the least recently served until at most `cap` remain (counted as evictions).
  void Shrink(size_t cap) { map_.Shrink(cap, evicted_); }

  ExposureInventory Export() const;
  // Before the first event: takes a saved inventory over (at most `cap`, the most recently served
  // kept; entries already present are replaced).
  void Restore(const ExposureInventory& saved, size_t cap);

  size_t size() const { return map_.size(); }
  size_t bytes() const { return map_.bytes(); }
  uint64_t evicted() const { return evicted_; }
  TimestampNs started() const { return started_; }

 private:
  struct Entry {
    TimestampNs first_seen = 0;
    TimestampNs last_seen = 0;
    size_t charged = 0;  // nothing beyond the map's entry
  };

  LruMap<Entry> map_;
  uint64_t evicted_ = 0;
  TimestampNs started_ = 0;
};

}  // namespace bw::detect
