#include "sensor/pipeline/memory_budget.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace bw::pipeline {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

TEST(MemoryBudget, DividesTheCap) {
  MemoryBudget budget;
  std::string error;
  ASSERT_TRUE(budget.Plan(1024 * kMiB, 128 * kMiB, 8 * kMiB, 2, error)) << error;
  const auto& p = budget.parts();
  EXPECT_EQ(p.cap, 1024 * kMiB);
  EXPECT_GE(p.fixed, 8 * kMiB + MemoryBudget::ResidentBytes() / 2);  // resident + untouched
  EXPECT_EQ(p.detection, 128 * kMiB);
  EXPECT_EQ(p.margin, 64 * kMiB);  // cap / 16
  EXPECT_EQ(p.fixed + p.detection + p.margin + p.flows, p.cap);
  EXPECT_EQ(budget.flows_share(), p.flows);
  EXPECT_EQ(budget.worker_share(), p.flows / 2);
}

TEST(MemoryBudget, RefusesACapTooSmallToRunAndSaysWhatItNeeds) {
  MemoryBudget budget;
  std::string error;
  EXPECT_FALSE(budget.Plan(40 * kMiB, 16 * kMiB, 0, 1, error));
  EXPECT_NE(error.find("memory_cap_mib 40 is too small"), std::string::npos) << error;
  EXPECT_NE(error.find("detection.memory_mib is 16"), std::string::npos) << error;
  EXPECT_NE(error.find("set memory_cap_mib to "), std::string::npos) << error;
}

// Resident memory past cap - margin/2 lowers the connections' share by the excess; once it is
// back under, the share returns to the plan.
TEST(MemoryBudget, PressureLowersTheShareAndItComesBack) {
  MemoryBudget budget;
  std::string error;
  uint64_t resident = MemoryBudget::ResidentBytes();
  ASSERT_GT(resident, 0u);
  // Connections get 64 MiB; the margin is 16 MiB, so pressure starts 8 MiB under the cap.
  uint64_t cap = resident + 16 * kMiB + 16 * kMiB + 64 * kMiB;
  ASSERT_TRUE(budget.Plan(cap, 16 * kMiB, 0, 1, error)) << error;
  const uint64_t planned = budget.flows_share();
  budget.Poll();
  EXPECT_EQ(budget.flows_share(), planned);
  EXPECT_EQ(budget.pressure_polls(), 0u);

  // 100 MiB touched: 100 - 64 - 16 - 16 + 8 = 12 MiB past the pressure line (give or take what
  // the process did meanwhile).
  const size_t big = 100 * kMiB;
  void* block = mmap(nullptr, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, big);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  budget.Poll();
  EXPECT_EQ(budget.pressure_polls(), 1u);
  EXPECT_LT(budget.flows_share(), planned - 8 * kMiB);
  EXPECT_GE(budget.flows_share(), planned / 4);  // never below a quarter of the plan

  munmap(block, big);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  budget.Poll();
  EXPECT_EQ(budget.flows_share(), planned);
  EXPECT_EQ(budget.pressure_polls(), 1u);
}

TEST(MemoryBudget, PollsAtMostEveryTwentyMilliseconds) {
  MemoryBudget budget;
  std::string error;
  uint64_t resident = MemoryBudget::ResidentBytes();
  ASSERT_TRUE(budget.Plan(resident + 96 * kMiB, 16 * kMiB, 0, 1, error)) << error;
  const size_t big = 100 * kMiB;
  void* block = mmap(nullptr, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, big);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  for (int i = 0; i < 1000; ++i) budget.Poll();
  EXPECT_EQ(budget.pressure_polls(), 1u);  // one read of /proc in the interval, not 1000
  munmap(block, big);
}

}  // namespace
}  // namespace bw::pipeline
