#include "dissectors/http/start_line.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::http {
namespace {

TEST(StartLine, RequestLineForms) {
  RequestLine r;
  ASSERT_TRUE(ParseRequestLine("GET /b/k?x=1 HTTP/1.1", false, r));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/b/k?x=1");
  EXPECT_EQ(r.version_minor, 1);
  ASSERT_TRUE(ParseRequestLine("OPTIONS * HTTP/1.0", false, r));
  EXPECT_EQ(r.target, "*");
  EXPECT_EQ(r.version_minor, 0);
  ASSERT_TRUE(ParseRequestLine("CONNECT host:443 HTTP/1.1", false, r));
  EXPECT_EQ(r.target, "host:443");
  ASSERT_TRUE(ParseRequestLine("X-CUSTOM\t/p \t HTTP/1.1  ", false, r));  // any token method
  EXPECT_EQ(r.method, "X-CUSTOM");
  EXPECT_EQ(r.target, "/p");
}

TEST(StartLine, RequestLineRejects) {
  RequestLine r;
  EXPECT_FALSE(ParseRequestLine("", false, r));
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/10.0", false, r));  // no server reads it
  EXPECT_FALSE(ParseRequestLine("PRI * HTTP/2.0", false, r));   // the HTTP/2 preface
  EXPECT_FALSE(ParseRequestLine("GET / http/1.1", false, r));
  EXPECT_FALSE(ParseRequestLine(" GET / HTTP/1.1", false, r));  // leading whitespace
  EXPECT_FALSE(ParseRequestLine("GETAWAY now", false, r));      // versionless needs a known method
  EXPECT_FALSE(ParseRequestLine("GE(T / HTTP/1.1", false, r));
  EXPECT_FALSE(ParseRequestLine("GET /a\x01 HTTP/1.1", false, r));
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/1.1 extra", false, r));
  EXPECT_FALSE(ParseRequestLine(std::string(33, 'A') + " / HTTP/1.1", false, r));
}

TEST(StartLine, Http09RequestLine) {
  RequestLine r;
  ASSERT_TRUE(ParseRequestLine("GET /bucket/key", false, r));
  EXPECT_TRUE(r.http09);
  EXPECT_EQ(r.target, "/bucket/key");
  EXPECT_EQ(r.version_major, 0);
  EXPECT_EQ(r.version_minor, 9);
  ASSERT_TRUE(ParseRequestLine("GET  /k \t ", false, r));  // nginx: spaces then the line end
  EXPECT_TRUE(r.http09);
  EXPECT_EQ(r.target, "/k");
  EXPECT_FALSE(r.refused);
  // Forms servers answer 400 to: parsed in the same form, marked refused.
  ASSERT_TRUE(ParseRequestLine("HEAD /k", false, r));
  EXPECT_TRUE(r.http09);
  EXPECT_TRUE(r.refused);
  ASSERT_TRUE(ParseRequestLine("POST /", false, r));  // HTTP/0.9 knows only GET
  EXPECT_TRUE(r.refused);
  ASSERT_TRUE(ParseRequestLine("GET  HTTP/1.1", false, r));  // no target: the version is read
  EXPECT_TRUE(r.refused);                                    // as one, as tshark does
  ASSERT_TRUE(ParseRequestLine("OPTIONS HTTP/1.1", false, r));
  EXPECT_EQ(r.target, "HTTP/1.1");
  EXPECT_TRUE(r.refused);
  ASSERT_TRUE(ParseRequestLine("GET k", false, r));
  EXPECT_TRUE(r.refused);
  ASSERT_TRUE(ParseRequestLine("OPTIONS", false, r));
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.target, "");
  EXPECT_TRUE(r.refused);
  EXPECT_FALSE(ParseRequestLine("FROBNICATE", false, r));  // one word, not a known method
  EXPECT_FALSE(ParseRequestLine("GET /k HTTP/1.1x", false, r));
  ASSERT_TRUE(ParseRequestLine("GET http://h/k", false, r));
  EXPECT_FALSE(r.refused);
  ASSERT_TRUE(ParseRequestLine("GET /k HTTP/1.1", false, r));
  EXPECT_FALSE(r.http09);  // reset from the previous parse
  EXPECT_FALSE(r.refused);
  // Resynchronisation never stops at a version-less line: a body line "GET it" is no request.
  EXPECT_FALSE(IsResyncRequestLine("GET /k"));
}

TEST(StartLine, SpaceInsideTarget) {
  RequestLine r;
  ASSERT_TRUE(ParseRequestLine("GET /a b/c HTTP/1.1", false, r));
  EXPECT_EQ(r.target, "/a b/c");
  EXPECT_TRUE(r.space_in_target);
  EXPECT_EQ(r.version_minor, 1);
  ASSERT_TRUE(ParseRequestLine("GET /bucket/my key.txt?x=1 2  HTTP/1.0 ", false, r));
  EXPECT_EQ(r.target, "/bucket/my key.txt?x=1 2");
  EXPECT_EQ(r.version_minor, 0);
  ASSERT_TRUE(ParseRequestLine("GET /plain HTTP/1.1", false, r));
  EXPECT_FALSE(r.space_in_target);
  EXPECT_FALSE(ParseRequestLine("GET /a\tb HTTP/1.1", false, r));  // only SP joins pieces
  EXPECT_FALSE(ParseRequestLine("GET /a \x01b HTTP/1.1", false, r));
  EXPECT_FALSE(ParseRequestLine("GET /a b", false, r));  // no version: not HTTP/0.9 either
  EXPECT_FALSE(IsResyncRequestLine("GET /a b HTTP/1.1"));
}

TEST(StartLine, LenientVersionNumbers) {
  RequestLine r;
  for (const char* line : {"GET / HTTP/1.01", "GET / HTTP/01.1", "GET / HTTP/001.0001"}) {
    ASSERT_TRUE(ParseRequestLine(line, false, r)) << line;
    EXPECT_TRUE(r.odd_version) << line;
    EXPECT_EQ(r.version_major, 1) << line;
    EXPECT_EQ(r.version_minor, 1) << line;
  }
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.10", false, r));
  EXPECT_EQ(r.version_minor, 10);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.999", false, r));
  EXPECT_EQ(r.version_minor, 255);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.00", false, r));
  EXPECT_EQ(r.version_minor, 0);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.1", false, r));
  EXPECT_FALSE(r.odd_version);
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/1.1000", false, r));
  // llhttp (Node) serves "HTTP/2.0" in HTTP/1 syntax even when strict, any digit pair when
  // lenient; it stays an HTTP/1 message.
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/2.0", false, r));
  EXPECT_EQ(r.version_major, 2);
  EXPECT_TRUE(r.odd_version);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/5.6", false, r));
  EXPECT_EQ(r.version_major, 5);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.5", false, r));
  EXPECT_TRUE(r.odd_version);
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.0", false, r));
  EXPECT_FALSE(r.odd_version);
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/10.0", false, r));
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/.1", false, r));
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/1.1.1", false, r));
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/000000001.1", false, r));  // digit bound
  // Responses keep the strict form.
  StatusLine s;
  EXPECT_FALSE(ParseStatusLine("HTTP/1.01 200 OK", s));
}

TEST(StartLine, TruncatedRequestLine) {
  RequestLine r;
  ASSERT_TRUE(ParseRequestLine("GET /very/long/targ", true, r));
  EXPECT_EQ(r.target, "/very/long/targ");
  ASSERT_TRUE(ParseRequestLine("GET /t HTT", true, r));
  EXPECT_FALSE(ParseRequestLine("GET /t XYZ", true, r));
  EXPECT_FALSE(ParseRequestLine("GET ", true, r));
}

TEST(StartLine, StatusLine) {
  StatusLine s;
  ASSERT_TRUE(ParseStatusLine("HTTP/1.1 404 Not Found", s));
  EXPECT_EQ(s.status, 404);
  EXPECT_EQ(s.reason, "Not Found");
  ASSERT_TRUE(ParseStatusLine("HTTP/1.0 200", s));
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.version_minor, 0);
  ASSERT_TRUE(ParseStatusLine("HTTP/1.1 200 ", s));
  EXPECT_FALSE(ParseStatusLine("HTTP/1.1 20", s));
  EXPECT_FALSE(ParseStatusLine("HTTP/1.1 2000 OK", s));
  EXPECT_FALSE(ParseStatusLine("HTTP/1.1 099 X", s));
  EXPECT_FALSE(ParseStatusLine("HTTP/2 200 OK", s));
  EXPECT_FALSE(ParseStatusLine("ICY 200 OK", s));
}

TEST(StartLine, PrefixPlausibilityIsMonotone) {
  const std::string valid_request = "PROPFIND /dav HTTP/1.1";
  for (size_t n = 0; n <= valid_request.size(); ++n) {
    EXPECT_TRUE(StartLinePrefixPlausible(Direction::kToServer, valid_request.substr(0, n))) << n;
  }
  const std::string valid_status = "HTTP/1.1 200 OK";
  for (size_t n = 0; n <= valid_status.size(); ++n) {
    EXPECT_TRUE(StartLinePrefixPlausible(Direction::kToClient, valid_status.substr(0, n))) << n;
  }
  EXPECT_FALSE(StartLinePrefixPlausible(Direction::kToServer, "\x16\x03"));
  EXPECT_FALSE(StartLinePrefixPlausible(Direction::kToServer, " GET"));
  EXPECT_FALSE(StartLinePrefixPlausible(Direction::kToClient, "HTTP/2"));
  EXPECT_TRUE(StartLinePrefixPlausible(Direction::kToServer, "\r"));
}

TEST(StartLine, Classification) {
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("GET / HTTP/1.1\r\n")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("PUT /b/k")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("DELETE ")));
  // Too short to decide, but a prefix of a method: a request line sent in tiny segments.
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("GET")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("G")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("PROPF")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("GETX")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("X")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("g")));
  // Empty lines before the request line are skipped, as servers do; HTAB may follow the method.
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("\r\nGET / HTTP/1.1\r\n")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("\r\n")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("\n\nP")));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes("GET\t/ HTTP/1.1\r\n")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("\r\nSSH-2.0-OpenSSH")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("get / HTTP/1.1")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("FOO / HTTP/1.1")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("\x16\x03\x01\x02\x00")));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes("")));
  EXPECT_TRUE(LooksLikeHttpResponse(AsBytes("HTTP/1.1 200 OK\r\n")));
  EXPECT_FALSE(LooksLikeHttpResponse(AsBytes("HTTP/1.1 ")));
  EXPECT_FALSE(LooksLikeHttpResponse(AsBytes("HTTP/2 200 OK")));
}

TEST(StartLine, ResyncNeedsKnownMethodAndFullLine) {
  EXPECT_TRUE(IsResyncRequestLine("GET /a HTTP/1.1"));
  EXPECT_TRUE(IsResyncRequestLine("MKCOL /dir HTTP/1.1"));
  EXPECT_FALSE(IsResyncRequestLine("FROB /a HTTP/1.1"));
  EXPECT_FALSE(IsResyncRequestLine("GET /a"));
  EXPECT_TRUE(IsResyncStatusLine("HTTP/1.1 503 Slow Down"));
  EXPECT_FALSE(IsResyncStatusLine("xHTTP/1.1 200 OK"));
}

TEST(StartLine, CutVersionAndAnyTokenMethod) {
  RequestLine r;
  // "HTTP/1." without its minor digit: Google's front end serves it.
  ASSERT_TRUE(ParseRequestLine("GET / HTTP/1.", false, r));
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.version_major, 1);
  EXPECT_EQ(r.version_minor, 0);
  EXPECT_TRUE(r.odd_version);
  EXPECT_FALSE(r.http09);
  EXPECT_FALSE(ParseRequestLine("GET / HTTP/.", false, r));
  // Any tchar token is a method (RFC 9110 section 9).
  ASSERT_TRUE(ParseRequestLine("CCM_POST / HTTP/1.1", false, r));
  EXPECT_EQ(r.method, "CCM_POST");
  EXPECT_TRUE(
      LooksLikeHttpRequest(AsBytes(std::string_view("CCM_POST / HTTP/1.1\r\nHost: h\r\n"))));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes(std::string_view("CCM_POST /\r\n"))));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes(std::string_view("HELO mail.example\r\n"))));
  EXPECT_TRUE(LooksLikeHttpRequest(AsBytes(std::string_view("OPTIONS\r\nHost: h\r\n"))));
  EXPECT_FALSE(LooksLikeHttpRequest(AsBytes(std::string_view("QUIT\r\n"))));
  // A method alone whose line end is still coming can become a request line.
  EXPECT_TRUE(StartLinePrefixPlausible(Direction::kToServer, "OPTIONS\r"));
}

// RFC 9110 section 5.6.2: tchar is ALPHA, DIGIT and fifteen symbols; nothing else, no byte
// above 0x7E.
TEST(StartLine, TokenCharsAreExactlyRfc9110Tchar) {
  const std::string_view symbols = "!#$%&'*+-.^_`|~";
  int count = 0;
  for (int c = 0; c < 256; ++c) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool expected = alnum || symbols.find(static_cast<char>(c)) != std::string_view::npos;
    EXPECT_EQ(IsTokenChar(static_cast<uint8_t>(c)), expected) << c;
    count += IsTokenChar(static_cast<uint8_t>(c)) ? 1 : 0;
  }
  EXPECT_EQ(count, 10 + 26 + 26 + 15);
}

}  // namespace
}  // namespace bw::http
