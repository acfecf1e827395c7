#pragma once
// One row of the central ledger (deploy/clickhouse/schema.sql), as ClickHouse's JSONEachRow
// prints it, turned back into the request the sensor's output stage handled: the RequestContext
// and StorageEvent its detection engine was fed, so `bucketwatch correlate` runs the same rules
// on rows from every sensor. Guarantees:
//  - a row converts only with a known provider, a valid client address and a timestamp; anything
//    else is refused whole (`error` says which column), never guessed;
//  - 64-bit columns are read both as JSON numbers and as the quoted strings ClickHouse prints by
//    default (output_format_json_quote_64bit_integers);
//  - what detection reads is exact: times, addresses, names, operation and its kind, auth,
//    outcome, byte counts; what the ledger does not carry is left at its default
//    (recognised_by, the TLS cipher name) and detection does not read it;
//  - strings are copied, bounded by the client's row limit (kMaxRowBytes); never throws.

#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "sensor/event/storage_request.h"

namespace bw::correlate {

// The columns ReadLedgerRow needs, for the SELECT.
extern const char* const kLedgerRowColumns;

struct LedgerRow {
  event::StorageRequest request;
  TimestampNs ts_ns = 0;      // @timestamp: the request's first byte (request.ctx.start_ts)
  std::string line_sha256;    // the row's identity within ts_ns (the reading order's tie-break)
  std::string observer_name;  // the sensor that saw it
};

[[nodiscard]] bool ReadLedgerRow(std::string_view json, LedgerRow& out, std::string& error);

}  // namespace bw::correlate
