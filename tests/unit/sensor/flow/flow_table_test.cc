#include "sensor/flow/flow_table.h"

#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

namespace bw::flow {
namespace {

constexpr TimestampNs kSec = kNsPerSecond;

FlowKey MakeKey(uint32_t n, uint8_t proto = decode::kIpProtoTcp) {
  FlowKey k;
  k.proto = proto;
  k.lo.addr.family = 4;
  k.lo.addr.bytes = {10, 0, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8)};
  k.lo.port = static_cast<uint16_t>(1024 + (n & 0xff));
  k.hi.addr.family = 4;
  k.hi.addr.bytes = {192, 168, 1, 1};
  k.hi.port = 443;
  return k;
}

// Counts live instances so tests can prove every constructed Data is destroyed exactly once.
struct Payload {
  static inline int live = 0;
  explicit Payload(int v = 0) : value(v) { ++live; }
  ~Payload() { --live; }
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;
  int value;
};

struct Ended {
  FlowKey key;
  int value;
  FlowEndReason reason;
};

class FlowTableTest : public ::testing::Test {
 protected:
  void SetUp() override { Payload::live = 0; }
  void TearDown() override { EXPECT_EQ(Payload::live, 0); }

  FlowTable<Payload>::EndCallback Recorder() {
    return [this](const FlowKey& k, Payload& p, const FlowTimes&, FlowEndReason r, TimestampNs) {
      ended_.push_back({k, p.value, r});
    };
  }
  std::vector<Ended> ended_;
};

TEST_F(FlowTableTest, InsertLookupRemove) {
  FlowLimits limits;
  limits.max_flows = 16;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted = false;
  Payload* p = table.FindOrInsert(MakeKey(1), 10, inserted, 7);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(p->value, 7);
  EXPECT_EQ(table.FindOrInsert(MakeKey(1), 11, inserted, 99), p);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(p->value, 7);
  EXPECT_EQ(table.Lookup(MakeKey(1)), p);
  EXPECT_EQ(table.Lookup(MakeKey(2)), nullptr);
  ASSERT_NE(table.Times(MakeKey(1)), nullptr);
  EXPECT_EQ(table.Times(MakeKey(1))->first_seen, 10);
  EXPECT_EQ(table.Times(MakeKey(1))->last_seen, 11);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.Remove(MakeKey(1), 12));
  EXPECT_FALSE(table.Remove(MakeKey(1), 12));
  EXPECT_EQ(table.Lookup(MakeKey(1)), nullptr);
  EXPECT_EQ(table.size(), 0u);
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kClosed);
  EXPECT_EQ(ended_[0].value, 7);
  EXPECT_EQ(table.counters().created.load(), 1u);
  EXPECT_EQ(table.counters().closed.load(), 1u);
  EXPECT_EQ(table.counters().active.load(), 0u);
}

// The index starts small and doubles with the flows; every flow stays findable across the
// rehashes, and deletions (backward shift) keep working on the grown table.
TEST_F(FlowTableTest, IndexGrowsWithTheFlowsUpToItsBound) {
  FlowLimits limits;
  limits.max_flows = 20000;
  FlowTable<Payload> table(limits);
  EXPECT_EQ(table.bucket_count(), 4096u);
  bool inserted = false;
  for (int i = 0; i < 20000; ++i) {
    table.FindOrInsert(MakeKey(i), i, inserted);
    ASSERT_TRUE(inserted);
    ASSERT_LE(2 * table.size(), table.bucket_count());
  }
  EXPECT_EQ(table.bucket_count(), 65536u);  // 2 x max_flows, rounded up to a power of two
  for (int i = 0; i < 20000; i += 2) EXPECT_TRUE(table.Remove(MakeKey(i), 30000));
  for (int i = 0; i < 20000; ++i) {
    EXPECT_EQ(table.Lookup(MakeKey(i)) != nullptr, i % 2 == 1) << i;
  }
  table.FindOrInsert(MakeKey(20001), 30001, inserted);  // at the cap: no eviction needed
  EXPECT_EQ(table.counters().evicted.load(), 0u);
  EXPECT_EQ(table.bucket_count(), 65536u);
}

TEST_F(FlowTableTest, CapacityIsPowerOfTwoAndAtLeastTwiceMaxFlows) {
  FlowLimits limits;
  limits.max_flows = 100;
  FlowTable<Payload> table(limits);
  EXPECT_EQ(table.bucket_count(), 256u);
  limits.max_flows = 0;  // clamped to one flow
  FlowTable<Payload> tiny(limits);
  EXPECT_EQ(tiny.max_flows(), 1u);
  bool inserted;
  tiny.FindOrInsert(MakeKey(1), 0, inserted);
  tiny.FindOrInsert(MakeKey(2), 1, inserted);
  EXPECT_EQ(tiny.size(), 1u);
  EXPECT_NE(tiny.Lookup(MakeKey(2)), nullptr);
  EXPECT_EQ(tiny.counters().evicted.load(), 1u);
}

// Keys sharing one home bucket form a probe run; deleting from the front or middle of the run
// must keep every other member reachable (backward-shift correctness).
TEST_F(FlowTableTest, CollidingKeysSurviveDeletionAnywhereInTheRun) {
  FlowLimits limits;
  limits.max_flows = 4;  // 8 buckets
  std::vector<FlowKey> same_home;
  const size_t mask = 7;
  const size_t home = MakeKey(0).Hash() & mask;
  for (uint32_t n = 0; same_home.size() < 4; ++n) {
    if ((MakeKey(n).Hash() & mask) == home) same_home.push_back(MakeKey(n));
  }
  for (size_t victim = 0; victim < same_home.size(); ++victim) {
    FlowTable<Payload> table(limits);
    bool inserted;
    for (size_t i = 0; i < same_home.size(); ++i) {
      table.FindOrInsert(same_home[i], 0, inserted, static_cast<int>(i));
      ASSERT_TRUE(inserted);
    }
    ASSERT_TRUE(table.Remove(same_home[victim], 1));
    for (size_t i = 0; i < same_home.size(); ++i) {
      Payload* p = table.Lookup(same_home[i]);
      if (i == victim) {
        EXPECT_EQ(p, nullptr);
      } else {
        ASSERT_NE(p, nullptr) << "victim " << victim << " lost " << i;
        EXPECT_EQ(p->value, static_cast<int>(i));
      }
    }
    // The freed slot is reusable and the run stays consistent.
    table.FindOrInsert(same_home[victim], 2, inserted, 42);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(table.Lookup(same_home[victim])->value, 42);
  }
}

TEST_F(FlowTableTest, EvictsLeastRecentlyUsedWhenFull) {
  FlowLimits limits;
  limits.max_flows = 3;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  table.FindOrInsert(MakeKey(1), 1, inserted, 1);
  table.FindOrInsert(MakeKey(2), 2, inserted, 2);
  table.FindOrInsert(MakeKey(3), 3, inserted, 3);
  table.FindOrInsert(MakeKey(1), 4, inserted);  // 1 becomes most recent: order 2, 3, 1
  EXPECT_TRUE(table.Touch(MakeKey(2), 5));      // order 3, 1, 2
  EXPECT_FALSE(table.Touch(MakeKey(9), 5));
  table.FindOrInsert(MakeKey(4), 6, inserted, 4);  // evicts 3
  table.FindOrInsert(MakeKey(5), 7, inserted, 5);  // evicts 1
  ASSERT_EQ(ended_.size(), 2u);
  EXPECT_EQ(ended_[0].value, 3);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kEvicted);
  EXPECT_EQ(ended_[1].value, 1);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Lookup(MakeKey(3)), nullptr);
  EXPECT_NE(table.Lookup(MakeKey(2)), nullptr);
  EXPECT_EQ(table.counters().evicted.load(), 2u);
  EXPECT_EQ(table.counters().created.load(), 5u);
}

TEST_F(FlowTableTest, ClosedFlowsAreEvictedFirstAndLingerThenEnd) {
  FlowLimits limits;
  limits.max_flows = 2;
  limits.closed_linger = 5 * kSec;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  table.FindOrInsert(MakeKey(1), 0, inserted, 1);
  table.FindOrInsert(MakeKey(2), 1, inserted, 2);
  EXPECT_TRUE(table.MarkClosed(MakeKey(2), 2));
  table.FindOrInsert(MakeKey(3), 3, inserted, 3);  // the closed flow goes, though newer
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].value, 2);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kEvicted);

  EXPECT_TRUE(table.MarkClosed(MakeKey(3), 10 * kSec));
  EXPECT_EQ(table.Expire(15 * kSec), 0u);               // exactly 5 s: not yet "longer than"
  table.FindOrInsert(MakeKey(1), 15 * kSec, inserted);  // keep 1 alive
  EXPECT_FALSE(inserted);
  EXPECT_EQ(table.Expire(15 * kSec + 1), 1u);
  ASSERT_EQ(ended_.size(), 2u);
  EXPECT_EQ(ended_[1].value, 3);
  EXPECT_EQ(ended_[1].reason, FlowEndReason::kClosed);
  EXPECT_EQ(table.counters().closed.load(), 1u);
}

TEST_F(FlowTableTest, IdleTimeoutsPerClassStopAtFirstLiveFlow) {
  FlowLimits limits;
  limits.max_flows = 16;
  limits.tcp_idle_timeout = 120 * kSec;
  limits.other_idle_timeout = 30 * kSec;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  table.FindOrInsert(MakeKey(1), 0, inserted, 1);
  table.FindOrInsert(MakeKey(2, decode::kIpProtoUdp), 0, inserted, 2);
  table.FindOrInsert(MakeKey(3), 50 * kSec, inserted, 3);
  table.FindOrInsert(MakeKey(4, decode::kIpProtoUdp), 50 * kSec, inserted, 4);

  EXPECT_EQ(table.Expire(30 * kSec), 0u);
  EXPECT_EQ(table.Expire(30 * kSec + 1), 1u);  // the UDP flow idle since 0
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].value, 2);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kIdleTimeout);
  EXPECT_EQ(table.Expire(120 * kSec + 1), 2u);  // TCP 1 and UDP 4
  EXPECT_EQ(table.Lookup(MakeKey(3))->value, 3);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.counters().idle_timeouts.load(), 3u);
  EXPECT_EQ(table.Expire(170 * kSec + 1), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(FlowTableTest, ExpireRespectsRemovalBudget) {
  FlowLimits limits;
  limits.max_flows = 16;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  for (uint32_t i = 0; i < 10; ++i) table.FindOrInsert(MakeKey(i), i, inserted, i);
  EXPECT_EQ(table.Expire(1000 * kSec, 4), 4u);
  EXPECT_EQ(table.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ended_[i].value, i);  // oldest first
  EXPECT_EQ(table.Expire(1000 * kSec), 6u);
}

TEST_F(FlowTableTest, HardTimeoutOnWalkAndOnLookup) {
  FlowLimits limits;
  limits.max_flows = 16;
  limits.tcp_idle_timeout = 100 * kSec;
  limits.hard_timeout = 300 * kSec;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  table.FindOrInsert(MakeKey(1), 0, inserted, 1);
  table.FindOrInsert(MakeKey(2), 10 * kSec, inserted, 2);
  for (TimestampNs t = 50 * kSec; t <= 300 * kSec; t += 50 * kSec) {
    table.FindOrInsert(MakeKey(1), t, inserted);
    table.FindOrInsert(MakeKey(2), t + 1, inserted);
  }
  // Flow 1 is the LRU head and past its hard timeout: the walk ends it.
  EXPECT_EQ(table.Expire(300 * kSec + 2), 1u);
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].value, 1);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kHardTimeout);
  // Flow 2 (first seen at 10 s) reaches its hard timeout on lookup: ended, replaced.
  Payload* p = table.FindOrInsert(MakeKey(2), 310 * kSec + 1, inserted, 22);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(p->value, 22);
  ASSERT_EQ(ended_.size(), 2u);
  EXPECT_EQ(ended_[1].value, 2);
  EXPECT_EQ(ended_[1].reason, FlowEndReason::kHardTimeout);
  EXPECT_EQ(table.counters().hard_timeouts.load(), 2u);
  EXPECT_EQ(table.Times(MakeKey(2))->first_seen, 310 * kSec + 1);
}

TEST_F(FlowTableTest, IdleFlowFoundByLookupIsReplaced) {
  FlowLimits limits;
  limits.max_flows = 4;
  limits.tcp_idle_timeout = 10 * kSec;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  table.FindOrInsert(MakeKey(1), 0, inserted, 1);
  Payload* p = table.FindOrInsert(MakeKey(1), 11 * kSec, inserted, 2);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(p->value, 2);
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].reason, FlowEndReason::kIdleTimeout);
}

TEST_F(FlowTableTest, LastSeenNeverStepsBack) {
  FlowLimits limits;
  limits.max_flows = 4;
  FlowTable<Payload> table(limits);
  bool inserted;
  table.FindOrInsert(MakeKey(1), 100, inserted);
  table.FindOrInsert(MakeKey(1), 90, inserted);
  EXPECT_EQ(table.Times(MakeKey(1))->last_seen, 100);
}

TEST_F(FlowTableTest, DrainEndsEverythingAndForEachVisitsAll) {
  FlowLimits limits;
  limits.max_flows = 64;
  FlowTable<Payload> table(limits, Recorder());
  bool inserted;
  for (uint32_t i = 0; i < 40; ++i) {
    table.FindOrInsert(MakeKey(i, i % 2 ? decode::kIpProtoUdp : decode::kIpProtoTcp), i, inserted,
                       static_cast<int>(i));
  }
  table.MarkClosed(MakeKey(4), 50);
  int sum = 0;
  size_t visited = 0;
  table.ForEach([&](const FlowKey&, Payload& p, const FlowTimes&) {
    sum += p.value;
    ++visited;
  });
  EXPECT_EQ(visited, 40u);
  EXPECT_EQ(sum, 39 * 40 / 2);
  table.Drain(100);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(ended_.size(), 40u);
  // The flow that had already closed is reported as closed, the others as cut by the shutdown.
  size_t closed = 0;
  for (const auto& e : ended_) {
    EXPECT_TRUE(e.reason == FlowEndReason::kShutdown || e.reason == FlowEndReason::kClosed);
    closed += e.reason == FlowEndReason::kClosed;
  }
  EXPECT_EQ(closed, 1u);
  EXPECT_EQ(table.counters().drained.load(), 39u);
  EXPECT_EQ(table.counters().closed.load(), 1u);
}

TEST_F(FlowTableTest, DestructorDestroysRemainingFlows) {
  FlowLimits limits;
  limits.max_flows = 8;
  {
    FlowTable<Payload> table(limits);
    bool inserted;
    for (uint32_t i = 0; i < 5; ++i) table.FindOrInsert(MakeKey(i), i, inserted);
    EXPECT_EQ(Payload::live, 5);
  }
  EXPECT_EQ(Payload::live, 0);
}

// 100k random inserts, lookups and removals over a small key space (dense probe runs, many
// backward shifts) checked against std::unordered_map. No eviction: the key space fits.
TEST_F(FlowTableTest, RandomOpsMatchUnorderedMap) {
  FlowLimits limits;
  limits.max_flows = 600;  // 2048 buckets
  FlowTable<Payload> table(limits);
  std::unordered_map<FlowKey, int, FlowKeyHash> ref;
  std::mt19937 rng(12345);
  bool inserted;
  for (int op = 0; op < 100000; ++op) {
    const uint32_t n = rng() % 600;
    const FlowKey k = MakeKey(n);
    switch (rng() % 3) {
      case 0: {
        Payload* p = table.FindOrInsert(k, op, inserted, op);
        ASSERT_NE(p, nullptr);
        auto [it, fresh] = ref.try_emplace(k, op);
        ASSERT_EQ(inserted, fresh);
        ASSERT_EQ(p->value, it->second);
        break;
      }
      case 1: {
        Payload* p = table.Lookup(k);
        auto it = ref.find(k);
        ASSERT_EQ(p != nullptr, it != ref.end());
        if (p != nullptr) {
          ASSERT_EQ(p->value, it->second);
        }
        break;
      }
      default:
        ASSERT_EQ(table.Remove(k, op), ref.erase(k) == 1);
        break;
    }
    ASSERT_EQ(table.size(), ref.size());
  }
  for (const auto& [k, v] : ref) {
    ASSERT_NE(table.Lookup(k), nullptr);
    EXPECT_EQ(table.Lookup(k)->value, v);
  }
  EXPECT_EQ(table.counters().evicted.load(), 0u);
}

// Random ops with the cap smaller than the key space, against a reference LRU model.
TEST_F(FlowTableTest, RandomOpsWithEvictionMatchLruModel) {
  FlowLimits limits;
  limits.max_flows = 50;
  FlowTable<Payload> table(limits, Recorder());
  std::list<uint32_t> lru;  // front = oldest
  std::map<uint32_t, std::list<uint32_t>::iterator> where;
  std::mt19937 rng(777);
  bool inserted;
  for (int op = 0; op < 100000; ++op) {
    const uint32_t n = rng() % 200;
    if (rng() % 4 == 0) {
      ended_.clear();
      bool had = where.count(n) != 0;
      ASSERT_EQ(table.Remove(MakeKey(n), op), had);
      if (had) {
        lru.erase(where[n]);
        where.erase(n);
      }
      continue;
    }
    ended_.clear();
    table.FindOrInsert(MakeKey(n), op, inserted, static_cast<int>(n));
    auto it = where.find(n);
    if (it != where.end()) {
      ASSERT_FALSE(inserted);
      lru.splice(lru.end(), lru, it->second);
      ASSERT_TRUE(ended_.empty());
    } else {
      ASSERT_TRUE(inserted);
      if (where.size() == 50) {
        const uint32_t victim = lru.front();
        ASSERT_EQ(ended_.size(), 1u);
        ASSERT_EQ(ended_[0].value, static_cast<int>(victim));
        ASSERT_EQ(ended_[0].reason, FlowEndReason::kEvicted);
        lru.pop_front();
        where.erase(victim);
      }
      lru.push_back(n);
      where[n] = std::prev(lru.end());
    }
    ASSERT_EQ(table.size(), where.size());
  }
  for (const auto& [n, it] : where) ASSERT_NE(table.Lookup(MakeKey(n)), nullptr);
}

TEST(FlowTableSizing, EntryOverheadIsSmall) {
  // Key, times, links and class: the table's own per-flow cost beyond Data.
  EXPECT_LE(FlowTable<char>::EntrySize(), 96u);
}

}  // namespace
}  // namespace bw::flow
