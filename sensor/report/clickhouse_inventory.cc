#include "sensor/report/clickhouse_inventory.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/report/clickhouse_ledger.h"

namespace bw::report {

namespace {

using chsql::Fields;
using chsql::Ts;
using chsql::U64;

// InventoryBuilder's cut of a sensor name (inventory.cc).
constexpr size_t kMaxSensorNameBytes = 256;

class Inventory {
 public:
  Inventory(const ClickHouseInventoryOptions& o, clickhouse::Client& client)
      : o_(o), ledger_(client, o.source) {
    const std::string as = std::string(chsql::kAnon) + " AND " + std::string(chsql::kSuccess);
    anon_success_ = as;
    read_ = as + " AND " + chsql::ObjectReadSql();
  }

  bool Load(InventoryMeta& meta) {
    return ledger_.Totals(meta.lines, meta.outside_period) && Buckets() && Operations() &&
           Sensors();
  }

  const std::map<std::string, InventoryRow>& rows() const { return rows_; }
  const InventoryCounters& counters() const { return counters_; }
  const std::string& error() const { return ledger_.error(); }

 private:
  InventoryRow* Find(const Fields& f) {
    auto it = rows_.find(f[0] + "/" + f[1] + "/" + f[2]);
    return it == rows_.end() ? nullptr : &it->second;
  }

  // A distinct count within its per-bucket cap and what is left of max_distinct_total.
  void Distinct(uint64_t n, size_t cap, uint64_t& count, bool& lower_bound) {
    uint64_t kept = std::min<uint64_t>(n, cap);
    lower_bound = n > cap;
    uint64_t room = o_.limits.max_distinct_total - distinct_total_;
    if (kept > room) {
      counters_.distinct_budget_spent += kept - room;
      kept = room;
      lower_bound = true;
    }
    distinct_total_ += kept;
    count = kept;
  }

  // One row per bucket in the period, first anonymous success first: the --bucket glob, the
  // input counts, the bucket cap and the row's numbers.
  bool Buckets() {
    const std::string& as = anon_success_;
    std::string sql =
        "SELECT provider, account, bucket, count(), countIf(" + as + "), minIf(ts_ns, " + as +
        ") AS first, maxIf(ts_ns, " + as + "), uniqExactIf(source_ip, " + as + "), countIf(" +
        read_ + "), sumIf(" + std::string(chsql::kObjectBytes) + ", " + read_ +
        "), uniqExactIf(object_key, " + read_ + "), countIf(" + as + " AND observer_name = '')" +
        ledger_.Where() +
        " GROUP BY provider, account, bucket ORDER BY first, provider, account, bucket";
    return ledger_.Run(sql, 12, [&](const Fields& f) {
      if (!chsql::BucketMatches(o_.source.bucket_pattern, f[0], f[1], f[2])) return;
      counters_.entries += U64(f[3]);
      uint64_t n = U64(f[4]);
      if (n == 0) return;  // no anonymous success: not listed
      counters_.anonymous_successes += n;
      if (f[1].empty() && f[2].empty()) {
        counters_.no_bucket += n;
        return;
      }
      if (rows_.size() >= o_.limits.max_buckets) {
        counters_.past_bucket_limit += n;
        return;
      }
      InventoryRow r;
      r.provider = f[0];
      r.account = f[1];
      r.bucket = f[2];
      r.anonymous_successes = n;
      r.first_success = Ts(f[5]);
      r.last_success = Ts(f[6]);
      Distinct(U64(f[7]), o_.limits.max_clients_per_bucket, r.clients, r.clients_lower_bound);
      r.object_reads = U64(f[8]);
      r.object_bytes = U64(f[9]);
      Distinct(U64(f[10]), o_.limits.max_objects_per_bucket, r.objects, r.objects_lower_bound);
      r.unattributed = U64(f[11]);
      std::string key = InventoryKey(r);
      rows_.emplace(std::move(key), std::move(r));
    });
  }

  // Anonymous successes by operation, first seen first: max_operations get a count of their
  // own, later ones are summed into operations_other.
  bool Operations() {
    std::string sql = "SELECT provider, account, bucket, operation, count(), min(ts_ns) AS first" +
                      ledger_.Where() + " AND " + anon_success_ +
                      " GROUP BY provider, account, bucket, operation ORDER BY first, operation";
    return ledger_.Run(sql, 6, [&](const Fields& f) {
      InventoryRow* r = Find(f);
      if (!r) return;
      if (r->operations.size() < o_.limits.max_operations) {
        r->operations.emplace(f[3], U64(f[4]));
      } else {
        r->operations_other += U64(f[4]);
      }
    });
  }

  // The sensors that saw a bucket's anonymous successes, first seen first, max_sensors of
  // them; one more per bucket tells whether any were left out.
  bool Sensors() {
    std::string sql =
        "SELECT provider, account, bucket, substring(observer_name, 1, " +
        std::to_string(kMaxSensorNameBytes) + ") AS sensor, min(ts_ns) AS first" + ledger_.Where() +
        " AND " + anon_success_ +
        " AND observer_name != '' GROUP BY provider, account, bucket, sensor ORDER BY first, "
        "sensor LIMIT " +
        std::to_string(o_.limits.max_sensors + 1) + " BY provider, account, bucket";
    bool ok = ledger_.Run(sql, 5, [&](const Fields& f) {
      InventoryRow* r = Find(f);
      if (!r) return;
      if (r->sensors.size() < o_.limits.max_sensors) {
        r->sensors.push_back(f[3]);
      } else {
        r->sensors_truncated = true;
      }
    });
    for (auto& [key, r] : rows_) std::sort(r.sensors.begin(), r.sensors.end());
    return ok;
  }

  const ClickHouseInventoryOptions& o_;
  chsql::LedgerTable ledger_;
  std::string anon_success_;
  std::string read_;                          // an anonymous successful object read
  std::map<std::string, InventoryRow> rows_;  // by InventoryKey, the formatters' order
  InventoryCounters counters_;
  uint64_t distinct_total_ = 0;
};

}  // namespace

int RunClickHouseInventory(const ClickHouseInventoryOptions& o, InventoryMeta& meta,
                           InventoryFormatter& formatter, std::string& error) {
  clickhouse::Endpoint endpoint;
  if (int code = chsql::ResolveSource(o.source, endpoint, error)) return code;
  meta.sources = {clickhouse::DisplayName(endpoint)};
  clickhouse::Client client(endpoint, o.source.timeout);
  Inventory inventory(o, client);
  if (!inventory.Load(meta)) {
    error = inventory.error();
    return 1;
  }
  InventoryCounters counters = inventory.counters();
  meta.other_buckets = meta.lines - meta.outside_period - counters.entries;
  meta.counters = &counters;
  meta.limits = &o.limits;
  formatter.Begin(meta);
  for (const auto& [key, row] : inventory.rows()) formatter.Row(row);
  formatter.End(meta);
  meta.counters = nullptr;
  return 0;
}

}  // namespace bw::report
