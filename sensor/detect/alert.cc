#include "sensor/detect/alert.h"

#include <nlohmann/json.hpp>

#include "sensor/common/rfc3339.h"

namespace bw::detect {

namespace {

using Json = nlohmann::ordered_json;

void PutIfNotEmpty(Json& obj, const char* key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

}  // namespace

std::string Alert::ToJson(const event::Observer* observer) const {
  Json j;
  j["@timestamp"] = common::FormatRfc3339(timestamp);
  if (observer != nullptr)
    j["observer"] = {{"name", observer->name}, {"hostname", observer->hostname}};
  if (!sensors.empty()) j["sensors"] = sensors;
  j["rule"] = RuleName(rule);
  j["severity"] = SeverityName(severity);
  j["summary"] = summary;
  j["first_seen"] = common::FormatRfc3339(first_seen);
  j["last_seen"] = common::FormatRfc3339(last_seen);
  j["source"] = {{"ip", source_ip}};
  Json destination;
  PutIfNotEmpty(destination, "ip", destination_ip);
  if (destination_port) destination["port"] = destination_port;
  if (!destination.empty()) j["destination"] = std::move(destination);
  Json storage;
  PutIfNotEmpty(storage, "provider", provider);
  PutIfNotEmpty(storage, "account", account);
  PutIfNotEmpty(storage, "bucket", bucket);
  if (!endpoint.empty()) {
    storage["endpoint"] = endpoint;
    storage["bucket_visible"] = false;
  }
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
                 {"message_bytes", counts.message_bytes},
                 {"tls_wire_bytes", counts.tls_wire_bytes},
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
