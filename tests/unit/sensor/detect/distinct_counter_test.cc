#include "sensor/detect/distinct_counter.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::detect {
namespace {

TEST(DistinctCounter, ExactUpToTheCapThenAnUpperBound) {
  DistinctCounter c;
  uint64_t used = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) c.Add("k" + std::to_string(i), 5, used, 100);
  }
  EXPECT_EQ(c.Count(), 5u);  // repeats do not count
  EXPECT_EQ(used, 5u);
  c.Add("k5", 5, used, 100);
  c.Add("k5", 5, used, 100);  // not remembered: counted again
  EXPECT_EQ(c.Count(), 7u);
  c.Add("k0", 5, used, 100);  // remembered: exact
  EXPECT_EQ(c.Count(), 7u);
  EXPECT_EQ(c.Remembered(), 5u);
  EXPECT_EQ(used, 5u);
}

TEST(DistinctCounter, SharedBudgetLimitsEveryCounter) {
  DistinctCounter a, b;
  uint64_t used = 0;
  a.Add("x", 10, used, 3);
  a.Add("y", 10, used, 3);
  b.Add("x", 10, used, 3);
  b.Add("y", 10, used, 3);  // budget of 3 spent
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(b.Remembered(), 1u);
  EXPECT_EQ(b.Count(), 2u);
  b.Add("y", 10, used, 3);  // upper bound beyond the budget
  EXPECT_EQ(b.Count(), 3u);
}

TEST(DistinctCounter, HeapGrowsWithWhatIsRemembered) {
  DistinctCounter c;
  uint64_t used = 0;
  size_t empty = c.HeapBytes();  // libstdc++'s one inline bucket, counted as a pointer
  EXPECT_LE(empty, sizeof(void*));
  for (int i = 0; i < 100; ++i) c.Add(std::to_string(i), 1000, used, 1000);
  EXPECT_GE(c.HeapBytes(), empty + 100 * Chunk(2 * sizeof(void*)));
}

}  // namespace
}  // namespace bw::detect
