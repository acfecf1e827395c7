#pragma once
// HTTP/1.x start lines, parsed the way servers parse them: the only part of a message that
// differs between requests and responses. Results point into the caller's line. Lenient where
// some deployed server is lenient, because a client picks the server that accepts its form:
// runs of SP/HTAB between elements, trailing whitespace after the version, any token as a
// method, a missing reason phrase; in requests also a GET without a version (HTTP/0.9: nginx,
// Apache httpd's default Allow0.9, llhttp), SP inside the target with the version as the last
// token (nginx before 1.21.1) and leading zeros or extra digits in the version numbers (nginx
// reads the minor version as a number, Apache httpd with HttpProtocolOptions Unsafe both, llhttp
// takes "HTTP/2.0" and, when lenient, any digit pair; Google's front end serves "HTTP/1."). Lines
// servers refuse with 400 but a client still sent (a versionless non-GET, a known method alone)
// parse too, marked refused, so that the attempt is recorded with its answer. Strict where
// accepting would mis-frame: responses must be HTTP/1.x, the HTTP/2 preface is no request, and the
// target holds no control characters.

#include <array>
#include <cstdint>
#include <string_view>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"

namespace bw::http {

struct RequestLine {
  std::string_view method;
  std::string_view target;
  uint8_t version_major = 1;     // 0 for HTTP/0.9; up to 9 (llhttp reads "HTTP/2.0" as 1.x)
  uint8_t version_minor = 1;     // capped at 255; nginx accepts up to 999
  bool space_in_target = false;  // SP inside the target: the last token was the version
  bool odd_version = false;      // the version was neither "HTTP/1.0" nor "HTTP/1.1"
  bool http09 = false;           // no version: HTTP/0.9 (no body; the answer may have no head)
  // Servers answer 400 to this form (no version and not a GET of a path or URI, or a known
  // method alone, with an empty target); read as HTTP/0.9 and recorded with that answer.
  bool refused = false;
};

struct StatusLine {
  uint16_t status = 0;
  std::string_view reason;
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
};

// Longest method token accepted; longer "methods" are not HTTP.
inline constexpr size_t kMaxMethodLength = 32;

// `line` without its line ending. When `truncated` (a limit cut the line) the version may be
// missing: method and a non-empty target prefix suffice, and the version defaults to 1.1.
bool ParseRequestLine(std::string_view line, bool truncated, RequestLine& out);
bool ParseStatusLine(std::string_view line, StatusLine& out);

// True when `prefix` (the first bytes of a line still arriving) can still become a start line
// of the given direction. Monotone: a prefix of a valid start line is always plausible, so an
// early "no" is the same verdict the whole line would get.
bool StartLinePrefixPlausible(Direction dir, std::string_view prefix);

// Methods of RFC 9110, WebDAV and a few common extensions. Resynchronisation only stops at
// request lines with one of these, so body bytes rarely pass for a request.
bool IsKnownMethod(std::string_view method);

// The strict forms resynchronisation looks for: a full request line with a known method and a
// plain version (not HTTP/0.9, no SP in the target: a body line "GET it" is not a request), or
// a status line.
bool IsResyncRequestLine(std::string_view line);
bool IsResyncStatusLine(std::string_view line);

// Classification from the first payload bytes of a connection: a known method followed by SP or
// HTAB after any empty lines (client side), or "HTTP/1.x " followed by a digit (server side).
// Once the first line is whole, also a known method alone on it, or any token method when the
// line is a full request line with a version.
// Client bytes too short to decide that are a prefix of a known method ("G", "GE", "\r\nPU")
// count as a request: splitting the request line into tiny segments must not hide it. The
// request parser gives up on the conversation when the full line turns out not to be one.
bool LooksLikeHttpRequest(ByteView first_bytes);
bool LooksLikeHttpResponse(ByteView first_bytes);

// RFC 9110 tchar. A table, as it runs for every byte of every header name.
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();
inline bool IsTokenChar(uint8_t c) { return kTokenChars[c]; }

}  // namespace bw::http
