#include "sensor/output/ledger_record.h"

#include <nlohmann/json.hpp>

#include "sensor/output/json_time.h"

namespace bw::output {

namespace {
using Json = nlohmann::ordered_json;

void PutIfNotEmpty(Json& obj, const char* key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}
}  // namespace

std::string FormatLedgerLine(const RequestContext& ctx, const storage::StorageEvent& e) {
  Json j;
  j["@timestamp"] = FormatTimestamp(ctx.start_ts);
  j["event"] = {{"kind", "event"},
                {"category", "network"},
                {"duration", ctx.end_ts >= ctx.start_ts ? ctx.end_ts - ctx.start_ts : 0}};
  j["source"] = {{"ip", ctx.client_ip.ToString()}, {"port", ctx.client_port}};
  j["destination"] = {{"ip", ctx.server_ip.ToString()}, {"port", ctx.server_port}};
  j["network"] = {{"community_id", ctx.community_id}, {"transport", "tcp"}};

  Json http;
  http["request"] = {{"method", ctx.method}, {"bytes", ctx.request_bytes}};
  if (ctx.status) {
    http["response"] = {{"status_code", ctx.status}, {"bytes", ctx.response_bytes}};
  }
  j["http"] = std::move(http);

  Json url;
  PutIfNotEmpty(url, "domain", e.url_domain);
  PutIfNotEmpty(url, "path", e.url_path);
  PutIfNotEmpty(url, "query", e.url_query);
  if (!url.empty()) j["url"] = std::move(url);
  if (!ctx.user_agent.empty()) j["user_agent"] = {{"original", ctx.user_agent}};
  if (!ctx.sni.empty()) j["tls"] = {{"client", {{"server_name", ctx.sni}}}};

  Json storage;
  storage["provider"] = std::string(storage::ProviderName(e.provider));
  PutIfNotEmpty(storage, "account", e.account);
  PutIfNotEmpty(storage, "bucket", e.bucket);
  PutIfNotEmpty(storage, "key", e.key);
  storage["operation"] = e.operation;
  Json auth;
  auth["class"] = std::string(storage::AuthClassName(e.auth_class));
  if (e.auth_scheme != storage::AuthScheme::kNone) {
    auth["scheme"] = std::string(storage::AuthSchemeName(e.auth_scheme));
  }
  PutIfNotEmpty(auth, "access_key_id", e.access_key_id);
  storage["auth"] = std::move(auth);
  storage["outcome"] = std::string(storage::OutcomeName(e.outcome));
  PutIfNotEmpty(storage, "error_code", e.error_code);
  if (e.range_request) storage["range"] = true;
  if (e.list_keys >= 0) {
    storage["list"] = {{"keys", e.list_keys}, {"truncated", e.list_truncated}};
    // The names a listing disclosed (bounded by storage.sample_keys): what an incident
    // responder needs to know was exposed even when nothing was downloaded.
    if (!e.sample_keys.empty()) storage["list"]["sample_keys"] = e.sample_keys;
  }
  if (ctx.missing_bytes) storage["missing_bytes"] = true;
  j["storage"] = std::move(storage);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace bw::output
