#include "sensor/output/ledger_record.h"

#include "sensor/common/rfc3339.h"
#include "sensor/event/tls_decryption_outcome.h"
#include "sensor/output/json_writer.h"

namespace bw::output {

std::string FormatLedgerLine(const event::RequestContext& ctx, const storage::StorageEvent& e,
                             const event::Observer* observer) {
  std::string line;
  FormatLedgerLineTo(line, ctx, e, observer);
  return line;
}

void FormatLedgerLineTo(std::string& line, const event::RequestContext& ctx,
                        const storage::StorageEvent& e, const event::Observer* observer) {
  line.clear();
  if (line.capacity() < 1024) line.reserve(1024);  // most lines fit: one allocation, not several
  JsonWriter j(line);
  j.BeginObject();
  char ts[common::kRfc3339MaxBytes];
  j.Field("@timestamp", std::string_view(ts, common::WriteRfc3339(ts, ctx.start_ts)));
  if (observer != nullptr) {
    j.Key("observer").BeginObject();
    j.Field("name", observer->name).Field("hostname", observer->hostname);
    j.EndObject();
  }
  j.Key("event").BeginObject();
  j.Field("kind", "event").Field("category", "network");
  j.Key("duration").Int(ctx.end_ts >= ctx.start_ts ? ctx.end_ts - ctx.start_ts : 0);
  j.EndObject();
  char ip[decode::IpAddress::kMaxTextBytes];
  j.Key("source").BeginObject();
  j.Field("ip", std::string_view(ip, ctx.client_ip.Write(ip))).Field("port", ctx.client_port);
  j.EndObject();
  j.Key("destination").BeginObject();
  j.Field("ip", std::string_view(ip, ctx.server_ip.Write(ip))).Field("port", ctx.server_port);
  j.EndObject();
  j.Key("network").BeginObject();
  j.Field("community_id", ctx.community_id).Field("transport", "tcp");
  j.EndObject();

  j.Key("http").BeginObject();
  j.Key("request").BeginObject();
  j.Field("method", ctx.method).Field("bytes", ctx.request_bytes);
  j.EndObject();
  if (ctx.status) {
    j.Key("response").BeginObject();
    j.Field("status_code", ctx.status).Field("bytes", ctx.response_bytes);
    j.Key("body").BeginObject();
    j.Field("bytes", ctx.response_body_bytes);
    j.EndObject();
    j.EndObject();
  }
  j.EndObject();

  if (!e.url_domain.empty() || !e.url_path.empty() || !e.url_query.empty()) {
    j.Key("url").BeginObject();
    j.FieldIfNotEmpty("domain", e.url_domain);
    j.FieldIfNotEmpty("path", e.url_path);
    j.FieldIfNotEmpty("query", e.url_query);
    j.EndObject();
  }
  if (!ctx.user_agent.empty()) {
    j.Key("user_agent").BeginObject().Field("original", ctx.user_agent).EndObject();
  }
  if (!ctx.sni.empty() || ctx.tls_decrypted) {
    j.Key("tls").BeginObject();
    if (ctx.tls_decrypted) {
      // ECS: tls.version is the number alone, tls.version_protocol says which protocol.
      j.Field("established", true);
      j.Field("version", event::TlsVersionNumber(ctx.tls_version));
      j.Field("version_protocol", "tls");
      j.Field("cipher", ctx.tls_cipher);
      j.Field("decrypted", true);
    }
    if (!ctx.sni.empty()) j.Key("client").BeginObject().Field("server_name", ctx.sni).EndObject();
    j.EndObject();
  }

  j.Key("storage").BeginObject();
  j.Field("provider", storage::ProviderName(e.provider));
  j.FieldIfNotEmpty("account", e.account);
  j.FieldIfNotEmpty("bucket", e.bucket);
  j.FieldIfNotEmpty("key", e.key);
  j.Field("operation", storage::OperationName(e.operation));
  j.Key("auth").BeginObject();
  j.Field("class", storage::AuthClassName(e.auth_class));
  if (e.auth_scheme != storage::AuthScheme::kNone) {
    j.Field("scheme", storage::AuthSchemeName(e.auth_scheme));
  }
  j.FieldIfNotEmpty("access_key_id", e.access_key_id);
  j.EndObject();
  j.Field("outcome", storage::OutcomeName(e.outcome));
  j.FieldIfNotEmpty("error_code", e.error_code);
  if (e.range_request) j.Field("range", true);
  if (e.list_keys >= 0) {
    j.Key("list").BeginObject();
    j.Field("keys", e.list_keys).Field("truncated", e.list_truncated);
    // The names a listing disclosed (bounded by storage.sample_keys): what an incident
    // responder needs to know was exposed even when nothing was downloaded.
    if (!e.sample_keys.empty()) {
      j.Key("sample_keys").BeginArray();
      for (const std::string& k : e.sample_keys) j.String(k);
      j.EndArray();
    }
    j.EndObject();
  }
  if (ctx.missing_bytes) j.Field("missing_bytes", true);
  j.EndObject();
  j.EndObject();
}

}  // namespace bw::output
