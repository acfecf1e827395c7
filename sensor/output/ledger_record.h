#pragma once
// One ledger line: a storage request with the connection it travelled on, rendered as an
// ECS-style nested JSON object. Absent optional values are omitted, never written as "".
// Nothing here can carry a credential: the query is already redacted by the recogniser and
// no header other than User-Agent is copied.

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/event/observer.h"
#include "sensor/event/storage_request.h"

namespace bw::output {

// The JSON object, without a trailing newline. Invalid UTF-8 from the wire is replaced.
// `observer` (the sensor that saw it) is written as observer.name/hostname when given.
std::string FormatLedgerLine(const event::RequestContext& ctx, const storage::StorageEvent& event,
                             const event::Observer* observer = nullptr);
// The same into `out` (replacing its content): a buffer kept across lines allocates only while
// it grows to the longest line.
void FormatLedgerLineTo(std::string& out, const event::RequestContext& ctx,
                        const storage::StorageEvent& event,
                        const event::Observer* observer = nullptr);

}  // namespace bw::output
