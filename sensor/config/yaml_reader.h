#pragma once
// Strict readers for YAML config sections, shared by every component that owns a section of
// config/bucketwatch.yaml. A MapReader consumes the keys it knows; when it goes out of scope
// any key it did not consume is an error ("<path>: unknown key"). Values are type- and
// range-checked with the key path in the message. Errors are thrown as ConfigError and caught
// once, at LoadConfig's boundary: this is control-plane code, never on the packet path.

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <exception>
#include <set>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"

namespace bw::config::yaml {

// Thrown only by config readers (control plane) and turned into a LoadResult at the boundary.
struct ConfigError {
  std::string message;
};

[[noreturn]] inline void Fail(const std::string& path, const std::string& reason) {
  throw ConfigError{path + ": " + reason};
}

// A value as error messages echo it: quoted, control bytes escaped (a message is one log line),
// and cut after 80 bytes with the full length (a 14 MB value is not echoed whole).
inline std::string Quote(std::string_view value) {
  constexpr size_t kShown = 80;
  size_t shown = value.size() <= kShown ? value.size() : kShown;
  // Do not cut a UTF-8 sequence: back off over continuation bytes.
  if (shown < value.size()) {
    while (shown > 0 && (static_cast<unsigned char>(value[shown]) & 0xC0) == 0x80) --shown;
  }
  std::string out = "'";
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < value.size()) {
    return out + "...' (" + std::to_string(value.size()) + " bytes)";
  }
  return out + "'";
}

inline std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Reads one YAML mapping strictly: every key must be consumed, values must have the right type
// and range. The path of each value is kept for error messages.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) Fail(Display(), "expected a mapping");
  }
  ~MapReader() noexcept(false) {
    if (std::uncaught_exceptions() > 0 || !node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      auto key = kv.first.as<std::string>();
      if (!seen_.count(key)) Fail(Join(path_, key), "unknown key");
    }
  }

  template <typename T>
  void Uint(const std::string& key, T& out, uint64_t min, uint64_t max) {
    auto v = Get(key);
    if (!v) return;
    auto text = Scalar(v, key);
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      Fail(Join(path_, key), "expected a non-negative integer, got " + Quote(text));
    }
    if (value < min || value > max) {
      Fail(Join(path_, key), "must be between " + std::to_string(min) + " and " +
                                 std::to_string(max) + ", got " + text);
    }
    out = static_cast<T>(value);
  }

  void Seconds(const std::string& key, TimestampNs& out, uint64_t min, uint64_t max) {
    uint64_t seconds = static_cast<uint64_t>(out / kNsPerSecond);
    Uint(key, seconds, min, max);
    out = static_cast<TimestampNs>(seconds) * kNsPerSecond;
  }

  void Bool(const std::string& key, bool& out) {
    auto v = Get(key);
    if (!v) return;
    auto text = Scalar(v, key);
    if (text == "true" || text == "yes" || text == "on") {
      out = true;
    } else if (text == "false" || text == "no" || text == "off") {
      out = false;
    } else {
      Fail(Join(path_, key), "expected true or false, got " + Quote(text));
    }
  }

  void String(const std::string& key, std::string& out) {
    auto v = Get(key);
    if (!v) return;
    out = v.IsNull() ? "" : Scalar(v, key);
  }

  void Choice(const std::string& key, std::string& out, const std::set<std::string>& allowed) {
    auto v = Get(key);
    if (!v) return;
    auto text = Scalar(v, key);
    if (!allowed.count(text)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Fail(Join(path_, key), "expected one of " + list + ", got " + Quote(text));
    }
    out = text;
  }

  YAML::Node Child(const std::string& key) { return Get(key); }
  std::string ChildPath(const std::string& key) const { return Join(path_, key); }

 private:
  YAML::Node Get(const std::string& key) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return YAML::Node();
    const YAML::Node& frozen = node_;
    return frozen[key];
  }
  std::string Scalar(const YAML::Node& v, const std::string& key) {
    if (!v.IsScalar()) Fail(Join(path_, key), "expected a single value");
    return v.Scalar();
  }
  std::string Display() const { return path_.empty() ? "(top level)" : path_; }

  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

}  // namespace bw::config::yaml
