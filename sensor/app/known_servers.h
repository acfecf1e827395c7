#pragma once
// Server endpoints (address and port) whose traffic was fingerprinted as object storage. Each
// worker keeps one for its own flows (what it learned itself applies to its next requests at
// once), and the output stage keeps the one that decides for every worker (see
// event::KnownServerCandidate). Owned by one thread; the counters may be read from any. Some stores
// (s3rver, and any S3-compatible server behind a proxy that strips x-amz-* headers) answer an
// anonymous object read with nothing that says "storage"; once the same server has answered a
// listing or a signed request, its later requests are storage too. Bounded: at most `capacity`
// servers, least recently seen evicted first (counted), entries older than `ttl` (packet time)
// forgotten.

#include <atomic>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/decode/ip_address.h"

namespace bw::app {

// One remembered server, as Export gives it and Restore takes it (the persisted state).
struct KnownServerEntry {
  decode::IpAddress ip;
  uint16_t port = 0;
  storage::Provider provider = storage::Provider::kS3Compatible;
  TimestampNs last_seen = 0;
};

class KnownServers {
 public:
  KnownServers(size_t capacity, TimestampNs ttl);

  std::optional<storage::Provider> Lookup(const decode::IpAddress& ip, uint16_t port,
                                          TimestampNs now);
  void Learn(const decode::IpAddress& ip, uint16_t port, storage::Provider provider,
             TimestampNs now);

  // SIGHUP: new bounds; beyond the new capacity the least recently seen go (counted).
  void SetLimits(size_t capacity, TimestampNs ttl);

  // Every server, least recently seen first (so Restore of the list rebuilds the same order).
  std::vector<KnownServerEntry> Export() const;
  // Learns each entry as if seen at its last_seen (a later Lookup applies the ttl as usual);
  // capacity bounds it like Learn. Entries the map already holds keep the later of the two.
  void Restore(const std::vector<KnownServerEntry>& entries);

  size_t size() const { return size_.load(std::memory_order_relaxed); }
  uint64_t learned() const { return learned_.load(std::memory_order_relaxed); }
  uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    decode::IpAddress ip;
    uint16_t port;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    storage::Provider provider;
    TimestampNs last_seen;
    std::list<Key>::iterator lru;
  };

  size_t capacity_;
  TimestampNs ttl_;
  std::list<Key> lru_;  // most recent first
  std::unordered_map<Key, Entry, KeyHash> map_;
  std::atomic<uint64_t> learned_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<size_t> size_{0};
};

}  // namespace bw::app
