#include "sensor/detect/sliding_window.h"

#include <gtest/gtest.h>

namespace bw::detect {
namespace {

constexpr TimestampNs kWindow = 600 * kNsPerSecond;
constexpr TimestampNs kSlot = SlidingWindow::SlotLength(kWindow);

TEST(SlidingWindow, SlotIsASixtiethOfTheWindow) {
  EXPECT_EQ(kSlot, 10 * kNsPerSecond);
  EXPECT_EQ(SlidingWindow::SlotLength(59), 1);  // never zero
}

TEST(SlidingWindow, EmptyUntilTheFirstAddAndThenFixedSize) {
  SlidingWindow w;
  EXPECT_EQ(w.HeapBytes(), 0u);
  EXPECT_EQ(w.Sum(0, kSlot).count, 0u);
  w.Add(0, kSlot, 1, 10);
  size_t ring = w.HeapBytes();
  EXPECT_GT(ring, 60 * 3 * sizeof(uint64_t) - 1);
  for (int i = 0; i < 1000; ++i) w.Add(i * kNsPerSecond, kSlot, 1, 10);
  EXPECT_EQ(w.HeapBytes(), ring);
  w.Reset();
  EXPECT_EQ(w.HeapBytes(), 0u);
  EXPECT_EQ(w.Sum(0, kSlot).bytes, 0u);
}

TEST(SlidingWindow, SumsTheLastWindowAndLetsOldSlotsGo) {
  SlidingWindow w;
  TimestampNs t0 = 1795428000LL * kNsPerSecond;
  for (int i = 0; i < 60; ++i) w.Add(t0 + i * 10 * kNsPerSecond, kSlot, 1, 100);
  WindowTotals t = w.Sum(t0 + 599 * kNsPerSecond, kSlot);
  EXPECT_EQ(t.count, 60u);
  EXPECT_EQ(t.bytes, 6000u);
  // One slot later the first has left; an event leaves at most one slot late.
  EXPECT_EQ(w.Sum(t0 + 600 * kNsPerSecond, kSlot).count, 59u);
  // The last slot began at t0 + 590 s: it counts until 600 s after its start.
  EXPECT_EQ(w.Sum(t0 + 1189 * kNsPerSecond, kSlot).count, 1u);
  EXPECT_EQ(w.Sum(t0 + 1190 * kNsPerSecond, kSlot).count, 0u);
}

TEST(SlidingWindow, SameSlotAddsUpAndTooOldIsDropped) {
  SlidingWindow w;
  TimestampNs t0 = 1000 * kNsPerSecond;
  w.Add(t0, kSlot, 2, 5);
  w.Add(t0 + kNsPerSecond, kSlot, 3, 5);  // same 10 s slot
  EXPECT_EQ(w.Sum(t0, kSlot).count, 5u);
  w.Add(t0 + kWindow, kSlot, 1, 1);  // takes t0's ring position
  w.Add(t0, kSlot, 7, 7);            // older than the whole window: dropped
  WindowTotals t = w.Sum(t0 + kWindow, kSlot);
  EXPECT_EQ(t.count, 1u);
  EXPECT_EQ(t.bytes, 1u);
}

TEST(SlidingWindow, NegativeTimesUseFloorSlots) {
  SlidingWindow w;
  w.Add(-1, kSlot, 1, 0);  // slot -1
  w.Add(0, kSlot, 1, 0);   // slot 0
  EXPECT_EQ(w.Sum(-1, kSlot).count, 1u);
  EXPECT_EQ(w.Sum(0, kSlot).count, 2u);
}

}  // namespace
}  // namespace bw::detect
