#pragma once
// ASCII helpers for protocol tokens (host names, header names, query keys). Locale-free and
// byte-exact: wire tokens are ASCII, and anything else simply fails to compare equal.

#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/ascii.h"
#include "dissectors/http/http_transaction.h"

namespace bw::storage {

using bw::AsciiLower;
using bw::EndsWithIgnoreCase;
using bw::EqualsIgnoreCase;
using bw::IsAsciiDigit;
using bw::IsAsciiSpace;
using bw::StartsWithIgnoreCase;
using bw::ToLowerAscii;

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
