#pragma once
// JsonWriter: appends one compact JSON object to a string, field by field, in the order the
// caller writes them — no document tree, no key lookups, one growing buffer. It exists for the
// per-request ledger line, which a DOM library builds and serialises at several times the cost.
//
// Guarantees: the output is exactly what nlohmann::json::dump(-1, ' ', false, replace) prints for
// the same object (same separators, escapes and number forms), and invalid UTF-8 in strings is
// replaced by U+FFFD the same way, so the two can be mixed and compared byte for byte. The
// caller is responsible for balanced Begin/End calls and for writing a key before each value
// inside an object.

#include <cstdint>
#include <string>
#include <string_view>

namespace bw::output {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);

  // Key + value shorthands.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const std::string& value) {
    return Key(key).String(value);
  }
  JsonWriter& Field(std::string_view key, uint64_t value) { return Key(key).Uint(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, uint16_t value) { return Key(key).Uint(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }
  // Omits the field when the value is empty.
  JsonWriter& FieldIfNotEmpty(std::string_view key, std::string_view value) {
    return value.empty() ? *this : Field(key, value);
  }

  // Appends `text` as a JSON string body (no quotes), escaped, invalid UTF-8 replaced.
  static void AppendEscaped(std::string& out, std::string_view text);

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  template <typename Integer>
  JsonWriter& Number(Integer value);
  void Separate();

  std::string& out_;
  bool first_ = true;       // nothing written yet in the current container
  bool after_key_ = false;  // the next value completes a key: value pair
};

}  // namespace bw::output
