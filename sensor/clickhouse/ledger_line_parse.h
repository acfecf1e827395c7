#pragma once
// A ledger line read back into the request it was formatted from (output/ledger_record.h), for
// `bucketwatch ledger-import`: what it parses, fed to AppendLedgerRow (ledger_row.h), gives the
// row the ledger sink sent for the same request. Guarantees: never throws; a line that is not a
// ledger record (not a JSON object, a field of the wrong type, a provider, operation, auth or
// outcome name this build does not know, an unparsable timestamp or address) is refused with a
// reason, never imported with a guessed value.

#include <string>
#include <string_view>

#include "dissectors/storage/storage_event.h"
#include "sensor/event/observer.h"
#include "sensor/event/storage_request.h"

namespace bw::clickhouse {

struct ParsedLedgerLine {
  event::RequestContext ctx;  // ctx.tls_cipher points into tls_cipher: do not copy or move
  storage::StorageEvent event;
  event::Observer observer;
  bool has_observer = false;
  bool body_bytes_absent = false;  // a response without http.response.body.bytes
  std::string tls_cipher;
  std::string line_sha256;  // hex SHA-256 of the line without its hash-chain field
};

// Fills `out` (every field reset first) from one ledger line, with or without its chain field.
[[nodiscard]] bool ParseLedgerLine(std::string_view line, ParsedLedgerLine& out,
                                   std::string& error);

// The line as the sensor formatted it: without the hash chain field when it ends in one.
// Appends to `out` (cleared first).
void LineWithoutChainField(std::string_view line, std::string& out);

}  // namespace bw::clickhouse
