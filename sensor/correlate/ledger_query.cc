#include "sensor/correlate/ledger_query.h"

#include <algorithm>

#include "dissectors/storage/operation.h"
#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/common/rfc3339.h"
#include "sensor/correlate/ledger_row_reader.h"

namespace bw::correlate {

namespace {

// "'YYYY-MM-DD'" of `ts` (UTC); before the epoch, the epoch's day (the column is unsigned).
std::string DateLiteral(TimestampNs ts) {
  return "'" + common::FormatRfc3339(std::max<TimestampNs>(ts, 0), 0).substr(0, 10) + "'";
}

// The rows between `from` (inclusive) and `to` (exclusive), their days' partitions only.
std::string TimeRange(TimestampNs from, TimestampNs to) {
  from = std::max<TimestampNs>(from, 0);
  to = std::max<TimestampNs>(to, from);
  return "date >= " + DateLiteral(from) + " AND date <= " + DateLiteral(to) +
         " AND ts_ns >= " + std::to_string(from) + " AND ts_ns < " + std::to_string(to);
}

// The operations whose successful requests serve object data (bulk_exfiltration's reads).
std::string ReadOperations() {
  std::string list;
  for (size_t i = 0; i < storage::kOperationCount; ++i) {
    auto op = static_cast<storage::Operation>(i);
    if (storage::OperationKindOf(op) != storage::OperationKind::kRead) continue;
    if (!list.empty()) list += ", ";
    list += clickhouse::QuoteString(storage::OperationName(op));
  }
  return list;
}

}  // namespace

std::string PageQuery(std::string_view table, const state::LedgerCursor& after, TimestampNs before,
                      uint64_t limit) {
  std::string sql = "SELECT ";
  sql += kLedgerRowColumns;
  sql += " FROM ";
  sql += table;
  sql += " FINAL WHERE " + TimeRange(after.ts_ns, before);
  if (!after.line_sha256.empty()) {
    sql += " AND (ts_ns > " + std::to_string(after.ts_ns) + " OR line_sha256 > " +
           clickhouse::QuoteString(after.line_sha256) + ")";
  }
  sql += " ORDER BY ts_ns, line_sha256 LIMIT " + std::to_string(limit) + " FORMAT JSONEachRow";
  return sql;
}

std::string NextRowQuery(std::string_view table, TimestampNs from, TimestampNs before) {
  std::string sql = "SELECT ts_ns FROM ";
  sql += table;
  sql += " WHERE " + TimeRange(from, before) + " ORDER BY ts_ns LIMIT 1 FORMAT JSONEachRow";
  return sql;
}

std::string SensorsQuery(std::string_view table, const detect::Alert& alert, TimestampNs window,
                         uint64_t limit) {
  // Rows carry their first byte's time and the engine judged the last one's: up to the alert,
  // plus one window and one slot (window/60, sliding_window.h) before it.
  const TimestampNs to = alert.timestamp + 1;
  const TimestampNs from = alert.timestamp - window - window / 60;
  std::string sql = "SELECT DISTINCT observer_name FROM ";
  sql += table;
  sql += " FINAL WHERE " + TimeRange(from, to);
  sql += " AND source_ip = " + clickhouse::QuoteString(alert.source_ip);
  if (alert.rule == detect::Rule::kBulkExfiltration) {
    sql += " AND provider = " + clickhouse::QuoteString(alert.provider) +
           " AND account = " + clickhouse::QuoteString(alert.account) +
           " AND bucket = " + clickhouse::QuoteString(alert.bucket) +
           " AND outcome = 'success' AND operation IN (" + ReadOperations() + ")";
  } else {
    sql += " AND (bucket != '' OR account != '')";
  }
  sql += " ORDER BY observer_name LIMIT " + std::to_string(limit) + " FORMAT JSONEachRow";
  return sql;
}

}  // namespace bw::correlate
