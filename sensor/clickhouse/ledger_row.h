#pragma once
// One row of the central ledger table (deploy/clickhouse/schema.sql) as a TabSeparated line:
// the ledger line of the same request flattened, column for column. Both the ledger sink (from
// the request the output stage handles) and `bucketwatch ledger-import` (from a ledger line
// parsed back) call this one formatter, so a row does not depend on which way it came.
// TabSeparated rather than JSONEachRow: no column names in every row, so the row is less than
// half the bytes, formats in about half the time and ClickHouse parses it faster.
//
// Guarantees:
//  - every column of kLedgerColumns is present in every row, in that order, and an INSERT
//    names them (LedgerInsertClause): the table's own column order does not matter;
//  - a value is what the ledger line says, and a field the line leaves out is the column's zero
//    value ("", 0, [], -1 for list_keys): the HTTP response, TLS and listing columns are filled
//    only when the line has that section;
//  - strings carry what the ledger line's JSON strings decode to: invalid UTF-8 is replaced as
//    the ledger's JsonWriter replaces it (utf8_escape.h), and tab, newline, backslash and quote
//    are escaped with a backslash as ClickHouse's TabSeparated reads them;
//  - appended to a caller's buffer: no allocation once it has grown to the longest batch.

#include <cstdint>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/event/observer.h"
#include "sensor/event/storage_request.h"

namespace bw::clickhouse {

// The line_sha256 column: lower-case hex SHA-256 of the ledger line without its chain field.
inline constexpr size_t kLineHashHexBytes = 64;

struct RowSource {
  const event::Observer* observer = nullptr;  // observer.name/hostname; null: both empty
  std::string_view line_sha256;               // kLineHashHexBytes of hex
  // A ledger line written before http.response.body.bytes existed (has_body_bytes = 0 even
  // with a response); the sensor's own rows always have it when there is a response.
  bool body_bytes_absent = false;
};

// The columns a row carries, in its order.
inline constexpr std::string_view kLedgerColumns[] = {"date",
                                                      "time",
                                                      "ts_ns",
                                                      "duration_ns",
                                                      "observer_name",
                                                      "observer_hostname",
                                                      "source_ip",
                                                      "source_port",
                                                      "destination_ip",
                                                      "destination_port",
                                                      "community_id",
                                                      "http_method",
                                                      "http_request_bytes",
                                                      "http_status",
                                                      "http_response_bytes",
                                                      "http_response_body_bytes",
                                                      "has_body_bytes",
                                                      "url_domain",
                                                      "url_path",
                                                      "url_query",
                                                      "user_agent",
                                                      "tls_decrypted",
                                                      "tls_version",
                                                      "tls_cipher",
                                                      "tls_server_name",
                                                      "provider",
                                                      "account",
                                                      "bucket",
                                                      "object_key",
                                                      "operation",
                                                      "auth_class",
                                                      "auth_scheme",
                                                      "access_key_id",
                                                      "outcome",
                                                      "error_code",
                                                      "range_request",
                                                      "list_keys",
                                                      "list_truncated",
                                                      "sample_keys",
                                                      "missing_bytes",
                                                      "line_sha256"};

// What follows "INSERT INTO <table> " for rows of AppendLedgerRow: "(date,...) FORMAT
// TabSeparated".
const std::string& LedgerInsertClause();

// Appends one row and a newline to `out`.
void AppendLedgerRow(std::string& out, const event::RequestContext& ctx,
                     const storage::StorageEvent& event, const RowSource& source);

// "YYYY-MM-DD" of `ts` in UTC into `buf` (at least 11 bytes); returns 10. Before the epoch:
// "1970-01-01" (the columns are unsigned).
size_t WriteUtcDate(char* buf, TimestampNs ts);

}  // namespace bw::clickhouse
