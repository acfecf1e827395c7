#include "sensor/clickhouse/ledger_row.h"

#include "sensor/event/tls_decryption_outcome.h"
#include "sensor/output/json_writer.h"

namespace bw::clickhouse {

namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

void Digits(char* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

size_t WriteUtcDate(char* buf, TimestampNs ts) {
  int64_t y = 1970;
  unsigned m = 1, d = 1;
  if (ts > 0) CivilFromDays(ts / kNsPerSecond / 86400, y, m, d);
  Digits(buf, static_cast<uint64_t>(y % 10000), 4);
  buf[4] = '-';
  Digits(buf + 5, m, 2);
  buf[7] = '-';
  Digits(buf + 8, d, 2);
  buf[10] = '\0';
  return 10;
}

void AppendLedgerRow(std::string& out, const event::RequestContext& ctx,
                     const storage::StorageEvent& e, const RowSource& source) {
  using output::JsonWriter;
  JsonWriter j(out);
  const TimestampNs ts = ctx.start_ts > 0 ? ctx.start_ts : 0;
  const bool response = ctx.status != 0;
  const bool listing = e.list_keys >= 0;
  j.BeginObject();
  char date[11];
  j.Field("date", std::string_view(date, WriteUtcDate(date, ts)));
  j.Key("time").Uint(static_cast<uint64_t>(ts / kNsPerSecond));
  j.Key("ts_ns").Uint(static_cast<uint64_t>(ts));
  j.Key("duration_ns")
      .Uint(ctx.end_ts >= ctx.start_ts ? static_cast<uint64_t>(ctx.end_ts - ctx.start_ts) : 0);
  const event::Observer* o = source.observer;
  j.Field("observer_name", o ? std::string_view(o->name) : std::string_view());
  j.Field("observer_hostname", o ? std::string_view(o->hostname) : std::string_view());
  char ip[decode::IpAddress::kMaxTextBytes];
  j.Field("source_ip", std::string_view(ip, ctx.client_ip.Write(ip)));
  j.Field("source_port", ctx.client_port);
  j.Field("destination_ip", std::string_view(ip, ctx.server_ip.Write(ip)));
  j.Field("destination_port", ctx.server_port);
  j.Field("community_id", ctx.community_id);
  j.Field("http_method", ctx.method);
  j.Field("http_request_bytes", ctx.request_bytes);
  j.Field("http_status", ctx.status);
  j.Field("http_response_bytes", response ? ctx.response_bytes : uint64_t{0});
  j.Field("http_response_body_bytes", response ? ctx.response_body_bytes : uint64_t{0});
  j.Key("has_body_bytes").Uint(response && !source.body_bytes_absent ? 1 : 0);
  j.Field("url_domain", e.url_domain);
  j.Field("url_path", e.url_path);
  j.Field("url_query", e.url_query);
  j.Field("user_agent", ctx.user_agent);
  j.Key("tls_decrypted").Uint(ctx.tls_decrypted ? 1 : 0);
  j.Field("tls_version",
          ctx.tls_decrypted ? event::TlsVersionNumber(ctx.tls_version) : std::string_view());
  j.Field("tls_cipher", ctx.tls_decrypted ? ctx.tls_cipher : std::string_view());
  j.Field("tls_server_name", ctx.sni);
  j.Field("provider", storage::ProviderName(e.provider));
  j.Field("account", e.account);
  j.Field("bucket", e.bucket);
  j.Field("object_key", e.key);
  j.Field("operation", storage::OperationName(e.operation));
  j.Field("auth_class", storage::AuthClassName(e.auth_class));
  j.Field("auth_scheme", storage::AuthSchemeName(e.auth_scheme));
  j.Field("access_key_id", e.access_key_id);
  j.Field("outcome", storage::OutcomeName(e.outcome));
  j.Field("error_code", e.error_code);
  j.Key("range_request").Uint(e.range_request ? 1 : 0);
  j.Key("list_keys").Int(listing ? e.list_keys : -1);
  j.Key("list_truncated").Uint(listing && e.list_truncated ? 1 : 0);
  j.Key("sample_keys").BeginArray();
  if (listing) {
    for (const std::string& k : e.sample_keys) j.String(k);
  }
  j.EndArray();
  j.Key("missing_bytes").Uint(ctx.missing_bytes ? 1 : 0);
  j.Field("line_sha256", source.line_sha256);
  j.EndObject();
  out.push_back('\n');
}

}  // namespace bw::clickhouse
