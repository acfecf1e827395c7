#pragma once
// One row of the central ledger table (deploy/clickhouse/schema.sql) as a JSONEachRow object:
// the ledger line of the same request flattened, column for column. Both the ledger sink (from
// the request the output stage handles) and `bucketwatch ledger-import` (from a ledger line
// parsed back) call this one formatter, so a row does not depend on which way it came.
//
// Guarantees:
//  - every column of the schema is present in every row, in the schema's order (ClickHouse 18.16
//    applies no DEFAULT to an omitted JSONEachRow field);
//  - a value is what the ledger line says, and a field the line leaves out is the column's zero
//    value ("", 0, [], -1 for list_keys): the HTTP response, TLS and listing columns are filled
//    only when the line has that section;
//  - strings are escaped as the ledger's JsonWriter escapes them, invalid UTF-8 replaced the same
//    way;
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

// Appends one row and a newline to `out`.
void AppendLedgerRow(std::string& out, const event::RequestContext& ctx,
                     const storage::StorageEvent& event, const RowSource& source);

// "YYYY-MM-DD" of `ts` in UTC into `buf` (at least 11 bytes); returns 10. Before the epoch:
// "1970-01-01" (the columns are unsigned).
size_t WriteUtcDate(char* buf, TimestampNs ts);

}  // namespace bw::clickhouse
