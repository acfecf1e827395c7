#include "sensor/output/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "sensor/output/utf8_escape.h"

namespace bw::output {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendAsciiEscaped(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  auto b = static_cast<uint8_t>(c);
  if (b < 0x20) {
    out += "\\u00";
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
    return;
  }
  out += c;
}

// Bytes a JSON string takes as they are: printable ASCII other than '"' and '\\'. A table, so
// the run loop is one load and test per byte.
constexpr AsciiPlainTable kPlain = [] {
  AsciiPlainTable t{};
  for (int b = 0x20; b < 0x80; ++b) t[b] = b != '"' && b != '\\';
  return t;
}();
bool Plain(uint8_t b) { return kPlain[b]; }

}  // namespace

void JsonWriter::AppendEscaped(std::string& out, std::string_view text) {
  AppendUtf8Escaped(out, text, kPlain, AppendAsciiEscaped);
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

JsonWriter& JsonWriter::Open(char c) {
  Separate();
  out_ += c;
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  out_ += c;
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  // Keys are the writer's callers' literals, plain ASCII: one append, not the escape loop,
  // for the forty-odd keys of every ledger line and row. Any other key is still escaped.
  if (std::all_of(key.begin(), key.end(), [](char c) { return Plain(static_cast<uint8_t>(c)); })) {
    out_ += '"';
    out_ += key;
  } else {
    out_ += '"';
    AppendEscaped(out_, key);
  }
  out_ += "\":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Separate();
  out_ += '"';
  AppendEscaped(out_, value);
  out_ += '"';
  return *this;
}

template <typename Integer>
JsonWriter& JsonWriter::Number(Integer value) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) { return Number(value); }
JsonWriter& JsonWriter::Int(int64_t value) { return Number(value); }

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  return *this;
}

}  // namespace bw::output
