#include "sensor/tls/shared_key_store.h"

namespace bw::tls {

SharedKeyStore::SharedKeyStore(KeyLogStoreLimits limits) : store_(limits) {}

KeyLogInsert SharedKeyStore::Insert(const KeyLogEntry& entry) {
  KeyLogInsert result;
  {
    std::lock_guard lock(mutex_);
    result = store_.Insert(entry);
  }
  // After the unlock: a waiter that sees the new generation and locks finds the key.
  if (result != KeyLogInsert::kDuplicate) generation_.fetch_add(1, std::memory_order_release);
  return result;
}

bool SharedKeyStore::CopyKeys(const ClientRandom& client_random, ConnectionKeys& out) const {
  std::lock_guard lock(mutex_);
  ++lookups_;
  const ConnectionKeys* held = store_.Find(client_random);
  if (held == nullptr) {
    out.Clear();
    return false;
  }
  ++lookup_hits_;
  out = *held;  // Secret's assignment wipes what `out` held first
  return true;
}

bool SharedKeyStore::Erase(const ClientRandom& client_random) {
  std::lock_guard lock(mutex_);
  return store_.Erase(client_random);
}

uint64_t SharedKeyStore::capacity_bytes() const {
  std::lock_guard lock(mutex_);
  return static_cast<uint64_t>(store_.capacity()) * kKeyLogStoreBytesPerConnection;
}

SharedKeyStoreCounts SharedKeyStore::Counts() const {
  SharedKeyStoreCounts c;
  std::lock_guard lock(mutex_);
  c.store = store_.counts();
  c.connections = store_.size();
  c.bytes = store_.bytes_used();
  c.capacity = store_.capacity();
  c.lookups = lookups_;
  c.lookup_hits = lookup_hits_;
  c.generation = generation_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace bw::tls
