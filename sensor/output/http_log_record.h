#pragma once
// One line of the HTTP log (--http-log): a request the sensor parsed, storage or not, with the
// connection it travelled on, as an ECS-style JSON object like the ledger's. Absent values (no
// Host, no response) are omitted. Nothing here can carry a credential: the entry was built
// without them (see event::HttpLogEntry).

#include <string>

#include "sensor/event/http_log_entry.h"

namespace bw::output {

// The JSON object, without a trailing newline; `storage` is whether it reached the ledger.
// Invalid UTF-8 from the wire is replaced.
std::string FormatHttpLogLine(const event::HttpLogEntry& e, bool storage);

}  // namespace bw::output
