#pragma once
// ASCII helpers for protocol tokens (host names, header names, query keys). Locale-free and
// byte-exact: wire tokens are ASCII, and anything else simply fails to compare equal.

#include <optional>
#include <string>
#include <string_view>

#include "dissectors/common/ascii.h"
#include "dissectors/http/http_transaction.h"

namespace bw::storage {

using bw::AsciiLower;
using bw::ContainsIgnoreCase;
using bw::EndsWithIgnoreCase;
using bw::EqualsIgnoreCase;
using bw::IsAsciiDigit;
using bw::IsAsciiSpace;
using bw::StartsWithIgnoreCase;
using bw::ToLowerAscii;
using bw::ToLowerAsciiTo;

constexpr std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A header that is present with a non-blank value.
inline bool HasHeaderValue(const http::HeaderList& headers, std::string_view name) {
  std::optional<std::string_view> v = headers.Find(name);
  return v && !TrimAscii(*v).empty();
}

inline bool HasHeaderWithPrefix(const http::HeaderList& headers, std::string_view prefix) {
  for (http::Header h : headers) {
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
