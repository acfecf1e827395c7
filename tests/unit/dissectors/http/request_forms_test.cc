// Request forms some server accepts (issue 16 item 5): HTTP/0.9, SP inside the target, odd
// version numbers, repeated Content-Length, and streams cut by a reset. Each is followed the way
// the most lenient server follows it, and counted; every scenario is checked for chunk
// invariance.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Get(const std::string& path, const std::string& version = "1.1") {
  return "GET " + path + " HTTP/" + version + "\r\nHost: s3.amazonaws.com\r\n\r\n";
}
std::string Ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

TEST(RequestForms, Http09RequestAndHeadlessAnswer) {
  Outcome o = RunChunkInvariant(
      {FeedC("GET /bucket/key.txt\r\n", 1), FeedS("Hello, object bytes", 2), EndS(3), EndC(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpTransaction& t = o.txs[0].tx;
  EXPECT_EQ(t.request.method, "GET");
  EXPECT_EQ(t.request.target, "/bucket/key.txt");
  EXPECT_EQ(t.request.version_major, 0);
  EXPECT_EQ(t.request.version_minor, 9);
  EXPECT_TRUE(t.request.headers.empty());
  EXPECT_EQ(t.end, TransactionEnd::kComplete);
  ASSERT_TRUE(t.has_response);
  EXPECT_EQ(t.response.status, 0);  // no status line: no status
  EXPECT_EQ(t.response.version_major, 0);
  EXPECT_EQ(t.response.header_bytes, 0u);
  EXPECT_EQ(t.response.body_bytes, 19u);
  EXPECT_EQ(o.txs[0].streamed, "Hello, object bytes");
  EXPECT_EQ(Err(o, HttpError::kHttp09), 1u);
  EXPECT_EQ(Err(o, HttpError::kBadStartLine), 0u);
  EXPECT_EQ(o.counters[kResponses], 1u);
  EXPECT_EQ(o.counters[kInterim], 0u);
  EXPECT_TRUE(o.finished);
}

TEST(RequestForms, Http09HeaderLinesAreReadLikeLlhttp) {
  // llhttp (Node: s3rver, Azurite) reads header lines after a version-less line and answers
  // with a status line once they end; nginx and Apache httpd answer on the line. Both are
  // followed, so the Host that Node acts on is in the request. Bytes after the empty line are
  // read by no server.
  Outcome o =
      RunChunkInvariant({FeedC("GET /k\r\nHost: bucket.s3.amazonaws.com\r\n\r\n", 1),
                         FeedC("GET /more HTTP/1.1\r\n\r\n", 2),
                         FeedS("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody", 3), EndS(4)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.host, "bucket.s3.amazonaws.com");
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(o.txs[0].streamed, "body");
  EXPECT_EQ(o.counters[kRequests], 1u);
  EXPECT_EQ(Err(o, HttpError::kHttp09Headers), 1u);
  EXPECT_EQ(Err(o, HttpError::kDataAfterHttp09), 1u);
}

TEST(RequestForms, Http09AnsweredBeforeItsHeaderLinesEnd) {
  // nginx answers on the line while the client is still sending header lines: the request is
  // reported with what was seen when the answer ended, complete.
  std::string req = "GET /k\r\nUser-Agent: x\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS("raw object", 2), EndS(3), EndC(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[0].tx.response.status, 0);
  EXPECT_EQ(o.txs[0].streamed, "raw object");
  EXPECT_EQ(o.txs[0].tx.request.header_bytes, req.size());
  EXPECT_EQ(Err(o, HttpError::kTruncatedAtEnd), 0u);
}

TEST(RequestForms, Http20RequestLineIsReadAsHttp1) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a", "2.0"), 1),
       FeedS("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 2), EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.version_major, 2);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(Err(o, HttpError::kOddVersion), 1u);
  // The HTTP/2 preface is still not HTTP/1: the connection is given up at once.
  Outcome h2 = RunChunkInvariant({FeedC("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 1)});
  EXPECT_TRUE(h2.gave_up);
  EXPECT_EQ(h2.txs.size(), 0u);
}

TEST(RequestForms, Http09RefusedWithAStatusLine) {
  // Go's net/http and strict Apache answer a version-less line with an HTTP/1.1 400.
  Outcome o = RunChunkInvariant(
      {FeedC("GET /k\r\n", 1),
       FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 2),
       EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
}

TEST(RequestForms, Http09AnswerShorterThanAStatusPrefix) {
  Outcome o = RunChunkInvariant({FeedC("GET /k\r\n", 1), FeedS("HT", 2), EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  ASSERT_TRUE(o.txs[0].tx.has_response);
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 2u);
  EXPECT_EQ(o.txs[0].streamed, "HT");
}

TEST(RequestForms, Http09PipelinedBehindA11Request) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a") + "GET /b\r\n", 1), FeedS(Ok("first") + "second, raw", 2), EndS(3)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(o.txs[0].streamed, "first");
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.response.status, 0);
  EXPECT_EQ(o.txs[1].streamed, "second, raw");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kComplete);
}

TEST(RequestForms, Http09AnswerCutByCloseWithoutFinIsTruncated) {
  Outcome o = RunChunkInvariant({FeedC("GET /k\r\n", 1), FeedS("partial", 2), CloseAll(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
}

TEST(RequestForms, VersionlessNonGetIsRecordedWithItsRefusal) {
  // nginx answers 400 (INVALID_09_METHOD) and closes; the client still asked for the delete.
  Outcome o = RunChunkInvariant(
      {FeedC("DELETE /bucket/key\r\n", 1),
       FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 2),
       EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.method, "DELETE");
  EXPECT_EQ(o.txs[0].tx.request.target, "/bucket/key");
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_EQ(Err(o, HttpError::kHttp09Method), 1u);
  EXPECT_EQ(Err(o, HttpError::kHttp09), 0u);
  EXPECT_EQ(Err(o, HttpError::kBadStartLine), 0u);
  EXPECT_FALSE(o.gave_up);
}

TEST(RequestForms, MethodAloneIsRecordedWithItsRefusal) {
  Outcome o = RunChunkInvariant({FeedC("OPTIONS\r\nHost: www.example.com\r\n\r\n", 1),
                                 FeedS("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2),
                                 EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.method, "OPTIONS");
  EXPECT_EQ(o.txs[0].tx.request.target, "");
  EXPECT_EQ(o.txs[0].tx.request.host, "www.example.com");
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_EQ(Err(o, HttpError::kNoTarget), 1u);
}

TEST(RequestForms, ConnectTargetIsTheHostOnlyInAuthorityForm) {
  Outcome o =
      RunChunkInvariant({FeedC("CONNECT / HTTP/1.1\r\nHost: www.example.com\r\n\r\n", 1),
                         FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2),
                         FeedC("CONNECT s3.amazonaws.com:443 HTTP/1.1\r\nHost: other\r\n\r\n", 3),
                         FeedS("HTTP/1.1 200 Connection established\r\n\r\n", 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.host, "www.example.com");
  EXPECT_EQ(o.txs[1].tx.request.host, "s3.amazonaws.com:443");
}

TEST(RequestForms, SpaceInsideTarget) {
  Outcome o = RunChunkInvariant(
      {FeedC("GET /bucket/my report.pdf HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n" + Get("/b"), 1),
       FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/bucket/my report.pdf");
  EXPECT_EQ(o.txs[0].tx.request.host, "s3.amazonaws.com");
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(Err(o, HttpError::kSpaceInTarget), 1u);
}

TEST(RequestForms, OddVersionNumbers) {
  // HTTP/1.01 is 1.1 to nginx: persistent, so the next request follows on the connection.
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a", "1.01") + Get("/b", "01.1"), 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.version_minor, 1);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(Err(o, HttpError::kOddVersion), 2u);
  EXPECT_FALSE(o.finished);
  // HTTP/1.00 is 1.0: the connection closes after the answer.
  Outcome ten = RunChunkInvariant({FeedC(Get("/a", "1.00"), 1), FeedS(Ok("1"), 2)});
  ASSERT_EQ(ten.txs.size(), 1u);
  EXPECT_TRUE(ten.finished);
}

TEST(RequestForms, RepeatedEqualContentLengthIsOneValue) {
  for (std::string cl : {"Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n",
                         "Content-Length: 5\r\nContent-Length: 5,5\r\n"}) {
    Outcome o = RunChunkInvariant({FeedC("PUT /bucket/k HTTP/1.1\r\nHost: s3.amazonaws.com\r\n" +
                                             cl + "\r\nhello" + Get("/bucket/next"),
                                         1),
                                   FeedS(Ok("") + Ok("2"), 2)});
    ASSERT_EQ(o.txs.size(), 2u) << cl;
    EXPECT_EQ(o.txs[0].tx.request.body_bytes, 5u) << cl;
    EXPECT_FALSE(o.txs[0].tx.request.missing_bytes) << cl;
    EXPECT_EQ(o.txs[1].tx.request.target, "/bucket/next") << cl;
    EXPECT_EQ(Err(o, HttpError::kDuplicateContentLength), 1u) << cl;
    EXPECT_EQ(Err(o, HttpError::kConflictingContentLength), 0u) << cl;
  }
}

TEST(RequestForms, DifferingContentLengthIsRecordedWithTheRejection) {
  // Every server answers 400 and closes; the request it refused is in the ledger with that 400,
  // and the bytes a smuggler put behind it (which no server read) make no request.
  Outcome o = RunChunkInvariant(
      {FeedC("PUT /bucket/k HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: 3\r\n"
             "Content-Length: 40\r\n\r\nabc" +
                 Get("/bucket/smuggled"),
             1),
       FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 2),
       EndS(3), EndC(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/bucket/k");
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_TRUE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(Err(o, HttpError::kConflictingContentLength), 1u);
}

// A reset ends both directions at once (the reassembler's OnEnd for each, in either order).
TEST(RequestForms, ResetInsideResponseBodyKeepsTheRequest) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  for (bool server_first : {false, true}) {
    std::vector<Step> steps = {FeedC(Get("/bucket/big"), 1), FeedS(head + "0123456789", 2)};
    if (server_first) {
      steps.push_back(EndS(3));
      steps.push_back(EndC(3));
    } else {
      steps.push_back(EndC(3));
      steps.push_back(EndS(3));
    }
    Outcome o = RunChunkInvariant(steps);
    ASSERT_EQ(o.txs.size(), 1u);
    EXPECT_EQ(o.txs[0].tx.request.target, "/bucket/big");
    EXPECT_EQ(o.txs[0].tx.response.status, 200);
    EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
    EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
    EXPECT_EQ(o.txs[0].tx.response.body_bytes, 10u);
  }
}

TEST(RequestForms, ResetInsideRequestKeepsWhatWasSeen) {
  for (bool server_first : {false, true}) {
    // Cut in the body of an upload, and cut in the head.
    for (std::string req :
         {std::string("PUT /bucket/up HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: "
                      "1000\r\n\r\npartial"),
          std::string("PUT /bucket/up HTTP/1.1\r\nHost: s3.amaz")}) {
      std::vector<Step> steps = {FeedC(req, 1)};
      steps.push_back(server_first ? EndS(2) : EndC(2));
      steps.push_back(server_first ? EndC(2) : EndS(2));
      Outcome o = RunChunkInvariant(steps);
      ASSERT_EQ(o.txs.size(), 1u) << req;
      EXPECT_EQ(o.txs[0].tx.request.method, "PUT");
      EXPECT_EQ(o.txs[0].tx.request.target, "/bucket/up");
      EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kNoResponse);
      EXPECT_TRUE(o.txs[0].tx.request.missing_bytes || server_first) << req;
    }
  }
}

TEST(RequestForms, ResetAfterAnUnlengthedResponse) {
  // A body delimited by the end of the stream: the reassembler reports a reset like a FIN, so
  // the body ends there; only a vanished connection (Close without an end) marks it cut.
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/k"), 1), FeedS("HTTP/1.0 200 OK\r\n\r\nno length here", 2), EndS(3), EndC(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[0].streamed, "no length here");
}

TEST(RequestForms, ExpectContinueThenBody) {
  Outcome o = RunChunkInvariant(
      {FeedC("PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
             1),
       FeedS("HTTP/1.1 100 Continue\r\n\r\n", 2), FeedC("data", 3), FeedS(Ok(""), 4)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.interim_responses, 1);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 4u);
}

}  // namespace
}  // namespace bw::http::testing
