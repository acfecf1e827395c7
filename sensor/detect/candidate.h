#pragma once
// The contract between the rules (sensor/detect/rules/) and the engine. A rule is a function
// from an activity, the event just applied to it and its own config to an optional Candidate;
// the engine owns everything else. Guarantees of that split:
//  - A rule has no state and no side effects: the engine updates activities before it asks,
//    so a rule only reads.
//  - Dedup is the engine's, once for every rule: a Candidate names its key and window, and
//    the engine decides whether it becomes an alert (counted as evaluated either way).
//  - The engine fills an alert that passes dedup with the facts of the activity (addresses,
//    counts, operations, samples) and lowers the severity of known crawlers; a Candidate
//    carries only what the rule itself has to say. Its summary is built even for a repeat
//    that dedup suppresses: a few short strings, where the activity's samples and operations
//    are copied only for an alert.

#include <string>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/detect/alert.h"

namespace bw::detect {

struct Candidate {
  Rule rule = Rule::kAnonymousList;
  Severity severity = Severity::kHigh;  // as configured, before a crawler downgrade
  std::string dedup_key;
  TimestampNs dedup_window = 0;
  std::string summary;
  std::string auth_class;  // when not empty, replaces the activity's auth class in the alert
};

// A storage request as the rules see it, after the engine applied it to the activity.
struct RequestFacts {
  const storage::StorageEvent& event;
  const std::string& client;   // the client's address as text
  bool public_bucket = false;  // on allowlist.public_buckets (matched on the names as sent)
};

}  // namespace bw::detect
