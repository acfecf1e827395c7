#pragma once
// The SQL `bucketwatch correlate` sends to the central ledger. Guarantees:
//  - every read is under FINAL, so rows a sensor sent twice (at-least-once batches) are read
//    once, whatever the table's merges have done so far;
//  - a page is rows after a cursor in the one reading order (ts_ns, line_sha256), before an
//    exclusive upper time, at most `limit` of them: reading page after page from the last row
//    of the previous one visits every row once, and a page's size is bounded;
//  - partitions outside the page's days are not read (a `date` condition alongside ts_ns);
//  - values are numbers or quoted with clickhouse::QuoteString: nothing a row or a user gave
//    reaches the SQL unquoted.

#include <cstdint>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "sensor/detect/alert.h"
#include "sensor/state/learned_state.h"

namespace bw::correlate {

// `table` is "db.ledger" (the endpoint's database and the ledger table).
std::string PageQuery(std::string_view table, const state::LedgerCursor& after, TimestampNs before,
                      uint64_t limit);

// The time of the first row at or after `from` and before `before` (one `ts_ns` line, or none):
// where reading goes on after an empty slice, so a gap in the ledger costs one query, not one
// per slice. Without FINAL: a duplicate row has the same time.
std::string NextRowQuery(std::string_view table, TimestampNs from, TimestampNs before);

// The sensors whose rows are the evidence of `alert` (a bucket_enumeration or bulk_exfiltration
// alert of the fleet rules): the rows of its client (and, for bulk_exfiltration, successful
// object reads of its bucket) from one `window` before the alert up to it. One name per line,
// sorted, at most `limit`.
std::string SensorsQuery(std::string_view table, const detect::Alert& alert, TimestampNs window,
                         uint64_t limit);

}  // namespace bw::correlate
