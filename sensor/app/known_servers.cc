#include "sensor/app/known_servers.h"

namespace bw::app {

KnownServers::KnownServers(size_t capacity, TimestampNs ttl)
    : capacity_(capacity == 0 ? 1 : capacity), ttl_(ttl) {
  map_.reserve(capacity_);
}

size_t KnownServers::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull ^ k.port;
  for (uint8_t b : k.ip.bytes) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h ^ k.ip.family);
}

std::optional<storage::Provider> KnownServers::Lookup(const decode::IpAddress& ip, uint16_t port,
                                                      TimestampNs now) {
  auto it = map_.find(Key{ip, port});
  if (it == map_.end()) return std::nullopt;
  if (now - it->second.last_seen > ttl_) {
    lru_.erase(it->second.lru);
    map_.erase(it);
    size_.store(map_.size(), std::memory_order_relaxed);
    return std::nullopt;
  }
  return it->second.provider;
}

void KnownServers::Learn(const decode::IpAddress& ip, uint16_t port, storage::Provider provider,
                         TimestampNs now) {
  Key key{ip, port};
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second.provider = provider;
    if (now > it->second.last_seen) it->second.last_seen = now;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  if (map_.size() >= capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
    evicted_.fetch_add(1, std::memory_order_relaxed);
  }
  lru_.push_front(key);
  map_.emplace(key, Entry{provider, now, lru_.begin()});
  learned_.fetch_add(1, std::memory_order_relaxed);
  size_.store(map_.size(), std::memory_order_relaxed);
}

void KnownServers::SetLimits(size_t capacity, TimestampNs ttl) {
  capacity_ = capacity == 0 ? 1 : capacity;
  ttl_ = ttl;
  while (map_.size() > capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
    evicted_.fetch_add(1, std::memory_order_relaxed);
  }
  size_.store(map_.size(), std::memory_order_relaxed);
}

std::vector<KnownServerEntry> KnownServers::Export() const {
  std::vector<KnownServerEntry> out;
  out.reserve(map_.size());
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    const Entry& e = map_.at(*it);
    out.push_back(KnownServerEntry{it->ip, it->port, e.provider, e.last_seen});
  }
  return out;
}

void KnownServers::Restore(const std::vector<KnownServerEntry>& entries) {
  const uint64_t learned = learned_.load(std::memory_order_relaxed);
  for (const KnownServerEntry& e : entries) Learn(e.ip, e.port, e.provider, e.last_seen);
  // Restored servers were learned in an earlier run: the counter is of this run's lessons.
  learned_.store(learned, std::memory_order_relaxed);
}

}  // namespace bw::app
