#include "dissectors/http/start_line.h"

#include <array>

namespace bw::http {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Control characters and SP end a request-target; bytes >= 0x80 are let through as servers do.
bool IsTargetChar(char c) {
  auto u = static_cast<uint8_t>(c);
  return u > 0x20 && u != 0x7f;
}

constexpr std::array<std::string_view, 27> kKnownMethods = {
    "GET",     "HEAD",   "POST",     "PUT",       "DELETE",     "OPTIONS",    "PATCH",
    "CONNECT", "TRACE",  "PROPFIND", "PROPPATCH", "MKCOL",      "COPY",       "MOVE",
    "LOCK",    "UNLOCK", "REPORT",   "SEARCH",    "MKCALENDAR", "MKACTIVITY", "CHECKOUT",
    "MERGE",   "ACL",    "BIND",     "UNBIND",    "PURGE",      "LINK"};

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// "HTTP/" DIGIT "." DIGIT at `i` with major version 1; advances `i`.
bool ParseVersion(std::string_view s, size_t& i, uint8_t& major, uint8_t& minor) {
  if (s.size() - i < 8 || s.substr(i, 5) != "HTTP/") return false;
  char ma = s[i + 5], dot = s[i + 6], mi = s[i + 7];
  if (ma != '1' || dot != '.' || !IsDigit(mi)) return false;
  major = 1;
  minor = static_cast<uint8_t>(mi - '0');
  i += 8;
  return true;
}

}  // namespace

bool IsTokenChar(uint8_t c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool ParseRequestLine(std::string_view line, bool truncated, RequestLine& out) {
  size_t i = 0;
  while (i < line.size() && IsTokenChar(static_cast<uint8_t>(line[i]))) ++i;
  if (i == 0 || i > kMaxMethodLength || i == line.size() || !IsSpace(line[i])) return false;
  out.method = line.substr(0, i);
  i = SkipSpaces(line, i);
  size_t target_start = i;
  while (i < line.size() && IsTargetChar(line[i])) ++i;
  if (i == target_start) return false;
  out.target = line.substr(target_start, i - target_start);
  if (truncated) {
    // The version was cut off; what remains must still look like the start of a request line.
    out.version_major = 1;
    out.version_minor = 1;
    if (i == line.size()) return true;
    if (!IsSpace(line[i])) return false;
    i = SkipSpaces(line, i);
    std::string_view rest = line.substr(i);
    std::string_view http = "HTTP/1.";
    return http.substr(0, rest.size()) == rest.substr(0, http.size());
  }
  if (i == line.size() || !IsSpace(line[i])) return false;
  i = SkipSpaces(line, i);
  if (!ParseVersion(line, i, out.version_major, out.version_minor)) return false;
  return SkipSpaces(line, i) == line.size();
}

bool ParseStatusLine(std::string_view line, StatusLine& out) {
  size_t i = 0;
  if (!ParseVersion(line, i, out.version_major, out.version_minor)) return false;
  if (i == line.size() || !IsSpace(line[i])) return false;
  i = SkipSpaces(line, i);
  if (line.size() - i < 3 || !IsDigit(line[i]) || !IsDigit(line[i + 1]) || !IsDigit(line[i + 2]))
    return false;
  uint16_t status =
      static_cast<uint16_t>((line[i] - '0') * 100 + (line[i + 1] - '0') * 10 + (line[i + 2] - '0'));
  if (status < 100) return false;
  i += 3;
  if (i < line.size() && !IsSpace(line[i])) return false;
  out.status = status;
  out.reason = line.substr(SkipSpaces(line, i));
  return true;
}

bool StartLinePrefixPlausible(Direction dir, std::string_view prefix) {
  if (prefix == "\r") return true;  // may become an empty line before the start line
  if (dir == Direction::kToClient) {
    std::string_view http = "HTTP/1";
    size_t n = std::min(prefix.size(), http.size());
    return prefix.substr(0, n) == http.substr(0, n);
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (IsSpace(prefix[i])) return i > 0;
    if (!IsTokenChar(static_cast<uint8_t>(prefix[i])) || i >= kMaxMethodLength) return false;
  }
  return true;
}

bool IsKnownMethod(std::string_view method) {
  for (std::string_view m : kKnownMethods) {
    if (m == method) return true;
  }
  return false;
}

bool IsResyncRequestLine(std::string_view line) {
  RequestLine r;
  return ParseRequestLine(line, false, r) && IsKnownMethod(r.method);
}

bool IsResyncStatusLine(std::string_view line) {
  StatusLine s;
  return ParseStatusLine(line, s);
}

bool LooksLikeHttpRequest(ByteView first_bytes) {
  std::string_view s = AsStringView(first_bytes);
  if (s.empty()) return false;
  // Servers ignore empty lines before the request line (RFC 9112 section 2.2), and so does the
  // request parser: a client that sends them first must not hide the request.
  size_t i = 0;
  while (i < s.size() && (s[i] == '\r' || s[i] == '\n')) ++i;
  s.remove_prefix(i);
  size_t sp = s.find_first_of(" \t");  // the request parser accepts either after the method
  if (sp == std::string_view::npos) {
    // Too short to decide (a client sending a byte or three per segment): a prefix of a known
    // method may still become a request line. If it does not, the request parser gives up on
    // the conversation (gave_up), so only the bytes up to the first line are spent on it.
    for (std::string_view m : kKnownMethods) {
      if (s.size() <= m.size() && m.substr(0, s.size()) == s) return true;
    }
    return false;
  }
  if (sp == 0 || sp > kMaxMethodLength) return false;
  return IsKnownMethod(s.substr(0, sp));
}

bool LooksLikeHttpResponse(ByteView first_bytes) {
  std::string_view s = AsStringView(first_bytes);
  return s.size() >= 10 && s.substr(0, 7) == "HTTP/1." && IsDigit(s[7]) && s[8] == ' ' &&
         IsDigit(s[9]);
}

}  // namespace bw::http
