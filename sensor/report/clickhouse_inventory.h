#pragma once
// The exposure inventory computed in ClickHouse (`bucketwatch report --inventory --source
// clickhouse://...`): the InventoryRows InventoryBuilder fills from a local ledger, built from
// three GROUP BY queries over the central ledger (deploy/clickhouse/schema.sql) and handed to
// the same inventory formatters.
//
// Guarantees:
//  - aggregation runs in ClickHouse: what comes back is one row per bucket in the period, one
//    per (bucket, operation) and one per (bucket, sensor) of anonymous successes — never a
//    request, a client address or an object key;
//  - every query reads with FINAL, so rows sent twice by an at-least-once sink count once;
//  - distinct clients and objects are uniqExact, as the local builder's 64-bit hashes are exact
//    but for a collision; sensor names are cut to the same 256 bytes; lines without
//    observer.name count as `unattributed`;
//  - the rows and the input counts equal the local inventory's on the same ledger while no
//    InventoryLimits cap is reached. Past a cap the same rule decides what is kept — first seen
//    first, with "first" meaning the earliest @timestamp (ties by name) where the local builder
//    means the first line read: the first max_buckets buckets, max_operations operations and
//    max_sensors sensors per bucket. Distinct counts past max_*_per_bucket are the cap with
//    `*_lower_bound`, as locally; the max_distinct_total budget goes to the buckets first seen
//    first (clients, then objects), and distinct_budget_spent counts the distinct values it
//    left out, where the local builder counts the requests that carried them.
//  - the password never appears in a query, an error or the report.

#include <string>

#include "sensor/report/clickhouse_ledger.h"
#include "sensor/report/inventory.h"
#include "sensor/report/inventory_format.h"

namespace bw::report {

struct ClickHouseInventoryOptions {
  chsql::Source source;
  InventoryLimits limits;
};

// Runs the inventory's queries and prints it with `formatter` (Begin, the rows in InventoryKey
// order, End), filling `meta` as the local inventory does (`sources` names the database; the
// source has no bad or oversized lines). Returns 0, or 1 with `error` when a query failed
// (nothing is printed then), or 2 when the URL or the table name is malformed.
int RunClickHouseInventory(const ClickHouseInventoryOptions& options, InventoryMeta& meta,
                           InventoryFormatter& formatter, std::string& error);

}  // namespace bw::report
