#pragma once
// ASCII helpers for protocol tokens (host names, header names, query keys). Locale-free and
// byte-exact: wire tokens are ASCII, and anything else simply fails to compare equal.

#include <string>
#include <string_view>
#include <vector>

#include "dissectors/http/http_transaction.h"

namespace bw::storage {

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

constexpr bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

constexpr bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && EqualsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

inline std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

constexpr std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Case-insensitive header lookup, first match wins. Kept here (rather than calling the HTTP
// component's FindHeader) so the storage library depends on the transaction struct only.
inline const std::string* FindHeaderCi(const std::vector<http::Header>& headers,
                                       std::string_view name) {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

// A header that is present with a non-blank value.
inline bool HasHeaderValue(const std::vector<http::Header>& headers, std::string_view name) {
  const std::string* v = FindHeaderCi(headers, name);
  return v != nullptr && !TrimAscii(*v).empty();
}

inline bool HasHeaderWithPrefix(const std::vector<http::Header>& headers, std::string_view prefix) {
  for (const auto& h : headers) {
    if (StartsWithIgnoreCase(h.name, prefix)) return true;
  }
  return false;
}

// Cuts `s` to at most `max_bytes` without splitting a UTF-8 sequence.
inline void TruncateUtf8(std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

}  // namespace bw::storage
