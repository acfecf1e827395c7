#pragma once
// What the sensor learned that must outlive a restart (DESIGN.md "Many sensors"): the servers
// fingerprinted as storage, so that a restart does not hide their unmarked requests, the
// dedup windows, so that it does not page twice for what it already reported, the inventory of
// buckets seen serving anonymously, so that new_public_exposure fires once per bucket, and the
// detection
// windows open at the time (a bulk read or a name spray in progress), so that it neither misses
// nor restarts an alert that was building up. Serialise and
// Parse are the one document format (JSON, "format": "bucketwatch-state", "version": 1);
// state_file.h puts it on disk.
//
// Guarantees: Parse never throws and never trusts the document. A document of another format
// or version is refused whole (a newer sensor's state is not half-read); within a good
// document, an entry with a missing or out-of-range field is skipped and counted, never
// guessed. Dedup keys and every text a packet supplied (bucket, account, key, user agent,
// server name) are hex-encoded, so any byte survives the trip and no text can break the JSON.
// "windows" and "exposures" are optional (a file from before they were saved still loads). So
// is "ledger_cursor", which only `bucketwatch correlate` writes; when present it must be whole,
// or the document is refused (a cursor guessed would read the central ledger twice or skip part
// of it).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/app/known_servers.h"
#include "sensor/detect/detection_engine.h"

namespace bw::state {

inline constexpr int kStateVersion = 1;

// How far `bucketwatch correlate` has read the central ledger, in its order (ts_ns, then
// line_sha256): every row at or before (ts_ns, line_sha256) was fed to detection. An empty
// line_sha256 sorts before every row of ts_ns, so (t, "") means "every row before t".
struct LedgerCursor {
  bool set = false;
  TimestampNs ts_ns = 0;
  std::string line_sha256;  // 64 lower-case hex digits, or empty
};

struct LearnedState {
  std::vector<app::KnownServerEntry> known_servers;  // least recently seen first
  std::vector<detect::DedupRecord> dedup;            // least recently used first
  detect::OpenWindows windows;
  detect::ExposureInventory exposures;  // least recently served first
};

// `cursor`: correlate's, written as "ledger_cursor" (a sensor passes none).
std::string Serialise(const LearnedState& state, TimestampNs saved_at,
                      const LedgerCursor* cursor = nullptr);

struct ParseResult {
  bool ok = false;
  std::string error;     // why the whole document was refused (ok == false)
  uint64_t skipped = 0;  // entries refused one by one
  TimestampNs saved_at = 0;
  LearnedState state;
  LedgerCursor ledger_cursor;  // set when the document has one
};

ParseResult Parse(std::string_view text);

}  // namespace bw::state
