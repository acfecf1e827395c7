#include "sensor/clickhouse/ledger_row.h"

#include <charconv>
#include <cstring>
#include <vector>

#include "sensor/common/rfc3339.h"
#include "sensor/event/tls_decryption_outcome.h"
#include "sensor/output/utf8_escape.h"

namespace bw::clickhouse {

// The date part of the RFC 3339 spelling (sensor/common/rfc3339.h), which owns the calendar.
size_t WriteUtcDate(char* buf, TimestampNs ts) {
  char full[common::kRfc3339MaxBytes];
  common::WriteRfc3339(full, ts > 0 ? ts : 0, 0);
  std::memcpy(buf, full, 10);
  buf[10] = '\0';
  return 10;
}

namespace {

// TabSeparated as ClickHouse reads it: a backslash escapes the tab and newline that would end
// the field, the backslash itself, and the quote that would end an array element ('...'); CR,
// NUL, BS and FF are escaped for readers of the queue files. Other bytes are taken as they are.
constexpr output::AsciiPlainTable kTsvPlain = [] {
  output::AsciiPlainTable t{};
  for (int b = 0x01; b < 0x80; ++b) t[b] = true;
  for (char c : {'\t', '\n', '\r', '\b', '\f', '\\', '\''}) t[static_cast<uint8_t>(c)] = false;
  return t;
}();

void AppendTsvEscaped(std::string& out, char c) {
  out += '\\';
  switch (c) {
    case '\t':
      out += 't';
      return;
    case '\n':
      out += 'n';
      return;
    case '\r':
      out += 'r';
      return;
    case '\b':
      out += 'b';
      return;
    case '\f':
      out += 'f';
      return;
    case '\0':
      out += '0';
      return;
    default:
      out += c;  // backslash, quote
  }
}

// One row, field by field: each value after the first is preceded by a tab.
class TsvRow {
 public:
  explicit TsvRow(std::string& out) : out_(out) {}
  TsvRow& String(std::string_view v) {
    Next();
    output::AppendUtf8Escaped(out_, v, kTsvPlain, AppendTsvEscaped);
    return *this;
  }
  template <typename Integer>
  TsvRow& Number(Integer v) {
    Next();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    return *this;
  }
  TsvRow& Flag(bool v) {
    Next();
    out_ += v ? '1' : '0';
    return *this;
  }
  // Array(String): ['a','b'].
  template <typename Strings>
  TsvRow& StringArray(const Strings& values) {
    Next();
    out_ += '[';
    bool first = true;
    for (const auto& v : values) {
      if (!first) out_ += ',';
      first = false;
      out_ += '\'';
      output::AppendUtf8Escaped(out_, v, kTsvPlain, AppendTsvEscaped);
      out_ += '\'';
    }
    out_ += ']';
    return *this;
  }
  void End() { out_ += '\n'; }

 private:
  void Next() {
    if (!first_) out_ += '\t';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

const std::vector<std::string> kNoKeys;

}  // namespace

const std::string& LedgerInsertClause() {
  static const std::string clause = [] {
    std::string c = "(";
    for (std::string_view column : kLedgerColumns) {
      if (c.size() > 1) c += ',';
      c += column;
    }
    return c + ") FORMAT TabSeparated";
  }();
  return clause;
}

// The order of the writes is kLedgerColumns' order.
void AppendLedgerRow(std::string& out, const event::RequestContext& ctx,
                     const storage::StorageEvent& e, const RowSource& source) {
  TsvRow r(out);
  const TimestampNs ts = ctx.start_ts > 0 ? ctx.start_ts : 0;
  const bool response = ctx.status != 0;
  const bool listing = e.list_keys >= 0;
  char date[11];
  r.String(std::string_view(date, WriteUtcDate(date, ts)));
  r.Number(static_cast<uint64_t>(ts / kNsPerSecond));
  r.Number(static_cast<uint64_t>(ts));
  r.Number(ctx.end_ts >= ctx.start_ts ? static_cast<uint64_t>(ctx.end_ts - ctx.start_ts) : 0);
  const event::Observer* o = source.observer;
  r.String(o ? std::string_view(o->name) : std::string_view());
  r.String(o ? std::string_view(o->hostname) : std::string_view());
  char ip[decode::IpAddress::kMaxTextBytes];
  r.String(std::string_view(ip, ctx.client_ip.Write(ip)));
  r.Number(ctx.client_port);
  r.String(std::string_view(ip, ctx.server_ip.Write(ip)));
  r.Number(ctx.server_port);
  r.String(ctx.community_id);
  r.String(ctx.method);
  r.Number(ctx.request_bytes);
  r.Number(ctx.status);
  r.Number(response ? ctx.response_bytes : uint64_t{0});
  r.Number(response ? ctx.response_body_bytes : uint64_t{0});
  r.Flag(response && !source.body_bytes_absent);
  r.String(e.url_domain);
  r.String(e.url_path);
  r.String(e.url_query);
  r.String(ctx.user_agent);
  r.Flag(ctx.tls_decrypted);
  r.String(ctx.tls_decrypted ? event::TlsVersionNumber(ctx.tls_version) : std::string_view());
  r.String(ctx.tls_decrypted ? std::string_view(ctx.tls_cipher) : std::string_view());
  r.String(ctx.sni);
  r.String(storage::ProviderName(e.provider));
  r.String(e.account);
  r.String(e.bucket);
  r.String(e.key);
  r.String(storage::OperationName(e.operation));
  r.String(storage::AuthClassName(e.auth_class));
  r.String(storage::AuthSchemeName(e.auth_scheme));
  r.String(e.access_key_id);
  r.String(storage::OutcomeName(e.outcome));
  r.String(e.error_code);
  r.Flag(e.range_request);
  r.Number(listing ? e.list_keys : int64_t{-1});
  r.Flag(listing && e.list_truncated);
  r.StringArray(listing ? e.sample_keys : kNoKeys);
  r.Flag(ctx.missing_bytes);
  r.String(source.line_sha256);
  r.End();
}

}  // namespace bw::clickhouse
