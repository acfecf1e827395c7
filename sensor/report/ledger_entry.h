#pragma once
// One ledger line reduced to the fields the exposure report needs. Parsing
// never throws: a line that is not a JSON object with a storage section is
// rejected and counted by the caller.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/timestamp.h"

namespace bw::report {

struct LedgerEntry {
  TimestampNs ts = 0;
  std::string client_ip;
  std::string user_agent;
  std::string method;
  uint16_t status = 0;          // 0 without response
  uint64_t response_bytes = 0;  // http.response.bytes: the message on the wire
  uint64_t body_bytes = 0;      // http.response.body.bytes: the object bytes it carried
  bool has_body_bytes = false;  // ledgers written before issue 16 have only the message
  std::string url_path;
  std::string url_query;
  std::string provider;
  std::string account;
  std::string bucket;
  std::string key;
  std::string operation;
  std::string auth_class;
  std::string access_key_id;
  std::string outcome;
  std::string error_code;
  bool range = false;
  int64_t list_keys = -1;  // -1: not a listing
  bool list_truncated = false;
  std::vector<std::string> sample_keys;  // storage.list.sample_keys when the ledger has them
  std::string observer;  // observer.name: the sensor that saw it; empty in older ledgers

  bool anonymous() const { return auth_class == "anonymous"; }
  bool success() const { return outcome == "success"; }
  bool denied() const { return outcome == "denied"; }
  bool listing() const { return list_keys >= 0; }
  // A successful GET of object data (not metadata): GetObject, GetBlob, GCS
  // media downloads.
  bool ObjectRead() const;
  // A Range request or a 206 answer: part of the object was read.
  bool PartialRead() const { return range || status == 206; }
  // What a read took away: the object bytes when the ledger has them, else (older ledgers) the
  // whole response message.
  uint64_t ObjectBytes() const { return has_body_bytes ? body_bytes : response_bytes; }
};

// Fills `out` from one ledger line; false when the line is not a usable ledger
// record.
[[nodiscard]] bool ParseLedgerEntry(std::string_view line, LedgerEntry& out);

// RFC 3339 ("2026-11-23T10:16:15.123456789Z", offsets "+01:00" accepted), a
// date
// ("2026-11-23", midnight UTC) or integer seconds since the epoch.
std::optional<TimestampNs> ParseTime(std::string_view text);

}  // namespace bw::report
