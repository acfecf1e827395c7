#include "sensor/detect/alert.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace bw::detect {

namespace {

using Json = nlohmann::ordered_json;

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days), so the
// formatting needs no libc time zone state.
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

void PutIfNotEmpty(Json& obj, const char* key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

}  // namespace

std::string FormatAlertTimestamp(TimestampNs ts) {
  int64_t secs = ts / kNsPerSecond;
  int64_t nanos = ts % kNsPerSecond;
  if (nanos < 0) {
    nanos += kNsPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  CivilFromDays(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ",
                static_cast<long long>(year), month, day, static_cast<int>(rem / 3600),
                static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60),
                static_cast<long long>(nanos));
  return buf;
}

std::string Alert::ToJson() const {
  Json j;
  j["@timestamp"] = FormatAlertTimestamp(timestamp);
  j["rule"] = RuleName(rule);
  j["severity"] = SeverityName(severity);
  j["summary"] = summary;
  j["first_seen"] = FormatAlertTimestamp(first_seen);
  j["last_seen"] = FormatAlertTimestamp(last_seen);
  j["source"] = {{"ip", source_ip}};
  Json destination;
  PutIfNotEmpty(destination, "ip", destination_ip);
  if (destination_port) destination["port"] = destination_port;
  if (!destination.empty()) j["destination"] = std::move(destination);
  Json storage;
  PutIfNotEmpty(storage, "provider", provider);
  PutIfNotEmpty(storage, "account", account);
  PutIfNotEmpty(storage, "bucket", bucket);
  if (!auth_class.empty()) storage["auth"] = {{"class", auth_class}};
  if (!storage.empty()) j["storage"] = std::move(storage);
  j["encrypted"] = encrypted;
  // An enumeration counts bucket names, not object keys: its count has its own name.
  bool buckets = rule == Rule::kBucketEnumeration;
  j["counts"] = {{"requests", counts.requests},
                 {"objects", counts.objects},
                 {buckets ? "distinct_buckets" : "distinct_keys",
                  buckets ? counts.distinct_buckets : counts.distinct_keys},
                 {"bytes", counts.bytes},
                 {"pages", counts.pages},
                 {"listed_keys", counts.listed_keys},
                 {"denied", counts.denied},
                 {"not_found", counts.not_found},
                 {"suppressed", counts.suppressed}};
  Json ops = Json::object();
  for (const auto& [name, n] : operations) ops[name] = n;
  j["operations"] = std::move(ops);
  j["sample_keys"] = sample_keys;
  if (!user_agent.empty()) j["user_agent"] = {{"original", user_agent}};
  if (!server_name.empty()) j["tls"] = {{"client", {{"server_name", server_name}}}};
  if (!community_id.empty()) j["network"] = {{"community_id", community_id}};
  j["dedup_key"] = dedup_key;
  if (downgraded) j["downgraded"] = true;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace bw::detect
