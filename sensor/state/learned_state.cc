#include "sensor/state/learned_state.h"

#include <nlohmann/json.hpp>

#include "dissectors/storage/names.h"

namespace bw::state {

namespace {

using json = nlohmann::json;

constexpr std::string_view kFormat = "bucketwatch-state";
// A dedup key is built from bounded names (detect/bounded_text.h); anything longer is not ours.
constexpr size_t kMaxKeyBytes = 4096;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
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

}  // namespace

std::string Serialise(const LearnedState& state, TimestampNs saved_at) {
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
  json doc = {{"format", kFormat},
              {"version", kStateVersion},
              {"saved_at_ns", saved_at},
              {"known_servers", std::move(servers)},
              {"dedup", std::move(dedup)}};
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
  for (const json& j : *servers) {
    app::KnownServerEntry e;
    if (ReadServer(j, e)) {
      r.state.known_servers.push_back(e);
    } else {
      ++r.skipped;
    }
  }
  for (const json& j : *dedup) {
    detect::DedupRecord d;
    if (ReadDedup(j, d)) {
      r.state.dedup.push_back(std::move(d));
    } else {
      ++r.skipped;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace bw::state
