#pragma once
// Builds ledger lines for the report tests, in the shape
// sensor/output/ledger_record.cc writes.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sensor/common/rfc3339.h"

namespace bw::report::testing {

struct Line {
  TimestampNs ts = 1'763'900'000 * kNsPerSecond;
  std::string ip = "192.0.2.10";
  std::string ua = "curl/8.0";
  std::string method = "GET";
  int status = 200;
  uint64_t bytes = 100;
  std::string provider = "s3";
  std::string account;
  std::string bucket = "public-data";
  std::string key;
  std::string operation = "GetObject";
  std::string auth = "anonymous";
  std::string access_key;
  std::string outcome = "success";
  std::string error_code;
  std::string path;
  std::string query;
  bool range = false;
  int64_t list_keys = -1;
  bool truncated = false;
  std::string observer;  // observer.name; empty: left out, as ledgers before sensor.name had it

  std::string Json() const {
    nlohmann::ordered_json j;
    j["@timestamp"] = common::FormatRfc3339(ts);
    if (!observer.empty()) j["observer"] = {{"name", observer}, {"hostname", "host-1"}};
    j["source"] = {{"ip", ip}, {"port", 40000}};
    j["http"]["request"] = {{"method", method}, {"bytes", 80}};
    if (status) j["http"]["response"] = {{"status_code", status}, {"bytes", bytes}};
    if (!path.empty()) j["url"]["path"] = path;
    if (!query.empty()) j["url"]["query"] = query;
    if (!ua.empty()) j["user_agent"] = {{"original", ua}};
    auto& s = j["storage"];
    s["provider"] = provider;
    if (!account.empty()) s["account"] = account;
    if (!bucket.empty()) s["bucket"] = bucket;
    if (!key.empty()) s["key"] = key;
    s["operation"] = operation;
    s["auth"]["class"] = auth;
    if (!access_key.empty()) s["auth"]["access_key_id"] = access_key;
    s["outcome"] = outcome;
    if (!error_code.empty()) s["error_code"] = error_code;
    if (range) s["range"] = true;
    if (list_keys >= 0) s["list"] = {{"keys", list_keys}, {"truncated", truncated}};
    return j.dump();
  }
};

}  // namespace bw::report::testing
