#pragma once
// What a worker hands to the output stage: a recognised storage request, a request to a server
// only the output stage may know (KnownServerCandidate), an encrypted-flow summary, a flow-log
// line, or an HTTP-log entry. Guarantees: owns everything it holds (never points into packet memory
// or a worker's state), so it may wait in a queue while the worker goes on; `stamp` is the worker's
// clock when the record was made, never below an earlier record's of the same worker.

#include <variant>

#include "dissectors/common/timestamp.h"
#include "sensor/event/encrypted_flow.h"
#include "sensor/event/http_log_entry.h"
#include "sensor/event/storage_request.h"
#include "sensor/output/flow_record.h"

namespace bw::pipeline {

struct OutputRecord {
  TimestampNs stamp = 0;
  std::variant<std::monostate, event::StorageRequest, event::KnownServerCandidate,
               event::EncryptedFlowSummary, output::FlowRecord, event::HttpLogEntry>
      body;
};

}  // namespace bw::pipeline
