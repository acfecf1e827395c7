#pragma once
// The TLS keys of the sensor, shared by the key log loader (one thread) and the workers.
//
// Guarantees:
// - Every member may be called from any thread. One mutex guards the store; it is held only for
//   a hash lookup and a copy of one connection's secrets (well under a microsecond), never across
//   I/O. Lookups are per connection (when its ClientHello is seen, and again only when
//   generation() moved), not per packet, so workers rarely meet on it.
// - CopyKeys() copies a connection's secrets out under the mutex into a value the caller owns:
//   no pointer into the store survives the unlock, so an eviction or Erase by another thread
//   can never leave a worker reading wiped or reused memory.
// - generation() grows by one after every Insert that stored something new (a key added or
//   replaced; a duplicate line changes nothing). A worker waiting for keys reads generation()
//   before its lookup and looks again only when it moved.
// - The store is bounded by KeyLogStore's limits (oldest connection evicted, counted); every
//   secret is wiped when it leaves it (tls::KeyLogStore).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "dissectors/tls/key_log.h"

namespace bw::tls {

struct SharedKeyStoreCounts {
  KeyLogStoreCounts store;   // added, duplicate, replaced, evicted, erased, wiped
  uint64_t connections = 0;  // connections whose keys are held now
  uint64_t bytes = 0;        // what they cost (kKeyLogStoreBytesPerConnection each)
  uint64_t capacity = 0;     // tls.max_keys
  uint64_t lookups = 0;      // CopyKeys calls
  uint64_t lookup_hits = 0;  // ... that found keys
  uint64_t generation = 0;
};

class SharedKeyStore {
 public:
  explicit SharedKeyStore(KeyLogStoreLimits limits = {});
  SharedKeyStore(const SharedKeyStore&) = delete;
  SharedKeyStore& operator=(const SharedKeyStore&) = delete;

  // Stores one key (tls::KeyLogStore::Insert) and, when it was new, advances generation().
  KeyLogInsert Insert(const KeyLogEntry& entry);

  // Copies the keys held for `client_random` into `out` and returns true; otherwise wipes `out`
  // and returns false. Read generation() before calling it, see above.
  bool CopyKeys(const ClientRandom& client_random, ConnectionKeys& out) const;

  // The connection ended: its keys are wiped. False when none were held.
  bool Erase(const ClientRandom& client_random);

  // Relaxed is not enough for a waiter: acquire pairs with the release in Insert, though the
  // mutex taken by CopyKeys orders the keys themselves.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The most the store holds, in bytes (for the memory budget): fixed at construction.
  uint64_t capacity_bytes() const;

  SharedKeyStoreCounts Counts() const;

 private:
  mutable std::mutex mutex_;
  KeyLogStore store_;             // guarded by mutex_
  mutable uint64_t lookups_ = 0;  // guarded by mutex_
  mutable uint64_t lookup_hits_ = 0;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace bw::tls
