#include "sensor/state/learned_state.h"

#include <nlohmann/json.hpp>

#include "dissectors/common/hex.h"
#include "dissectors/storage/names.h"
#include "sensor/detect/sliding_window.h"

namespace bw::state {

namespace {

using json = nlohmann::json;

constexpr std::string_view kFormat = "bucketwatch-state";
// A dedup key is built from bounded names (detect/bounded_text.h); anything longer is not ours.
constexpr size_t kMaxKeyBytes = 4096;
// Bounds on one saved window, well above what the engine keeps, so a hostile file cannot make
// one entry unbounded (the file as a whole is bounded by state.max_bytes).
constexpr size_t kMaxSamples = 1024;
constexpr size_t kMaxDistinct = 1u << 20;
constexpr size_t kMaxNames = 1u << 20;

std::string Hex(std::string_view bytes) {
  std::string out;
  AppendHex(out, bytes);
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool Unhex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0 || hex.size() > 2 * kMaxKeyBytes) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]);
    int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// The field as T when present and of that type; false otherwise.
template <typename T>
bool Get(const json& obj, const char* name, T& out) {
  auto it = obj.find(name);
  if (it == obj.end()) return false;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

bool ReadServer(const json& j, app::KnownServerEntry& e) {
  std::string ip, provider;
  uint64_t port = 0;
  if (!j.is_object() || !Get(j, "ip", ip) || !Get(j, "port", port) ||
      !Get(j, "provider", provider) || !Get(j, "last_seen_ns", e.last_seen)) {
    return false;
  }
  auto p = storage::ProviderFromName(provider);
  if (!p || port > 65535 || !decode::IpAddress::Parse(ip, e.ip)) return false;
  e.port = static_cast<uint16_t>(port);
  e.provider = *p;
  return true;
}

bool ReadDedup(const json& j, detect::DedupRecord& r) {
  std::string key;
  if (!j.is_object() || !Get(j, "key_hex", key) || !Get(j, "fired_ns", r.fired) ||
      !Get(j, "window_ns", r.window) || !Get(j, "suppressed", r.suppressed)) {
    return false;
  }
  return r.window > 0 && !key.empty() && Unhex(key, r.key);
}

// AlertCounts, field by field (suppressed is per alert, not state).
constexpr std::pair<const char*, uint64_t detect::AlertCounts::*> kCountFields[] = {
    {"requests", &detect::AlertCounts::requests},
    {"objects", &detect::AlertCounts::objects},
    {"bytes", &detect::AlertCounts::bytes},
    {"message_bytes", &detect::AlertCounts::message_bytes},
    {"tls_wire_bytes", &detect::AlertCounts::tls_wire_bytes},
    {"pages", &detect::AlertCounts::pages},
    {"listed_keys", &detect::AlertCounts::listed_keys},
    {"denied", &detect::AlertCounts::denied},
    {"not_found", &detect::AlertCounts::not_found},
};

json HexList(const std::vector<std::string>& texts) {
  json out = json::array();
  for (const auto& t : texts) out.push_back(Hex(t));
  return out;
}

bool ReadHexList(const json& obj, const char* name, std::vector<std::string>& out) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_array() || it->size() > kMaxSamples) return false;
  for (const json& j : *it) {
    std::string text;
    if (!j.is_string() || !Unhex(j.get<std::string>(), text)) return false;
    out.push_back(std::move(text));
  }
  return true;
}

bool GetHex(const json& obj, const char* name, std::string& out) {
  std::string hex;
  return Get(obj, name, hex) && Unhex(hex, out);
}

// The facts both kinds of window share: who, where, what was counted.
template <typename Facts>
json WriteCommon(const Facts& f) {
  json counts = json::object();
  for (const auto& [name, field] : kCountFields) counts[name] = f.counts.*field;
  json ops = json::array();
  for (const auto& [op, n] : f.operations) ops.push_back({op, n});
  return {{"client", f.client.ToString()},
          {"provider", storage::ProviderName(f.provider)},
          {"first_seen_ns", f.first_seen},
          {"last_seen_ns", f.last_seen},
          {"server_ip", f.server_ip},
          {"server_port", f.server_port},
          {"user_agent_hex", Hex(f.user_agent)},
          {"server_name_hex", Hex(f.server_name)},
          {"community_id", f.community_id},
          {"encrypted", f.encrypted},
          {"counts", std::move(counts)},
          {"operations", std::move(ops)}};
}

template <typename Facts>
bool ReadCommon(const json& j, Facts& f) {
  std::string client, provider;
  uint64_t port = 0;
  if (!j.is_object() || !Get(j, "client", client) || !Get(j, "provider", provider) ||
      !Get(j, "first_seen_ns", f.first_seen) || !Get(j, "last_seen_ns", f.last_seen) ||
      !Get(j, "server_ip", f.server_ip) || !Get(j, "server_port", port) || port > 65535 ||
      !GetHex(j, "user_agent_hex", f.user_agent) || !GetHex(j, "server_name_hex", f.server_name) ||
      !Get(j, "community_id", f.community_id) || f.server_ip.size() > kMaxKeyBytes ||
      f.community_id.size() > kMaxKeyBytes) {
    return false;
  }
  auto p = storage::ProviderFromName(provider);
  auto encrypted = j.find("encrypted");
  auto counts = j.find("counts");
  auto ops = j.find("operations");
  if (!p || !decode::IpAddress::Parse(client, f.client) || encrypted == j.end() ||
      !encrypted->is_boolean() || counts == j.end() || !counts->is_object() || ops == j.end() ||
      !ops->is_array() || ops->size() > detect::kMaxOperations) {
    return false;
  }
  f.provider = *p;
  f.server_port = static_cast<uint16_t>(port);
  f.encrypted = encrypted->get<bool>();
  for (const auto& [name, field] : kCountFields) {
    if (!Get(*counts, name, f.counts.*field)) return false;
  }
  for (const json& op : *ops) {
    if (!op.is_array() || op.size() != 2 || !op[0].is_string() || !op[1].is_number_unsigned() ||
        op[0].get_ref<const std::string&>().size() > 64) {
      return false;
    }
    f.operations.emplace_back(op[0].get<std::string>(), op[1].get<uint64_t>());
  }
  return true;
}

json WriteReadWindow(const detect::ReadWindowRecord& r) {
  const detect::ActivityFacts& f = r.facts;
  json out = WriteCommon(f);
  out["account_hex"] = Hex(f.account);
  out["bucket_hex"] = Hex(f.bucket);
  out["endpoint_hex"] = Hex(f.endpoint);
  out["auth_classes"] = f.auth_classes;
  out["read_samples_hex"] = HexList(f.read_samples);
  out["listed_samples_hex"] = HexList(f.listed_samples);
  out["distinct"] = r.distinct;
  out["distinct_overflow"] = r.distinct_overflow;
  json slots = json::array();
  for (const auto& s : r.slots) slots.push_back({s.start, s.count, s.bytes});
  out["slots"] = std::move(slots);
  return out;
}

bool ReadReadWindow(const json& j, detect::ReadWindowRecord& r) {
  detect::ActivityFacts& f = r.facts;
  uint64_t auth_classes = 0;
  if (!ReadCommon(j, f) || !GetHex(j, "account_hex", f.account) ||
      !GetHex(j, "bucket_hex", f.bucket) || !GetHex(j, "endpoint_hex", f.endpoint) ||
      !Get(j, "auth_classes", auth_classes) || auth_classes > 0xFF ||
      !ReadHexList(j, "read_samples_hex", f.read_samples) ||
      !ReadHexList(j, "listed_samples_hex", f.listed_samples) ||
      !Get(j, "distinct_overflow", r.distinct_overflow)) {
    return false;
  }
  f.auth_classes = static_cast<uint8_t>(auth_classes);
  auto distinct = j.find("distinct");
  auto slots = j.find("slots");
  if (distinct == j.end() || !distinct->is_array() || distinct->size() > kMaxDistinct ||
      slots == j.end() || !slots->is_array() || slots->empty() ||
      slots->size() > static_cast<size_t>(detect::SlidingWindow::kSlots)) {
    return false;
  }
  for (const json& h : *distinct) {
    if (!h.is_number_unsigned()) return false;
    r.distinct.push_back(h.get<uint64_t>());
  }
  for (const json& s : *slots) {
    if (!s.is_array() || s.size() != 3 || !s[0].is_number_integer() || !s[1].is_number_unsigned() ||
        !s[2].is_number_unsigned()) {
      return false;
    }
    r.slots.push_back({s[0].get<TimestampNs>(), s[1].get<uint64_t>(), s[2].get<uint64_t>()});
  }
  return true;
}

json WriteProbeWindow(const detect::ProbeWindowRecord& r) {
  json out = WriteCommon(r.facts);
  json names = json::array();
  for (const auto& n : r.names) names.push_back({Hex(n.name), n.last, n.resolved});
  out["names"] = std::move(names);
  return out;
}

bool ReadProbeWindow(const json& j, detect::ProbeWindowRecord& r) {
  if (!ReadCommon(j, r.facts)) return false;
  auto names = j.find("names");
  if (names == j.end() || !names->is_array() || names->empty() || names->size() > kMaxNames) {
    return false;
  }
  for (const json& n : *names) {
    detect::ProbedName p;
    if (!n.is_array() || n.size() != 3 || !n[0].is_string() || !n[1].is_number_integer() ||
        !n[2].is_boolean() || !Unhex(n[0].get_ref<const std::string&>(), p.name) ||
        p.name.empty()) {
      return false;
    }
    p.last = n[1].get<TimestampNs>();
    p.resolved = n[2].get<bool>();
    r.names.push_back(std::move(p));
  }
  return true;
}

json WriteExposure(const detect::ExposureRecord& r) {
  return {{"provider", storage::ProviderName(r.provider)},
          {"account_hex", Hex(r.account)},
          {"bucket_hex", Hex(r.bucket)},
          {"first_seen_ns", r.first_seen},
          {"last_seen_ns", r.last_seen}};
}

bool ReadExposure(const json& j, detect::ExposureRecord& r) {
  std::string provider;
  if (!j.is_object() || !Get(j, "provider", provider) || !GetHex(j, "account_hex", r.account) ||
      !GetHex(j, "bucket_hex", r.bucket) || !Get(j, "first_seen_ns", r.first_seen) ||
      !Get(j, "last_seen_ns", r.last_seen) || (r.account.empty() && r.bucket.empty())) {
    return false;
  }
  auto p = storage::ProviderFromName(provider);
  if (!p) return false;
  r.provider = *p;
  return true;
}

// Reads list `name` of `doc` (optional) entry by entry: good ones to `out`, bad ones counted.
template <typename Record, typename ReadFn>
void ReadEach(const json& doc, const char* name, std::vector<Record>& out, uint64_t& skipped,
              ReadFn read) {
  auto it = doc.find(name);
  if (it == doc.end() || !it->is_array()) return;
  for (const json& j : *it) {
    Record r;
    if (read(j, r)) {
      out.push_back(std::move(r));
    } else {
      ++skipped;
    }
  }
}

// A line hash as the ledger table holds it: 64 lower-case hex digits (or empty, see LedgerCursor).
bool ValidLineHash(const std::string& h) {
  if (h.empty()) return true;
  if (h.size() != 64) return false;
  for (char c : h) {
    if (HexDigit(c) < 0) return false;
  }
  return true;
}

json WriteCursor(const LedgerCursor& c) {
  return {{"ts_ns", c.ts_ns}, {"line_sha256", c.line_sha256}};
}

bool ReadCursor(const json& j, LedgerCursor& c) {
  if (!j.is_object() || !Get(j, "ts_ns", c.ts_ns) || c.ts_ns < 0 ||
      !Get(j, "line_sha256", c.line_sha256) || !ValidLineHash(c.line_sha256)) {
    return false;
  }
  c.set = true;
  return true;
}

}  // namespace

std::string Serialise(const LearnedState& state, TimestampNs saved_at, const LedgerCursor* cursor) {
  json servers = json::array();
  for (const auto& e : state.known_servers) {
    servers.push_back({{"ip", e.ip.ToString()},
                       {"port", e.port},
                       {"provider", storage::ProviderName(e.provider)},
                       {"last_seen_ns", e.last_seen}});
  }
  json dedup = json::array();
  for (const auto& r : state.dedup) {
    dedup.push_back({{"key_hex", Hex(r.key)},
                     {"fired_ns", r.fired},
                     {"window_ns", r.window},
                     {"suppressed", r.suppressed}});
  }
  json reads = json::array();
  for (const auto& r : state.windows.reads) reads.push_back(WriteReadWindow(r));
  json probes = json::array();
  for (const auto& r : state.windows.probes) probes.push_back(WriteProbeWindow(r));
  json exposures = json::array();
  for (const auto& r : state.exposures.buckets) exposures.push_back(WriteExposure(r));
  json doc = {
      {"format", kFormat},
      {"version", kStateVersion},
      {"saved_at_ns", saved_at},
      {"known_servers", std::move(servers)},
      {"dedup", std::move(dedup)},
      {"windows", {{"reads", std::move(reads)}, {"probes", std::move(probes)}}},
      {"exposures", {{"started_ns", state.exposures.started}, {"buckets", std::move(exposures)}}}};
  if (cursor != nullptr && cursor->set) doc["ledger_cursor"] = WriteCursor(*cursor);
  return doc.dump() + "\n";
}

ParseResult Parse(std::string_view text) {
  ParseResult r;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.error = "not a JSON object";
    return r;
  }
  std::string format;
  int64_t version = 0;
  if (!Get(doc, "format", format) || format != kFormat) {
    r.error = "not a bucketwatch state file";
    return r;
  }
  if (!Get(doc, "version", version) || version != kStateVersion) {
    r.error = "state version " + (doc.contains("version") ? doc["version"].dump() : "missing") +
              ", this sensor reads version " + std::to_string(kStateVersion);
    return r;
  }
  Get(doc, "saved_at_ns", r.saved_at);
  auto servers = doc.find("known_servers");
  auto dedup = doc.find("dedup");
  if (servers == doc.end() || !servers->is_array() || dedup == doc.end() || !dedup->is_array()) {
    r.error = "known_servers or dedup is missing or not a list";
    return r;
  }
  ReadEach(doc, "known_servers", r.state.known_servers, r.skipped, ReadServer);
  ReadEach(doc, "dedup", r.state.dedup, r.skipped, ReadDedup);
  auto windows = doc.find("windows");
  if (windows != doc.end() && windows->is_object()) {
    ReadEach(*windows, "reads", r.state.windows.reads, r.skipped, ReadReadWindow);
    ReadEach(*windows, "probes", r.state.windows.probes, r.skipped, ReadProbeWindow);
  }
  auto exposures = doc.find("exposures");
  if (exposures != doc.end() && exposures->is_object()) {
    Get(*exposures, "started_ns", r.state.exposures.started);
    ReadEach(*exposures, "buckets", r.state.exposures.buckets, r.skipped, ReadExposure);
  }
  auto cursor = doc.find("ledger_cursor");
  if (cursor != doc.end() && !ReadCursor(*cursor, r.ledger_cursor)) {
    r.error = "ledger_cursor is malformed";
    r.state = LearnedState();
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace bw::state
