#include "sensor/detect/known_exposures.h"

#include <algorithm>

namespace bw::detect {

namespace {

// provider byte, account length (2 bytes, big-endian), account, bucket.
PieceKey ExposureKey(storage::Provider p, std::string_view account, std::string_view bucket) {
  PieceKey k;
  k.AddByte(static_cast<uint8_t>(p))
      .AddByte(static_cast<uint8_t>(account.size() >> 8))
      .AddByte(static_cast<uint8_t>(account.size() & 0xFF))
      .Add(account)
      .Add(bucket);
  return k;
}

bool SplitKey(std::string_view key, ExposureRecord& out) {
  if (key.size() < 3) return false;
  size_t account_size = (static_cast<uint8_t>(key[1]) << 8) | static_cast<uint8_t>(key[2]);
  if (key.size() < 3 + account_size) return false;
  out.provider = static_cast<storage::Provider>(static_cast<uint8_t>(key[0]));
  out.account.assign(key.substr(3, account_size));
  out.bucket.assign(key.substr(3 + account_size));
  return true;
}

}  // namespace

bool KnownExposures::Record(storage::Provider p, std::string_view account, std::string_view bucket,
                            TimestampNs ts, size_t cap) {
  if (account.size() > kMaxNameBytes || bucket.size() > kMaxNameBytes) return false;
  PieceKey key = ExposureKey(p, account, bucket);
  if (Entry* e = map_.Find(key)) {
    e->first_seen = std::min(e->first_seen, ts);
    e->last_seen = std::max(e->last_seen, ts);
    return false;
  }
  if (started_ == 0) started_ = ts;
  map_.Insert(key.Text(), Entry{ts, ts, 0}, cap, evicted_);
  return true;
}

ExposureInventory KnownExposures::Export() const {
  ExposureInventory out;
  out.started = started_;
  out.buckets.reserve(map_.size());
  map_.ForEachKeyed([&](const std::string& key, const Entry& e) {
    ExposureRecord r;
    if (!SplitKey(key, r)) return;
    r.first_seen = e.first_seen;
    r.last_seen = e.last_seen;
    out.buckets.push_back(std::move(r));
  });
  return out;
}

void KnownExposures::Restore(const ExposureInventory& saved, size_t cap) {
  if (saved.started != 0 && (started_ == 0 || saved.started < started_)) started_ = saved.started;
  for (const ExposureRecord& r : saved.buckets) {
    if (r.account.size() > kMaxNameBytes || r.bucket.size() > kMaxNameBytes) continue;
    PieceKey key = ExposureKey(r.provider, r.account, r.bucket);
    map_.Erase(key);
    map_.Insert(key.Text(), Entry{r.first_seen, r.last_seen, 0}, cap, evicted_);
  }
}

}  // namespace bw::detect
