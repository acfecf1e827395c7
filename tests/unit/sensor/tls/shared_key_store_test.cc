#include "sensor/tls/shared_key_store.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace bw::tls {
namespace {

ClientRandom Random(uint32_t n) {
  ClientRandom r{};
  for (size_t i = 0; i < 4; ++i) r[i] = static_cast<uint8_t>(n >> (8 * i));
  r[31] = 0x5a;
  return r;
}

// The secret of connection n for `label`: every byte derived from both, so a torn or mixed-up
// copy is seen.
KeyLogEntry Entry(uint32_t n, KeyLogLabel label) {
  KeyLogEntry e;
  e.label = label;
  e.client_random = Random(n);
  std::array<uint8_t, 48> secret{};
  for (size_t i = 0; i < secret.size(); ++i) {
    secret[i] = static_cast<uint8_t>(n * 31 + static_cast<uint32_t>(label) * 7 + i);
  }
  e.secret.Assign(ByteView(secret.data(), secret.size()));
  return e;
}

bool SameSecret(const Secret& held, const KeyLogEntry& expected) {
  return held.Equals(expected.secret.view());
}

TEST(SharedKeyStoreTest, CopyOutInsertEraseAndCounts) {
  SharedKeyStore store(KeyLogStoreLimits{4});
  ConnectionKeys keys;
  EXPECT_FALSE(store.CopyKeys(Random(1), keys));
  EXPECT_EQ(store.generation(), 0u);

  KeyLogEntry e = Entry(1, KeyLogLabel::kClientTrafficSecret0);
  EXPECT_EQ(store.Insert(e), KeyLogInsert::kAdded);
  EXPECT_EQ(store.generation(), 1u);
  ASSERT_TRUE(store.CopyKeys(Random(1), keys));
  EXPECT_TRUE(SameSecret(keys.Get(KeyLogLabel::kClientTrafficSecret0), e));
  EXPECT_FALSE(keys.Has(KeyLogLabel::kServerTrafficSecret0));

  // The same line again is nothing new: a waiter need not look again.
  EXPECT_EQ(store.Insert(e), KeyLogInsert::kDuplicate);
  EXPECT_EQ(store.generation(), 1u);

  // The copy is the caller's: erasing the connection does not touch it...
  EXPECT_TRUE(store.Erase(Random(1)));
  EXPECT_FALSE(store.Erase(Random(1)));
  EXPECT_TRUE(SameSecret(keys.Get(KeyLogLabel::kClientTrafficSecret0), e));
  // ...and a miss wipes it, so stale keys are never taken for the next connection's.
  EXPECT_FALSE(store.CopyKeys(Random(1), keys));
  EXPECT_FALSE(keys.Has(KeyLogLabel::kClientTrafficSecret0));

  for (uint32_t n = 10; n < 16; ++n) store.Insert(Entry(n, KeyLogLabel::kClientRandom));
  SharedKeyStoreCounts c = store.Counts();
  EXPECT_EQ(c.connections, 4u);
  EXPECT_EQ(c.capacity, 4u);
  EXPECT_EQ(c.bytes, 4 * kKeyLogStoreBytesPerConnection);
  EXPECT_EQ(c.store.connections_evicted, 2u);
  EXPECT_EQ(c.store.connections_erased, 1u);
  EXPECT_EQ(c.store.entries_duplicate, 1u);
  EXPECT_EQ(c.lookups, 3u);
  EXPECT_EQ(c.lookup_hits, 1u);
  EXPECT_EQ(c.generation, 7u);
  EXPECT_EQ(store.capacity_bytes(), 4 * kKeyLogStoreBytesPerConnection);
}

// One loader inserting while two workers look up, wait on generation() and erase, as the
// sensor runs them; every copy a worker gets must be whole (all bytes of one connection's
// secret). Bounded: the loader inserts a fixed number of keys, the workers stop when it is done
// or at a deadline. Run under ThreadSanitizer by scripts/test-tsan (sensor/tls is in
// BW_THREADED_UNIT_DIRS).
TEST(SharedKeyStoreTest, LoaderAndTwoWorkersConcurrently) {
  constexpr uint32_t kConnections = 3000;
  // Small enough that the loader evicts while workers copy.
  SharedKeyStore store(KeyLogStoreLimits{256});
  std::atomic<bool> loader_done{false};
  std::atomic<uint64_t> torn{0};
  std::atomic<uint64_t> hits{0};

  std::thread loader([&] {
    for (uint32_t n = 0; n < kConnections; ++n) {
      store.Insert(Entry(n, KeyLogLabel::kClientTrafficSecret0));
      store.Insert(Entry(n, KeyLogLabel::kServerTrafficSecret0));
    }
    loader_done.store(true);
  });
  auto worker = [&](uint32_t first) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    ConnectionKeys keys;
    uint64_t seen_generation = 0;
    for (uint32_t n = first; n < kConnections; n += 2) {
      // Wait (bounded) for this connection's keys, looking again only when generation moved.
      for (int tries = 0; tries < 100000; ++tries) {
        uint64_t g = store.generation();
        if (g != seen_generation || tries == 0) {
          seen_generation = g;
          if (store.CopyKeys(Random(n), keys)) break;
        }
        if (loader_done.load() || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::yield();
      }
      if (keys.Has(KeyLogLabel::kClientTrafficSecret0)) {
        ++hits;
        if (!SameSecret(keys.Get(KeyLogLabel::kClientTrafficSecret0),
                        Entry(n, KeyLogLabel::kClientTrafficSecret0))) {
          ++torn;
        }
      }
      if (keys.Has(KeyLogLabel::kServerTrafficSecret0) &&
          !SameSecret(keys.Get(KeyLogLabel::kServerTrafficSecret0),
                      Entry(n, KeyLogLabel::kServerTrafficSecret0))) {
        ++torn;
      }
      if (n % 3 == 0) store.Erase(Random(n));  // the connection ended
      (void)store.Counts();                    // the metrics thread reads counts too
    }
  };
  std::thread w0(worker, 0);
  std::thread w1(worker, 1);
  loader.join();
  w0.join();
  w1.join();

  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  SharedKeyStoreCounts c = store.Counts();
  EXPECT_EQ(c.store.entries_added, 2u * kConnections);
  EXPECT_EQ(c.generation, 2u * kConnections);
  EXPECT_LE(c.connections, 256u);
  EXPECT_EQ(c.store.connections_added,
            c.connections + c.store.connections_evicted + c.store.connections_erased);
}

}  // namespace
}  // namespace bw::tls
