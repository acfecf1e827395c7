#pragma once
// The central ledger table as the reports query it (deploy/clickhouse/schema.sql): the
// LedgerEntry predicates written in SQL, the WHERE clause of --since/--until/--bucket, and a
// query runner that reads TabSeparated rows. Shared by the exposure report
// (clickhouse_source.h) and the inventory (clickhouse_inventory.h) so both read the table the
// same way the local reports read a ledger.
//
// Guarantees:
//  - every FROM reads with FINAL, so rows sent twice by an at-least-once sink count once;
//  - the predicates mean what LedgerEntry's methods mean on the same line (anonymous(),
//    success(), listing(), ObjectRead(), ObjectBytes(), PartialRead());
//  - the --bucket prefilter only narrows what ClickHouse returns to a superset of what fnmatch
//    accepts; BucketMatches decides on each returned bucket, as the local Scan does;
//  - TabSeparated, not JSON: values come back byte-exact, also keys that are not UTF-8;
//  - the password never appears in a query or an error.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/clickhouse/clickhouse_client.h"

namespace bw::report::chsql {

using Fields = std::vector<std::string>;

// "provider/account/bucket" in SQL (BucketKey, InventoryKey).
inline constexpr std::string_view kId = "concat(provider, '/', account, '/', bucket)";
inline constexpr std::string_view kAnon = "(auth_class = 'anonymous')";
inline constexpr std::string_view kSuccess = "(outcome = 'success')";
inline constexpr std::string_view kListing = "(list_keys >= 0)";
// LedgerEntry::ObjectBytes().
inline constexpr std::string_view kObjectBytes =
    "if(has_body_bytes != 0, http_response_body_bytes, http_response_bytes)";
// LedgerEntry::PartialRead().
inline constexpr std::string_view kPartial = "(range_request != 0 OR http_status = 206)";

// LedgerEntry::ObjectRead(): a GET of object data, with operation names from the same table.
std::string ObjectReadSql();

// BucketMatches() of report_command.cc: the glob against the bucket, account/bucket and
// provider/account/bucket.
bool BucketMatches(const std::string& pattern, const std::string& provider,
                   const std::string& account, const std::string& bucket);

// The glob of --bucket as an RE2 pattern that matches at least what fnmatch(3) matches
// (brackets and escapes give no pattern: every bucket is then fetched and fnmatch decides).
// Exposed for tests; empty when no cheap superset exists.
std::string BucketGlobPrefilter(const std::string& glob);

// One TabSeparated row into its unescaped fields; false when it ends inside an escape.
bool SplitRow(std::string_view row, Fields& out);

uint64_t U64(const std::string& s);
int64_t I64(const std::string& s);
inline TimestampNs Ts(const std::string& s) { return static_cast<TimestampNs>(U64(s)); }

// Letters, digits, '_' and '.': the only --table names put into SQL.
[[nodiscard]] bool ValidTableName(const std::string& table);

// What `report --source` reads, the same for the exposure report and the inventory.
struct Source {
  std::string url;       // clickhouse://[user@]host[:port][/database]
  std::string password;  // empty: none
  std::string table = "ledger";
  std::optional<TimestampNs> since;
  std::optional<TimestampNs> until;
  std::string bucket_pattern;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);  // per query
};

// The endpoint of `source` with its password: 0, or 2 (usage) with `error` naming the option
// at fault (--source, --table).
int ResolveSource(const Source& source, clickhouse::Endpoint& endpoint, std::string& error);

class LedgerTable {
 public:
  // `table` without a database is taken in the endpoint's database.
  // The period and --bucket prefilter come from `source`.
  LedgerTable(clickhouse::Client& client, const Source& source);

  // " FROM db.table FINAL[array_join] WHERE 1 AND <period> AND <bucket prefilter>".
  std::string Where(const std::string& array_join = "") const;

  // Runs `sql` (FORMAT TabSeparated is appended) and passes each row of `columns` fields;
  // false with error() when the query failed or a row did not have `columns` fields.
  bool Run(const std::string& sql, size_t columns, const std::function<void(const Fields&)>& fn);

  // The lines in the table and, of those, the ones outside --since/--until: what the local
  // report reads and what its period filter skips.
  bool Totals(uint64_t& lines, uint64_t& outside_period);

  const std::string& error() const { return error_; }

 private:
  clickhouse::Client& client_;
  std::optional<TimestampNs> since_;
  std::optional<TimestampNs> until_;
  std::string table_;
  std::string period_;  // " AND ..." conditions of --since, --until and the --bucket prefilter
  std::string error_;
};

}  // namespace bw::report::chsql
