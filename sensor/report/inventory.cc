#include "sensor/report/inventory.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace bw::report {

namespace {
// sensor.name is at most 63 bytes when a sensor writes it; a ledger line may say anything.
constexpr size_t kMaxSensorNameBytes = 256;
}  // namespace

std::string InventoryKey(const InventoryRow& row) {
  return row.provider + "/" + row.account + "/" + row.bucket;
}

bool InventoryBuilder::Remember(std::unordered_set<uint64_t>& set, const std::string& value,
                                size_t cap) {
  // 64-bit hashes: exact but for a collision, at odds of n^2 / 2^65.
  uint64_t h = std::hash<std::string_view>{}(value);
  if (set.count(h)) return true;
  if (set.size() >= cap) return false;
  if (distinct_total_ >= limits_.max_distinct_total) {
    ++counters_.distinct_budget_spent;
    return false;
  }
  set.insert(h);
  ++distinct_total_;
  return true;
}

void InventoryBuilder::Add(const LedgerEntry& e) {
  ++counters_.entries;
  if (!e.anonymous() || !e.success()) return;
  ++counters_.anonymous_successes;
  if (e.account.empty() && e.bucket.empty()) {
    ++counters_.no_bucket;
    return;
  }
  std::string key = e.provider + "/" + e.account + "/" + e.bucket;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_buckets) {
      ++counters_.past_bucket_limit;
      return;
    }
    Bucket fresh;
    fresh.row.provider = e.provider;
    fresh.row.account = e.account;
    fresh.row.bucket = e.bucket;
    fresh.row.first_success = e.ts;
    fresh.row.last_success = e.ts;
    it = buckets_.emplace(std::move(key), std::move(fresh)).first;
  }
  Bucket& b = it->second;
  InventoryRow& r = b.row;
  r.first_success = std::min(r.first_success, e.ts);
  r.last_success = std::max(r.last_success, e.ts);
  ++r.anonymous_successes;

  auto op = r.operations.find(e.operation);
  if (op != r.operations.end()) {
    ++op->second;
  } else if (r.operations.size() < limits_.max_operations) {
    r.operations.emplace(e.operation, 1);
  } else {
    ++r.operations_other;
  }

  if (!Remember(b.clients, e.client_ip, limits_.max_clients_per_bucket)) {
    r.clients_lower_bound = true;
  }
  r.clients = b.clients.size();

  if (e.ObjectRead()) {
    ++r.object_reads;
    r.object_bytes += e.ObjectBytes();
    if (!Remember(b.objects, e.key, limits_.max_objects_per_bucket)) r.objects_lower_bound = true;
    r.objects = b.objects.size();
  }

  if (e.observer.empty()) {
    ++r.unattributed;
    return;
  }
  std::string_view sensor = std::string_view(e.observer).substr(0, kMaxSensorNameBytes);
  auto at = std::lower_bound(r.sensors.begin(), r.sensors.end(), sensor);
  if (at == r.sensors.end() || *at != sensor) {
    if (r.sensors.size() < limits_.max_sensors) {
      r.sensors.emplace(at, sensor);
    } else {
      r.sensors_truncated = true;
    }
  }
}

std::vector<InventoryRow> InventoryBuilder::Rows() const {
  std::vector<InventoryRow> rows;
  rows.reserve(buckets_.size());
  for (const auto& [key, b] : buckets_) rows.push_back(b.row);
  std::sort(rows.begin(), rows.end(), [](const InventoryRow& a, const InventoryRow& b) {
    return InventoryKey(a) < InventoryKey(b);
  });
  return rows;
}

}  // namespace bw::report
