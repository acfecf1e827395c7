#include "sensor/clickhouse/ledger_line_parse.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "dissectors/storage/operation.h"
#include "sensor/clickhouse/ledger_row.h"
#include "sensor/common/rfc3339.h"
#include "sensor/output/ledger_file.h"

namespace bw::clickhouse {

namespace {

using nlohmann::json;

// Walks the ledger object; the first problem wins and the rest of the walk is ignored.
class Reader {
 public:
  explicit Reader(std::string& error) : error_(error) {}
  bool ok() const { return error_.empty(); }

  const json* Object(const json& parent, const char* key, const char* path) {
    auto it = parent.find(key);
    if (it == parent.end()) return nullptr;
    if (!it->is_object()) Fail(path, "an object");
    return ok() ? &*it : nullptr;
  }
  void String(const json* parent, const char* key, const char* path, std::string& out) {
    if (!parent) return;
    auto it = parent->find(key);
    if (it == parent->end()) return;
    if (!it->is_string()) return Fail(path, "a string");
    out = it->get_ref<const std::string&>();
  }
  template <typename Unsigned>
  void Uint(const json* parent, const char* key, const char* path, Unsigned& out) {
    if (!parent) return;
    auto it = parent->find(key);
    if (it == parent->end()) return;
    if (!it->is_number_unsigned() ||
        it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<Unsigned>::max())) {
      return Fail(path, "an unsigned integer in range");
    }
    out = static_cast<Unsigned>(it->get<uint64_t>());
  }
  void Int(const json* parent, const char* key, const char* path, int64_t& out) {
    if (!parent) return;
    auto it = parent->find(key);
    if (it == parent->end()) return;
    if (!it->is_number_integer()) return Fail(path, "an integer");
    if (it->is_number_unsigned() &&
        it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(path, "an integer in range");
    }
    out = it->get<int64_t>();
  }
  void Bool(const json* parent, const char* key, const char* path, bool& out) {
    if (!parent) return;
    auto it = parent->find(key);
    if (it == parent->end()) return;
    if (!it->is_boolean()) return Fail(path, "true or false");
    out = it->get<bool>();
  }
  bool Has(const json* parent, const char* key) const {
    return parent && parent->find(key) != parent->end();
  }
  void Fail(const char* path, const char* expected) {
    if (ok()) error_ = std::string(path) + ": expected " + expected;
  }
  void Fail(const std::string& message) {
    if (ok()) error_ = message;
  }

 private:
  std::string& error_;
};

template <typename Enum, size_t N>
std::optional<Enum> FromName(std::string_view name, std::string_view (*to_name)(Enum)) {
  for (size_t i = 0; i < N; ++i) {
    auto v = static_cast<Enum>(i);
    if (to_name(v) == name) return v;
  }
  return std::nullopt;
}

}  // namespace

void LineWithoutChainField(std::string_view line, std::string& out) {
  out.clear();
  if (!output::ChainFieldOf(line)) {
    out.append(line);
    return;
  }
  const size_t field =
      output::kChainFieldPrefix.size() + kLineHashHexBytes + output::kChainFieldSuffix.size();
  if (line.size() == field) {  // {"log":{...}}: the field was the only member
    out.append("{}");
    return;
  }
  out.append(line.substr(0, line.size() - field));
  out.push_back('}');
}

bool ParseLedgerLine(std::string_view line, ParsedLedgerLine& out, std::string& error) {
  error.clear();
  out.ctx = event::RequestContext{};
  out.event = storage::StorageEvent{};
  out.observer = event::Observer{};
  out.has_observer = false;
  out.body_bytes_absent = false;
  out.tls_cipher.clear();
  json root = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    error = "not a JSON object";
    return false;
  }
  Reader r(error);
  event::RequestContext& c = out.ctx;
  storage::StorageEvent& e = out.event;

  std::string text;
  r.String(&root, "@timestamp", "@timestamp", text);
  if (!r.ok()) return false;
  std::optional<TimestampNs> ts = common::ParseRfc3339(text);
  if (!ts) {
    error = "@timestamp: missing or not RFC 3339";
    return false;
  }
  c.start_ts = *ts;
  if (const json* o = r.Object(root, "observer", "observer")) {
    out.has_observer = true;
    r.String(o, "name", "observer.name", out.observer.name);
    r.String(o, "hostname", "observer.hostname", out.observer.hostname);
  }
  uint64_t duration = 0;
  r.Uint(r.Object(root, "event", "event"), "duration", "event.duration", duration);
  c.end_ts = c.start_ts + static_cast<TimestampNs>(duration);

  const json* source = r.Object(root, "source", "source");
  const json* destination = r.Object(root, "destination", "destination");
  std::string ip;
  r.String(source, "ip", "source.ip", ip);
  if (r.ok() && !ip.empty() && !decode::IpAddress::Parse(ip, c.client_ip)) {
    r.Fail("source.ip: not an IP address");
  }
  r.Uint(source, "port", "source.port", c.client_port);
  ip.clear();
  r.String(destination, "ip", "destination.ip", ip);
  if (r.ok() && !ip.empty() && !decode::IpAddress::Parse(ip, c.server_ip)) {
    r.Fail("destination.ip: not an IP address");
  }
  r.Uint(destination, "port", "destination.port", c.server_port);
  r.String(r.Object(root, "network", "network"), "community_id", "network.community_id",
           c.community_id);

  if (const json* http = r.Object(root, "http", "http")) {
    const json* request = r.Object(*http, "request", "http.request");
    r.String(request, "method", "http.request.method", c.method);
    r.Uint(request, "bytes", "http.request.bytes", c.request_bytes);
    if (const json* response = r.Object(*http, "response", "http.response")) {
      r.Uint(response, "status_code", "http.response.status_code", c.status);
      r.Uint(response, "bytes", "http.response.bytes", c.response_bytes);
      const json* body = r.Object(*response, "body", "http.response.body");
      out.body_bytes_absent = !r.Has(body, "bytes");
      r.Uint(body, "bytes", "http.response.body.bytes", c.response_body_bytes);
    }
  }
  if (const json* url = r.Object(root, "url", "url")) {
    r.String(url, "domain", "url.domain", e.url_domain);
    r.String(url, "path", "url.path", e.url_path);
    r.String(url, "query", "url.query", e.url_query);
  }
  if (const json* ua = r.Object(root, "user_agent", "user_agent")) {
    r.String(ua, "original", "user_agent.original", c.user_agent);
  }
  if (const json* tls = r.Object(root, "tls", "tls")) {
    r.Bool(tls, "decrypted", "tls.decrypted", c.tls_decrypted);
    if (c.tls_decrypted) {
      std::string version;
      r.String(tls, "version", "tls.version", version);
      if (version == "1.3") {
        c.tls_version = 0x0304;
      } else if (version == "1.2") {
        c.tls_version = 0x0303;
      } else {
        r.Fail("tls.version: expected \"1.2\" or \"1.3\"");
      }
      r.String(tls, "cipher", "tls.cipher", out.tls_cipher);
      c.tls_cipher = out.tls_cipher;
    }
    if (const json* client = r.Object(*tls, "client", "tls.client")) {
      r.String(client, "server_name", "tls.client.server_name", c.sni);
    }
  }

  const json* st = r.Object(root, "storage", "storage");
  if (!r.ok()) return false;
  if (!st) {
    error = "storage: missing";
    return false;
  }
  std::string name;
  r.String(st, "provider", "storage.provider", name);
  if (auto p = storage::ProviderFromName(name)) {
    e.provider = *p;
  } else {
    r.Fail("storage.provider: unknown \"" + name + "\"");
  }
  r.String(st, "account", "storage.account", e.account);
  r.String(st, "bucket", "storage.bucket", e.bucket);
  r.String(st, "key", "storage.key", e.key);
  name.clear();
  r.String(st, "operation", "storage.operation", name);
  if (auto op = storage::OperationFromName(name)) {
    e.operation = *op;
    e.kind = storage::OperationKindOf(*op);
  } else {
    r.Fail("storage.operation: unknown \"" + name + "\"");
  }
  if (const json* auth = r.Object(*st, "auth", "storage.auth")) {
    name.clear();
    r.String(auth, "class", "storage.auth.class", name);
    auto cls = FromName<storage::AuthClass, 5>(name, &storage::AuthClassName);
    if (cls) {
      e.auth_class = *cls;
    } else {
      r.Fail("storage.auth.class: unknown \"" + name + "\"");
    }
    if (r.Has(auth, "scheme")) {
      name.clear();
      r.String(auth, "scheme", "storage.auth.scheme", name);
      auto scheme = FromName<storage::AuthScheme, 10>(name, &storage::AuthSchemeName);
      if (scheme && !name.empty()) {
        e.auth_scheme = *scheme;
      } else {
        r.Fail("storage.auth.scheme: unknown \"" + name + "\"");
      }
    }
    r.String(auth, "access_key_id", "storage.auth.access_key_id", e.access_key_id);
  } else {
    r.Fail("storage.auth: missing");
  }
  name.clear();
  r.String(st, "outcome", "storage.outcome", name);
  if (auto outcome = FromName<storage::Outcome, 5>(name, &storage::OutcomeName)) {
    e.outcome = *outcome;
  } else {
    r.Fail("storage.outcome: unknown \"" + name + "\"");
  }
  r.String(st, "error_code", "storage.error_code", e.error_code);
  r.Bool(st, "range", "storage.range", e.range_request);
  if (const json* list = r.Object(*st, "list", "storage.list")) {
    e.list_keys = 0;
    r.Int(list, "keys", "storage.list.keys", e.list_keys);
    r.Bool(list, "truncated", "storage.list.truncated", e.list_truncated);
    if (auto it = list->find("sample_keys"); it != list->end()) {
      if (!it->is_array()) {
        r.Fail("storage.list.sample_keys", "an array of strings");
      } else {
        for (const json& k : *it) {
          if (!k.is_string()) {
            r.Fail("storage.list.sample_keys", "an array of strings");
            break;
          }
          e.sample_keys.push_back(k.get<std::string>());
        }
      }
    }
    if (r.ok() && e.list_keys < 0) r.Fail("storage.list.keys: negative");
  }
  r.Bool(st, "missing_bytes", "storage.missing_bytes", c.missing_bytes);
  if (!r.ok()) return false;

  std::string without_chain;
  LineWithoutChainField(line, without_chain);
  output::Sha256HexTo(without_chain, out.line_sha256);
  return true;
}

}  // namespace bw::clickhouse
