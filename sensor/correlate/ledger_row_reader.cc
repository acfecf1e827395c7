#include "sensor/correlate/ledger_row_reader.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>

#include "dissectors/storage/names.h"
#include "dissectors/storage/operation.h"

namespace bw::correlate {

const char* const kLedgerRowColumns =
    "ts_ns, duration_ns, observer_name, source_ip, source_port, destination_ip, "
    "destination_port, community_id, http_method, http_request_bytes, http_status, "
    "http_response_bytes, http_response_body_bytes, has_body_bytes, url_domain, url_path, "
    "url_query, user_agent, tls_decrypted, tls_version, tls_server_name, provider, account, "
    "bucket, object_key, operation, auth_class, auth_scheme, access_key_id, outcome, error_code, "
    "range_request, list_keys, list_truncated, sample_keys, missing_bytes, line_sha256";

namespace {

using Json = nlohmann::json;

// An integer column: a JSON number or a string of digits (64-bit columns are quoted).
template <typename T>
bool Int(const Json& row, const char* name, T& out) {
  auto it = row.find(name);
  if (it == row.end()) return false;
  if (it->is_number_integer()) {
    if constexpr (std::is_unsigned_v<T>) {
      if (it->is_number_unsigned()) {
        uint64_t v = it->get<uint64_t>();
        if (v > std::numeric_limits<T>::max()) return false;
        out = static_cast<T>(v);
        return true;
      }
      int64_t v = it->get<int64_t>();
      if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return false;
      out = static_cast<T>(v);
      return true;
    } else {
      if (it->is_number_unsigned() &&
          it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return false;
      }
      out = static_cast<T>(it->get<int64_t>());
      return true;
    }
  }
  if (!it->is_string()) return false;
  const std::string& s = it->get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool Str(const Json& row, const char* name, std::string& out) {
  auto it = row.find(name);
  if (it == row.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool Flag(const Json& row, const char* name, bool& out) {
  uint8_t v = 0;
  if (!Int(row, name, v) || v > 1) return false;
  out = v != 0;
  return true;
}

// The inverse of a names.h table: the value whose name is `name`.
template <typename Enum, typename NameFn>
std::optional<Enum> FromName(std::string_view name, Enum last, NameFn name_of) {
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    auto e = static_cast<Enum>(i);
    if (name_of(e) == name) return e;
  }
  return std::nullopt;
}

// What the recogniser reported as the operation's kind. The ledger keeps only the name; the
// one overload detection cares about is GCS objects.get, a metadata read on the JSON API unless
// it asks for the media (dissectors/storage/gcs.cc).
storage::OperationKind KindOf(const storage::StorageEvent& e) {
  using storage::Operation;
  if (e.operation == Operation::kGcsObjectsGet && e.url_path.starts_with("/storage/v1/") &&
      e.url_query.find("alt=media") == std::string::npos) {
    return storage::OperationKind::kHead;
  }
  return storage::OperationKindOf(e.operation);
}

bool Fail(std::string& error, const char* column) {
  error = std::string("column ") + column + " missing or malformed";
  return false;
}

}  // namespace

bool ReadLedgerRow(std::string_view text, LedgerRow& out, std::string& error) {
  out = LedgerRow{};
  Json row = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (row.is_discarded() || !row.is_object()) {
    error = "not a JSON object";
    return false;
  }
  event::RequestContext& ctx = out.request.ctx;
  storage::StorageEvent& ev = out.request.event;
  uint64_t ts = 0, duration = 0;
  if (!Int(row, "ts_ns", ts) || ts > static_cast<uint64_t>(INT64_MAX)) return Fail(error, "ts_ns");
  if (!Int(row, "duration_ns", duration) || duration > static_cast<uint64_t>(INT64_MAX) - ts) {
    return Fail(error, "duration_ns");
  }
  out.ts_ns = static_cast<TimestampNs>(ts);
  ctx.start_ts = out.ts_ns;
  ctx.end_ts = static_cast<TimestampNs>(ts + duration);
  if (!Str(row, "line_sha256", out.line_sha256)) return Fail(error, "line_sha256");
  if (!Str(row, "observer_name", out.observer_name)) return Fail(error, "observer_name");

  std::string ip;
  if (!Str(row, "source_ip", ip) || !decode::IpAddress::Parse(ip, ctx.client_ip)) {
    return Fail(error, "source_ip");
  }
  // A server address the sensor could not write is not the engine's key; keep the row.
  if (Str(row, "destination_ip", ip)) decode::IpAddress::Parse(ip, ctx.server_ip);
  if (!Int(row, "source_port", ctx.client_port)) return Fail(error, "source_port");
  if (!Int(row, "destination_port", ctx.server_port)) return Fail(error, "destination_port");
  if (!Str(row, "community_id", ctx.community_id)) return Fail(error, "community_id");
  if (!Str(row, "http_method", ctx.method)) return Fail(error, "http_method");
  if (!Int(row, "http_request_bytes", ctx.request_bytes)) return Fail(error, "http_request_bytes");
  if (!Int(row, "http_status", ctx.status)) return Fail(error, "http_status");
  if (!Int(row, "http_response_bytes", ctx.response_bytes)) {
    return Fail(error, "http_response_bytes");
  }
  if (!Int(row, "http_response_body_bytes", ctx.response_body_bytes)) {
    return Fail(error, "http_response_body_bytes");
  }
  bool has_body_bytes = true;
  if (!Flag(row, "has_body_bytes", has_body_bytes)) return Fail(error, "has_body_bytes");
  // A ledger from before http.response.body.bytes: the message on the wire is the closest
  // figure (headers included), as the report counts such lines.
  if (!has_body_bytes) ctx.response_body_bytes = ctx.response_bytes;
  if (!Str(row, "user_agent", ctx.user_agent)) return Fail(error, "user_agent");
  if (!Flag(row, "tls_decrypted", ctx.tls_decrypted)) return Fail(error, "tls_decrypted");
  std::string tls_version;
  if (!Str(row, "tls_version", tls_version)) return Fail(error, "tls_version");
  if (ctx.tls_decrypted) ctx.tls_version = tls_version == "1.3" ? 0x0304 : 0x0303;
  if (!Str(row, "tls_server_name", ctx.sni)) return Fail(error, "tls_server_name");
  if (!Flag(row, "missing_bytes", ctx.missing_bytes)) return Fail(error, "missing_bytes");

  std::string name;
  if (!Str(row, "provider", name)) return Fail(error, "provider");
  auto provider = storage::ProviderFromName(name);
  if (!provider) return Fail(error, "provider");
  ev.provider = *provider;
  if (!Str(row, "account", ev.account)) return Fail(error, "account");
  if (!Str(row, "bucket", ev.bucket)) return Fail(error, "bucket");
  if (!Str(row, "object_key", ev.key)) return Fail(error, "object_key");
  if (!Str(row, "url_domain", ev.url_domain)) return Fail(error, "url_domain");
  if (!Str(row, "url_path", ev.url_path)) return Fail(error, "url_path");
  if (!Str(row, "url_query", ev.url_query)) return Fail(error, "url_query");
  if (!Str(row, "operation", name)) return Fail(error, "operation");
  // A name this build does not know (a newer sensor's) is an unnamed request, as the recogniser
  // reports one: it still counts as a probe of its bucket.
  ev.operation = storage::OperationFromName(name).value_or(storage::Operation::kUnknown);
  ev.kind = KindOf(ev);
  if (!Str(row, "auth_class", name)) return Fail(error, "auth_class");
  auto auth_class = FromName(name, storage::AuthClass::kUnknown, storage::AuthClassName);
  if (!auth_class) return Fail(error, "auth_class");
  ev.auth_class = *auth_class;
  if (!Str(row, "auth_scheme", name)) return Fail(error, "auth_scheme");
  ev.auth_scheme = FromName(name, storage::AuthScheme::kOther, storage::AuthSchemeName)
                       .value_or(storage::AuthScheme::kOther);
  if (!Str(row, "access_key_id", ev.access_key_id)) return Fail(error, "access_key_id");
  if (!Str(row, "outcome", name)) return Fail(error, "outcome");
  auto outcome = FromName(name, storage::Outcome::kNoResponse, storage::OutcomeName);
  if (!outcome) return Fail(error, "outcome");
  ev.outcome = *outcome;
  if (!Str(row, "error_code", ev.error_code)) return Fail(error, "error_code");
  if (!Flag(row, "range_request", ev.range_request)) return Fail(error, "range_request");
  if (!Int(row, "list_keys", ev.list_keys) || ev.list_keys < -1) return Fail(error, "list_keys");
  if (!Flag(row, "list_truncated", ev.list_truncated)) return Fail(error, "list_truncated");
  auto samples = row.find("sample_keys");
  if (samples == row.end() || !samples->is_array()) return Fail(error, "sample_keys");
  for (const Json& k : *samples) {
    if (!k.is_string()) return Fail(error, "sample_keys");
    if (ev.sample_keys.size() < storage::kMaxSampleKeys)
      ev.sample_keys.push_back(k.get<std::string>());
  }
  ev.request_bytes = ctx.request_bytes;
  ev.response_bytes = ctx.response_bytes;
  ev.response_body_bytes = ctx.response_body_bytes;
  return true;
}

}  // namespace bw::correlate
