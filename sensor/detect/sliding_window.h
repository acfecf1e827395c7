#pragma once
// A sliding window of counts and bytes over packet time, as a ring of kSlots slots. Guarantees:
//  - Fixed memory whatever the rate: nothing until the first Add, then one allocation of
//    kSlots slots (1.4 KiB), so state that never adds (probes, listings) pays nothing.
//  - Sum(now) covers the slots of the last `window`: an event leaves the window at most one
//    slot (window / kSlots; 10 s for 10 min) late, never early.
//  - An Add older than the whole window (its ring position reused by a newer slot) is
//    dropped: it would be out of the window anyway. Works for negative timestamps too.
//  - The slot length is passed in, not stored, so a window costs one pointer in its owner;
//    the owner resets the window when the length changes.

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/detect/heap_estimate.h"

namespace bw::detect {

struct WindowTotals {
  uint64_t count = 0;
  uint64_t bytes = 0;
};

// One slot with counts, as the persisted state holds it: the slot's start in packet time, so a
// window restored under another length is re-slotted rather than misread.
struct WindowSlot {
  TimestampNs start = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
};

class SlidingWindow {
 public:
  static constexpr int64_t kSlots = 60;

  // The slot length for a window of `window` ns (at least 1 ns).
  static constexpr TimestampNs SlotLength(TimestampNs window) {
    return window / kSlots > 0 ? window / kSlots : 1;
  }

  void Add(TimestampNs ts, TimestampNs slot_ns, uint64_t count, uint64_t bytes) {
    if (!ring_) ring_ = std::make_unique<Ring>();
    int64_t index = SlotIndex(ts, slot_ns);
    Slot& s = (*ring_)[Position(index)];
    if (s.index == index) {
      s.count += count;
      s.bytes += bytes;
    } else if (s.index < index) {
      s = Slot{index, count, bytes};
    }
  }

  WindowTotals Sum(TimestampNs now, TimestampNs slot_ns) const {
    WindowTotals t;
    if (!ring_) return t;
    int64_t now_index = SlotIndex(now, slot_ns);
    for (const auto& s : *ring_) {
      if (s.index > now_index - kSlots && s.index <= now_index) {
        t.count += s.count;
        t.bytes += s.bytes;
      }
    }
    return t;
  }

  // The slots Sum(now) would count, oldest first.
  std::vector<WindowSlot> Slots(TimestampNs now, TimestampNs slot_ns) const {
    std::vector<WindowSlot> out;
    if (!ring_) return out;
    int64_t now_index = SlotIndex(now, slot_ns);
    for (const auto& s : *ring_) {
      if (s.index > now_index - kSlots && s.index <= now_index && (s.count || s.bytes)) {
        out.push_back(WindowSlot{s.index * slot_ns, s.count, s.bytes});
      }
    }
    std::sort(out.begin(), out.end(),
              [](const WindowSlot& a, const WindowSlot& b) { return a.start < b.start; });
    return out;
  }

  void Reset() { ring_.reset(); }
  size_t HeapBytes() const { return ring_ ? Chunk(sizeof(Ring)) : 0; }

 private:
  struct Slot {
    int64_t index = INT64_MIN;
    uint64_t count = 0;
    uint64_t bytes = 0;
  };
  using Ring = std::array<Slot, kSlots>;

  // Floor division: slot -1 holds [-slot_ns, 0).
  static int64_t SlotIndex(TimestampNs ts, TimestampNs slot_ns) {
    return ts >= 0 ? ts / slot_ns : -((-ts + slot_ns - 1) / slot_ns);
  }
  static size_t Position(int64_t index) {
    return static_cast<size_t>(((index % kSlots) + kSlots) % kSlots);
  }

  std::unique_ptr<Ring> ring_;
};

}  // namespace bw::detect
