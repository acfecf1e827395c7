// Requests shaped to make a monitor and the server disagree (tests/evasion has the capture
// versions): what the conversation records and which anomaly counter notices. Every scenario is
// checked for chunk invariance.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpEvasion, EmptyLinesBeforeTheRequestAreSkipped) {
  Outcome o = RunChunkInvariant(
      {FeedC("\r\n\r\nGET /bucket-a/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n", 1),
       FeedS(Ok("x"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/bucket-a/?list-type=2");
  EXPECT_FALSE(o.gave_up);
}

TEST(HttpEvasion, MethodPrefixThatIsNotARequestGivesUp) {
  // Classification lets a prefix of a method through (tiny segments); the parser must then
  // give up on what is not HTTP.
  Outcome o = RunChunkInvariant({FeedC("GETAWAY now\r\nmore bytes\r\n", 1)});
  EXPECT_TRUE(o.gave_up);
  EXPECT_TRUE(o.txs.empty());
  EXPECT_EQ(o.counters[kGaveUp], 1u);
}

TEST(HttpEvasion, AbsoluteFormAuthorityWinsOverDifferingHost) {
  std::string req =
      "GET http://bucket-b.s3.amazonaws.com/?list-type=2 HTTP/1.1\r\n"
      "Host: bucket-a.s3.amazonaws.com\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("x"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.host, "bucket-b.s3.amazonaws.com");
  EXPECT_EQ(Err(o, HttpError::kHostMismatch), 1u);
  EXPECT_EQ(Err(o, HttpError::kRepeatedHost), 0u);
}

TEST(HttpEvasion, AbsoluteFormWithMatchingHostIsNoAnomaly) {
  // The same host in another case (and a proxy-style request without Host) is consistent.
  std::string req =
      "GET http://Bucket-A.s3.amazonaws.com/k HTTP/1.1\r\nHost: bucket-a.S3.amazonaws.com\r\n\r\n"
      "GET http://bucket-a.s3.amazonaws.com/k2 HTTP/1.1\r\n\r\n"
      "GET /k3 HTTP/1.1\r\nHost: bucket-a.s3.amazonaws.com\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("1") + Ok("2") + Ok("3"), 2)});
  ASSERT_EQ(o.txs.size(), 3u);
  EXPECT_EQ(o.txs[0].tx.request.host, "Bucket-A.s3.amazonaws.com");
  EXPECT_EQ(o.txs[1].tx.request.host, "bucket-a.s3.amazonaws.com");
  EXPECT_EQ(o.txs[2].tx.request.host, "bucket-a.s3.amazonaws.com");
  EXPECT_EQ(Err(o, HttpError::kHostMismatch), 0u);
}

TEST(HttpEvasion, MismatchIsJudgedAgainstTheFirstHostOnly) {
  // Host, then a second Host equal to the authority: the server ignores both (absolute form),
  // the first one differs, and the repetition is its own anomaly.
  std::string req = "GET http://b.example/k HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("1"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.host, "b.example");
  EXPECT_EQ(Err(o, HttpError::kHostMismatch), 1u);
  EXPECT_EQ(Err(o, HttpError::kRepeatedHost), 1u);
}

TEST(HttpEvasion, DuplicateHostKeepsTheFirstAndCounts) {
  std::string same = "GET /?list-type=2 HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n";
  std::string diff = "GET /?list-type=2 HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(same + diff, 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.host, "a.example");
  EXPECT_EQ(o.txs[1].tx.request.host, "a.example");
  EXPECT_EQ(Err(o, HttpError::kRepeatedHost), 2u);
  EXPECT_EQ(Err(o, HttpError::kHostMismatch), 0u);
}

TEST(HttpEvasion, BareLfIsAcceptedAndCountedOncePerMessage) {
  std::string bare =
      "GET /bucket-a/?list-type=2 HTTP/1.1\nhOsT:\ts3.amazonaws.com\naccept: */*\n\n";
  std::string crlf = "GET /bucket-a/k HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";
  std::string last_only = "GET /bucket-a/j HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\n";
  std::string resp_bare = "HTTP/1.1 200 OK\nContent-Length: 1\n\nx";
  Outcome o = RunChunkInvariant(
      {FeedC(bare + crlf + last_only, 1), FeedS(resp_bare + Ok("2") + Ok("3"), 2)});
  ASSERT_EQ(o.txs.size(), 3u);
  const HttpRequest& r = o.txs[0].tx.request;
  EXPECT_EQ(r.target, "/bucket-a/?list-type=2");
  EXPECT_EQ(r.host, "s3.amazonaws.com");
  ASSERT_TRUE(r.Find("Host").has_value());
  EXPECT_EQ(*r.Find("Host"), "s3.amazonaws.com");  // the tab before the value is OWS
  EXPECT_EQ(r.header_bytes, bare.size());
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "x");
  EXPECT_EQ(o.txs[2].tx.request.target, "/bucket-a/j");
  // Request 1 (every line), request 3 (its empty line) and response 1.
  EXPECT_EQ(Err(o, HttpError::kBareLf), 3u);
}

TEST(HttpEvasion, ChunkedBeatsContentLengthSoTheSmuggledRequestIsSeen) {
  // Content-Length spans the chunked body and a second request; a parser trusting it would
  // swallow that request as body. Transfer-Encoding wins (RFC 9112 section 6.3).
  std::string chunked = "5\r\nhello\r\n0\r\n\r\n";
  std::string smuggled = "GET /bucket-b/backup/keys.txt HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";
  std::string put =
      "PUT /bucket-a/upload.txt HTTP/1.1\r\nHost: s3.amazonaws.com\r\n"
      "Content-Length: " +
      std::to_string(chunked.size() + smuggled.size()) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string resp =
      "HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  Outcome o = RunChunkInvariant(
      {FeedC(put + chunked + smuggled, 1), FeedS(resp, 2), EndS(3), EndC(4), CloseAll(5)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.method, "PUT");
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, chunked.size());
  EXPECT_EQ(o.txs[0].tx.response.status, 501);
  EXPECT_EQ(o.txs[1].tx.request.target, "/bucket-b/backup/keys.txt");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(Err(o, HttpError::kTeAndCl), 1u);
}

TEST(HttpEvasion, RequestPipelinedBehindExpectContinue) {
  std::string put =
      "PUT /bucket-a/notes.txt HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: 11\r\n"
      "Expect: 100-continue\r\n\r\n";
  std::string next = "GET /bucket-a/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";
  Outcome o = RunChunkInvariant(
      {FeedC(put, 1), FeedS("HTTP/1.1 100 Continue\r\n\r\n", 2), FeedC("hello world" + next, 3),
       FeedS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + Ok("L"), 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 11u);
  EXPECT_EQ(o.txs[0].tx.interim_responses, 1u);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(o.txs[1].tx.request.target, "/bucket-a/?list-type=2");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "L");
  EXPECT_EQ(o.counters[kInterim], 1u);
}

TEST(HttpEvasion, ContentLengthWithManyLeadingZerosIsItsValue) {
  // nginx, llhttp and Go read any number of leading zeros: the request after the 5-byte body
  // is a request.
  std::string req =
      "POST /a HTTP/1.1\r\nContent-Length: 00000000000000000000000000000005\r\n\r\n"
      "XXXXXGET /b HTTP/1.1\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 5u);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(Err(o, HttpError::kBadContentLength), 0u);
}

TEST(HttpEvasion, ChunkSizePast64BitsIsRefusedNotWrapped) {
  // 2^64 must not wrap to 0 (which would end the body inside the sensor alone). Servers answer
  // 400 and close; the request line after it is what a smuggling attempt hides there, and is
  // recorded as such, unanswered.
  std::string req =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1),
                                 FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2),
                                 EndC(3), EndS(3)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/");
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_EQ(o.txs[1].tx.request.target, "/smuggled");
  EXPECT_FALSE(o.txs[1].tx.has_response);
  EXPECT_EQ(Err(o, HttpError::kBadChunkSize), 1u);

  // Leading zeros do not count against the 64 bits.
  std::string zeros =
      "POST / HTTP/1.1\r\nTransfer-Encoding: "
      "chunked\r\n\r\n00000000000000000003\r\nabc\r\n0\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n";
  Outcome z = RunChunkInvariant({FeedC(zeros, 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(z.txs.size(), 2u);
  EXPECT_EQ(z.txs[1].tx.request.target, "/next");
  EXPECT_EQ(Err(z, HttpError::kBadChunkSize), 0u);
}

TEST(HttpEvasion, TransferEncodingFoldedOntoTheNextLineIsJoined) {
  // Go's textproto and Apache httpd join obs-fold: the request is chunked, its body is the
  // empty chunked body, and the line after it is the next request those servers read.
  std::string req =
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"
      "GET /after-fold HTTP/1.1\r\nHost: t\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_FALSE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(o.txs[1].tx.request.target, "/after-fold");
  EXPECT_EQ(Err(o, HttpError::kObsFold), 1u);
  EXPECT_EQ(Err(o, HttpError::kBadTransferEncoding), 0u);
}

}  // namespace
}  // namespace bw::http::testing
