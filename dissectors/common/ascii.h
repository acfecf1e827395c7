#pragma once
// ASCII helpers for protocol tokens (method names, header names, host names, query keys).
// Locale-free and byte-exact: wire tokens are ASCII, and anything else simply fails to compare
// equal. Shared by every dissector so case rules cannot drift apart.

#include <string>
#include <string_view>

namespace bw {

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

// Lower-cases `s` into `out`, replacing its content and keeping its capacity.
inline void ToLowerAsciiTo(std::string_view s, std::string& out) {
  out.assign(s);
  for (char& c : out) c = AsciiLower(c);
}

inline std::string ToLowerAscii(std::string_view s) {
  std::string out;
  ToLowerAsciiTo(s, out);
  return out;
}

constexpr bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

}  // namespace bw
