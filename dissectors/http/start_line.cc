#include "dissectors/http/start_line.h"

#include <algorithm>
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

// "HTTP/1." DIGIT at `i`, the form responses use; advances `i`.
bool ParseVersion(std::string_view s, size_t& i, uint8_t& major, uint8_t& minor) {
  if (s.size() - i < 8 || s.substr(i, 5) != "HTTP/") return false;
  char ma = s[i + 5], dot = s[i + 6], mi = s[i + 7];
  if (ma != '1' || dot != '.' || !IsDigit(mi)) return false;
  major = 1;
  minor = static_cast<uint8_t>(mi - '0');
  i += 8;
  return true;
}

// Digits of one version number, as a value; at most kMaxVersionDigits of them.
constexpr size_t kMaxVersionDigits = 8;
bool ParseVersionNumber(std::string_view s, size_t& i, uint32_t& value) {
  size_t start = i;
  value = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (i - start >= kMaxVersionDigits) return false;
    value = value * 10 + static_cast<uint32_t>(s[i] - '0');
    ++i;
  }
  return i > start;
}

// A request's version the way the most lenient servers read it, exactly s[i..end): "HTTP/"
// 1*DIGIT "." *DIGIT with a major number below 10 and a minor below 1000. nginx reads the
// minor as a number ("1.01", "1.10"), Apache httpd with HttpProtocolOptions Unsafe both numbers
// ("01.1"), llhttp (Node) takes "2.0" even in strict mode and any digit pair when lenient. The
// message syntax stays HTTP/1's: that is how those servers read the rest.
bool ParseRequestVersion(std::string_view s, size_t i, size_t end, RequestLine& out) {
  std::string_view v = s.substr(i, end - i);
  size_t k = 0;
  if (v.size() == 8 && ParseVersion(v, k, out.version_major, out.version_minor)) {
    out.odd_version = out.version_minor > 1;
    return true;
  }
  if (v.size() < 7 || v.substr(0, 5) != "HTTP/") return false;
  k = 5;
  uint32_t major = 0, minor = 0;
  if (!ParseVersionNumber(v, k, major) || k == v.size() || v[k] != '.') return false;
  ++k;
  // No minor digit ("HTTP/1."): Google's front end serves it as 1.0.
  if (k != v.size() && (!ParseVersionNumber(v, k, minor) || k != v.size())) return false;
  if (major > 9 || minor > 999) return false;
  out.version_major = static_cast<uint8_t>(major);
  out.version_minor = static_cast<uint8_t>(std::min<uint32_t>(minor, 255));
  out.odd_version = true;
  return true;
}

}  // namespace

bool ParseRequestLine(std::string_view line, bool truncated, RequestLine& out) {
  out.space_in_target = false;
  out.odd_version = false;
  out.http09 = false;
  out.refused = false;
  size_t i = 0;
  while (i < line.size() && IsTokenChar(static_cast<uint8_t>(line[i]))) ++i;
  if (i == 0 || i > kMaxMethodLength) return false;
  out.method = line.substr(0, i);
  if (!truncated && SkipSpaces(line, i) == line.size() && IsKnownMethod(out.method)) {
    // A known method alone ("OPTIONS"): servers answer 400, but the client sent a request.
    out.target = {};
    out.version_major = 0;
    out.version_minor = 9;
    out.http09 = true;
    out.refused = true;
    return true;
  }
  if (i == line.size() || !IsSpace(line[i])) return false;
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
  if (i < line.size() && !IsSpace(line[i])) return false;
  size_t end = line.size();
  while (end > i && IsSpace(line[end - 1])) --end;
  if (end == i) {
    if (!IsKnownMethod(out.method)) return false;  // "WORD word": text, not a request
    // No version: an HTTP/0.9 simple request, which servers accept for GET only, to a path or
    // an absolute URI. Any other known method, or a target that is neither ("OPTIONS HTTP/1.1", a
    // line without target), is answered 400 (nginx INVALID_09_METHOD): still a request the
    // client sent, read in the same form and marked refused.
    out.version_major = 0;
    out.version_minor = 9;
    out.http09 = true;
    out.refused = out.method != "GET" ||
                  (out.target.front() != '/' && out.target.find("://") == std::string_view::npos);
    return true;
  }
  // The version is the last token; anything between it and the first token is more target.
  size_t last = end;
  while (last > i && !IsSpace(line[last - 1])) --last;
  if (!ParseRequestVersion(line, last, end, out)) return false;
  // The HTTP/2 connection preface: not an HTTP/1 request, whatever follows.
  if (out.method == "PRI" && out.version_major == 2) return false;
  size_t target_end = last;
  while (IsSpace(line[target_end - 1])) --target_end;
  if (target_end > i) {
    // Only SP joins the pieces (nginx took nothing else), and each piece is target characters.
    for (size_t k = i; k < target_end; ++k) {
      if (line[k] != ' ' && !IsTargetChar(line[k])) return false;
    }
    out.target = line.substr(target_start, target_end - target_start);
    out.space_in_target = true;
  }
  return true;
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
    // A method alone, its line end still coming: refused by servers, but a request.
    if (prefix[i] == '\r' && i + 1 == prefix.size()) return i > 0;
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
  return ParseRequestLine(line, false, r) && IsKnownMethod(r.method) && !r.http09 &&
         !r.space_in_target;
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
  size_t eol = s.find('\n');
  if (eol != std::string_view::npos) {
    // A whole first line: a known method alone is a request servers refuse, and any token is a
    // method (RFC 9110 section 9: "CCM_POST") when the line is a full request line with a
    // version, which text of other protocols rarely is.
    std::string_view first = s.substr(0, eol);
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    if (IsKnownMethod(first)) return true;
    RequestLine r;
    if (sp > eol) return false;
    if (!IsKnownMethod(s.substr(0, sp))) return ParseRequestLine(first, false, r) && !r.http09;
  }
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
