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
//    carries only what the rule itself has to say.
//  - A Candidate allocates nothing, since most are repeats that dedup suppresses: its dedup key
//    is pieces of the state and request the rule judged (valid while they are), and its
//    summary comes from the rule's <Rule>Summary function, which the engine calls, with the
//    same arguments, only for a candidate that passed dedup.

#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/piece_key.h"

namespace bw::detect {

struct Candidate {
  Rule rule = Rule::kAnonymousList;
  Severity severity = Severity::kHigh;  // as configured, before a crawler downgrade
  PieceKey dedup_key;                   // views, see above; Text() is the alert's dedup_key
  TimestampNs dedup_window = 0;
  std::string_view auth_class;  // static text; when not empty, replaces the activity's in the alert
};

// A storage request as the rules see it, after the engine applied it to the activity.
struct RequestFacts {
  const storage::StorageEvent& event;
  std::string_view client;     // the client's address as text
  bool public_bucket = false;  // on allowlist.public_buckets (matched on the names as sent)
};

}  // namespace bw::detect
