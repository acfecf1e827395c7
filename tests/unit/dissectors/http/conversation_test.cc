// Feature tests of HttpConversation: every scenario is checked for chunk invariance.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dissectors/http/transaction_pool.h"
#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: bucket.s3.amazonaws.com\r\n" + extra + "\r\n";
}
std::string Ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

TEST(HttpConversation, SimpleGetWithContentLengthBody) {
  std::string req = Get("/key.txt", "User-Agent: curl/8\r\n");
  std::string resp = Ok("hello world", "x-amz-request-id: ABC\r\n");
  Outcome o = RunChunkInvariant({FeedC(req, 10), FeedS(resp, 20)});
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpTransaction& t = o.txs[0].tx;
  EXPECT_EQ(t.end, TransactionEnd::kComplete);
  EXPECT_EQ(t.request.method, "GET");
  EXPECT_EQ(t.request.target, "/key.txt");
  EXPECT_EQ(t.request.host, "bucket.s3.amazonaws.com");
  EXPECT_EQ(t.request.header_bytes, req.size());
  EXPECT_EQ(t.request.body_bytes, 0u);
  EXPECT_EQ(t.request.first_ts, 10);
  ASSERT_TRUE(t.request.Find("user-agent").has_value());
  EXPECT_EQ(*t.request.Find("USER-AGENT"), "curl/8");
  ASSERT_TRUE(t.has_response);
  EXPECT_EQ(t.response.status, 200);
  EXPECT_EQ(t.response.reason, "OK");
  EXPECT_EQ(t.response.header_bytes, resp.size() - 11);
  EXPECT_EQ(t.response.body_bytes, 11u);
  EXPECT_EQ(t.response.body_prefix, "hello world");
  EXPECT_EQ(o.txs[0].streamed, "hello world");
  EXPECT_EQ(*t.response.Find("X-Amz-Request-Id"), "ABC");
  EXPECT_EQ(t.response.first_ts, 20);
  EXPECT_EQ(t.response.last_ts, 20);
  EXPECT_EQ(o.counters[kRequests], 1u);
  EXPECT_EQ(o.counters[kResponses], 1u);
  EXPECT_EQ(o.counters[kTransactions], 1u);
  EXPECT_FALSE(o.gave_up);
}

TEST(HttpConversation, FiftyPipelinedRequests) {
  std::string reqs, resps;
  for (int i = 0; i < 50; ++i) reqs += Get("/o" + std::to_string(i));
  for (int i = 0; i < 50; ++i) resps += Ok("body" + std::to_string(i));
  Outcome o = RunChunkInvariant({FeedC(reqs, 1), FeedS(resps, 2)}, {}, /*every_offset=*/true);
  ASSERT_EQ(o.txs.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(o.txs[i].tx.request.target, "/o" + std::to_string(i));
    EXPECT_EQ(o.txs[i].tx.response.body_prefix, "body" + std::to_string(i));
    EXPECT_EQ(o.txs[i].streamed, "body" + std::to_string(i));
  }
  EXPECT_EQ(o.counters[kMaxDepth], 50u);
  EXPECT_EQ(o.counters[kNoResponse], 0u);
}

TEST(HttpConversation, KeepAliveMixedHeadGet204And304) {
  std::vector<Step> steps = {
      FeedC("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n", 1),
      FeedS("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 2),
      FeedC(Get("/b"), 3),
      FeedS(Ok("bbb"), 4),
      FeedC("DELETE /c HTTP/1.1\r\nHost: h\r\n\r\n", 5),
      FeedS("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", 6),
      FeedC(Get("/d", "If-None-Match: \"x\"\r\n"), 7),
      FeedS("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n", 8),
      FeedC(Get("/e"), 9),
      FeedS(Ok("eeeee"), 10),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 5u);
  EXPECT_EQ(o.txs[0].tx.request.method, "HEAD");
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 0u);
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "bbb");
  EXPECT_EQ(o.txs[2].tx.response.status, 204);
  EXPECT_EQ(o.txs[2].tx.response.body_bytes, 0u);
  EXPECT_EQ(o.txs[3].tx.response.status, 304);
  EXPECT_EQ(o.txs[3].tx.response.body_bytes, 0u);
  EXPECT_EQ(o.txs[4].tx.response.body_prefix, "eeeee");
  for (const Tx& t : o.txs) EXPECT_EQ(t.tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.counters[kMaxDepth], 1u);
}

TEST(HttpConversation, ChunkedResponseWithExtensionsAndTrailers) {
  std::string body =
      "5;name=value\r\nhello\r\n"
      "6 ; ext\r\n world\r\n"
      "A\r\n0123456789\r\n"
      "0\r\nx-amz-checksum-crc32: AAAA\r\nOther: y\r\n\r\n";
  std::string resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
  Outcome o = RunChunkInvariant({FeedC(Get("/list?list-type=2"), 1), FeedS(resp, 2),
                                 FeedC(Get("/next"), 3), FeedS(Ok("n"), 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "hello world0123456789");
  EXPECT_EQ(o.txs[0].streamed, "hello world0123456789");
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, body.size());
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "n");
}

TEST(HttpConversation, ChunkedRequestUpload) {
  std::string body = "3\r\nabc\r\n0\r\n\r\n";
  std::string req =
      "PUT /bucket/key HTTP/1.1\r\nHost: minio:9000\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
  Outcome o = RunChunkInvariant({FeedC(req + Get("/x"), 1),
                                 FeedS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2),
                                 FeedS(Ok("x"), 3)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, body.size());
  EXPECT_EQ(o.txs[0].tx.request.host, "minio:9000");
  EXPECT_EQ(o.txs[1].tx.request.target, "/x");
}

TEST(HttpConversation, ExpectContinuePut) {
  std::string head =
      "PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n";
  std::vector<Step> steps = {
      FeedC(head, 1),
      FeedS("HTTP/1.1 100 Continue\r\n\r\n", 2),
      FeedC("0123456789", 3),
      FeedS("HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n", 4),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpTransaction& t = o.txs[0].tx;
  EXPECT_EQ(t.interim_responses, 1);
  EXPECT_EQ(t.response.status, 200);
  EXPECT_EQ(t.request.body_bytes, 10u);
  EXPECT_EQ(t.request.last_ts, 3);
  EXPECT_EQ(o.counters[kInterim], 1u);
  EXPECT_EQ(o.counters[kResponses], 1u);
}

TEST(HttpConversation, EarlyFinalResponseBeforeUploadEnds) {
  std::string head =
      "PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(head + "0123", 1),
                                 FeedS("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 2),
                                 FeedC("456789", 3), FeedC(Get("/n"), 4), FeedS(Ok(""), 5)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.response.status, 403);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 4u);  // what had arrived when the response ended
  EXPECT_EQ(o.txs[1].tx.request.target, "/n");
}

TEST(HttpConversation, ResponseEndingAtFin) {
  std::vector<Step> steps = {
      FeedC("GET /old HTTP/1.0\r\n\r\n", 1),
      FeedS("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of ", 2),
      FeedS("this until FIN", 3),
      EndS(4),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "all of this until FIN");
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 21u);
  EXPECT_EQ(o.txs[0].tx.response.last_ts, 4);
  EXPECT_EQ(o.txs[0].tx.request.version_minor, 0);
  EXPECT_TRUE(o.finished);
}

TEST(HttpConversation, ResponseAfterAnnouncedCloseStillPairs) {
  // Some servers announce their close and keep answering (suricata-verify http-async): a
  // response that does come belongs to the next request.
  std::vector<Step> steps = {FeedC(Get("/a"), 1), FeedS(Ok("a", "Connection: close\r\n"), 2),
                             FeedC(Get("/b"), 3), FeedS(Ok("b"), 4), EndS(5)};
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.response.status, 200);
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(Err(o, HttpError::kDataAfterClose), 0u);
  EXPECT_TRUE(o.finished);
  EXPECT_FALSE(o.gave_up);
}

TEST(HttpConversation, UnansweredRequestAfterAnnouncedCloseIsFlagged) {
  std::vector<Step> steps = {FeedC(Get("/a"), 1), FeedS(Ok("a", "Connection: close\r\n"), 2),
                             FeedC(Get("/b"), 3), EndS(4)};
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(Err(o, HttpError::kDataAfterClose), 1u);
}

TEST(HttpConversation, Http10RequestWithoutKeepAliveCloses) {
  Outcome o = RunChunkInvariant({FeedC("GET / HTTP/1.0\r\n\r\n", 1), FeedS(Ok("x"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_TRUE(o.finished);
  Outcome k = RunChunkInvariant(
      {FeedC("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1), FeedS(Ok("x"), 2)});
  EXPECT_FALSE(k.finished);
}

TEST(HttpConversation, ServerQuirksAreParsedLikeServers) {
  std::string req =
      "GET   http://user:pw@Bucket.example.com:8080/k?x=1  HTTP/1.1 \n"  // bare LF, spaces
      "hOsT: first.example\n"
      "Host: second.example\r\n"
      "X-Multi: a\r\n"
      "X-Multi: b\r\n"
      "X-Folded: part1\r\n"
      " \t part2\r\n"
      "Bad Name: dropped\r\n"
      "Content-Length : 5\r\n"  // whitespace before colon: dropped, so no body
      "NoColonHere\r\n"
      "X-Ctl: a\x01z\r\n"
      "  X-Empty:   \r\n"
      "\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("k"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpRequest& r = o.txs[0].tx.request;
  EXPECT_EQ(r.target, "http://user:pw@Bucket.example.com:8080/k?x=1");
  EXPECT_EQ(r.host, "Bucket.example.com:8080");  // absolute-form beats Host
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_EQ(*r.Find("HOST"), "first.example");
  EXPECT_EQ(*r.Find("x-multi"), "a");
  // Joined with one SP; the later fold follows a dropped line, so it is dropped too.
  EXPECT_EQ(*r.Find("X-Folded"), "part1 part2");
  EXPECT_FALSE(r.Find("Content-Length").has_value());
  EXPECT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(Err(o, HttpError::kRepeatedHost), 1u);
  EXPECT_EQ(Err(o, HttpError::kObsFold), 1u);
  // "Bad Name", "Content-Length :", "NoColonHere", the control character, the orphan fold.
  EXPECT_EQ(Err(o, HttpError::kBadHeader), 5u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "k");
}

TEST(HttpConversation, FirstHostWinsAndFoldOntoFramingHeaderRejected) {
  std::string req = "POST /u HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 3\r\n 4\r\n\r\nxyz";
  Outcome o = RunChunkInvariant({FeedC(req + Get("/n"), 1), FeedS(Ok("1") + Ok("2"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.host, "a");
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 3u);
  EXPECT_EQ(*o.txs[0].tx.request.Find("content-length"), "3");
  EXPECT_EQ(o.txs[1].tx.request.target, "/n");
  EXPECT_EQ(Err(o, HttpError::kBadHeader), 1u);
  EXPECT_EQ(Err(o, HttpError::kRepeatedHost), 1u);
}

TEST(HttpConversation, TransferEncodingBeatsContentLength) {
  std::string resp =
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "2\r\nab\r\n0\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(Get("/a") + Get("/b"), 1), FeedS(resp + Ok("b"), 2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "ab");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "b");
  EXPECT_EQ(Err(o, HttpError::kTeAndCl), 1u);
}

TEST(HttpConversation, ResponseTransferEncodingNotChunkedRunsToEnd) {
  std::string resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzzz";
  Outcome o = RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(resp, 2), EndS(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "zzzz");
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
}

TEST(HttpConversation, RequestTransferEncodingNotChunkedIsRejected) {
  std::string req = "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nrubbish\r\n";
  Outcome o = RunChunkInvariant({FeedC(req + Get("/b"), 1),
                                 FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2),
                                 FeedS(Ok("b"), 3)});
  // The request side resyncs: "/b" behind the refused request is recorded (a front end that
  // frames differently would forward it).
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_TRUE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(Err(o, HttpError::kBadTransferEncoding), 1u);
  EXPECT_EQ(o.counters[kResyncs], 1u);
}

TEST(HttpConversation, BadAndConflictingContentLength) {
  Outcome bad =
      RunChunkInvariant({FeedC("POST /a HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n" + Get("/b"), 1),
                         FeedS(Ok("1") + Ok("2"), 2)});
  EXPECT_EQ(Err(bad, HttpError::kBadContentLength), 1u);
  ASSERT_EQ(bad.txs.size(), 2u);
  EXPECT_EQ(bad.txs[1].tx.request.target, "/b");

  Outcome conflict = RunChunkInvariant(
      {FeedC("POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" + Get("/b"),
             1),
       FeedS(Ok("1") + Ok("2"), 2)});
  EXPECT_EQ(Err(conflict, HttpError::kConflictingContentLength), 1u);
  // The unframed body runs into the next request line ("abcdGET /b ..."), so resync cannot see
  // it: the second response has no request to answer and is discarded and counted.
  ASSERT_EQ(conflict.txs.size(), 1u);
  EXPECT_TRUE(conflict.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(Err(conflict, HttpError::kUnmatchedResponse), 1u);

  // An identical repeated list is fine (RFC 9112 section 6.3).
  Outcome same = RunChunkInvariant(
      {FeedC("POST /a HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc" + Get("/b"), 1),
       FeedS(Ok("1") + Ok("2"), 2)});
  EXPECT_EQ(Err(same, HttpError::kConflictingContentLength), 0u);
  ASSERT_EQ(same.txs.size(), 2u);
  EXPECT_EQ(same.txs[0].tx.request.body_bytes, 3u);
}

TEST(HttpConversation, BadChunkSizeResynchronises) {
  std::string resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n";
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a"), 1), FeedS(resp, 2), FeedC(Get("/b"), 3), FeedS(Ok("b"), 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "b");
  EXPECT_EQ(Err(o, HttpError::kBadChunkSize), 1u);
  EXPECT_EQ(o.counters[kResyncs], 1u);
}

TEST(HttpConversation, ConnectTunnelStopsDissection) {
  Outcome o = RunChunkInvariant(
      {FeedC("CONNECT s3.amazonaws.com:443 HTTP/1.1\r\nHost: s3.amazonaws.com:443\r\n\r\n", 1),
       FeedS("HTTP/1.1 200 Connection established\r\n\r\n", 2),
       FeedC(std::string("\x16\x03\x01\x02\x00", 5), 3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.host, "s3.amazonaws.com:443");
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_TRUE(o.gave_up);
  EXPECT_EQ(o.counters[kTunnels], 1u);
  EXPECT_EQ(o.counters[kGaveUp], 0u);
}

TEST(HttpConversation, UpgradeStopsDissection) {
  Outcome o = RunChunkInvariant(
      {FeedC("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 1),
       FeedS("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.status, 101);
  EXPECT_TRUE(o.gave_up);
  EXPECT_EQ(o.counters[kInterim], 0u);
}

TEST(HttpConversation, GarbageStreamGivesUp) {
  Outcome tls = RunChunkInvariant({FeedC(std::string("\x16\x03\x01\x00\xa5\x01\x00", 7), 1)});
  EXPECT_TRUE(tls.gave_up);
  EXPECT_EQ(tls.counters[kGaveUp], 1u);
  EXPECT_EQ(Err(tls, HttpError::kBadStartLine), 1u);
  EXPECT_TRUE(tls.txs.empty());

  Outcome ssh = RunChunkInvariant({FeedC("SSH-2.0-OpenSSH_9.2\r\n", 1)});
  EXPECT_TRUE(ssh.gave_up);

  Outcome h2 = RunChunkInvariant({FeedC("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 1)});
  EXPECT_TRUE(h2.gave_up);
}

TEST(HttpConversation, EmptyLinesBeforeRequestAreIgnored) {
  Outcome o = RunChunkInvariant({FeedC("\r\n\n" + Get("/a"), 1), FeedS("\r\n" + Ok("a"), 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_FALSE(o.gave_up);
  EXPECT_EQ(o.txs[0].tx.request.header_bytes, Get("/a").size());
}

TEST(HttpConversation, ResponseWithoutRequestIsUnmatched) {
  // Capture started mid-connection: the server speaks first.
  Outcome o = RunChunkInvariant({FeedS(Ok("orphan"), 1), FeedC(Get("/a"), 2), FeedS(Ok("a"), 3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "a");
  EXPECT_EQ(Err(o, HttpError::kUnmatchedResponse), 1u);
  EXPECT_EQ(o.counters[kLostRequests], 0u);
}

TEST(HttpConversation, ResponseNeverPairsWithALaterRequest) {
  Outcome o = RunChunkInvariant({FeedS(Ok("early"), 5), FeedC(Get("/a"), 6), EndC(7), CloseAll(8)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kNoResponse);
}

TEST(HttpConversation, CloseFlushesPendingAndInflight) {
  Outcome o = RunChunkInvariant({FeedC(Get("/a") + Get("/b") + Get("/c"), 1),
                                 FeedS("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", 2),
                                 CloseAll(3)});
  ASSERT_EQ(o.txs.size(), 3u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "partial");
  EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(o.txs[2].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(o.counters[kTruncatedTx], 1u);
  EXPECT_EQ(o.counters[kNoResponse], 2u);
  EXPECT_EQ(Err(o, HttpError::kTruncatedAtEnd), 1u);
}

TEST(HttpConversation, ServerFinFlushesWaitingRequests) {
  Outcome o = RunChunkInvariant({FeedC(Get("/a") + Get("/b"), 1), FeedS(Ok("a"), 2), EndS(3)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
}

TEST(HttpConversation, ClientFinInsideBodyMarksRequestMissing) {
  Outcome o =
      RunChunkInvariant({FeedC("PUT /k HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", 1), EndC(2),
                         FeedS("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_TRUE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 5u);
  EXPECT_EQ(o.txs[0].tx.response.status, 400);
}

TEST(HttpConversation, ResponseBodyPrefixIsBounded) {
  HttpLimits limits;
  limits.body_prefix_bytes = 8;
  std::string body(100, 'x');
  body[0] = '<';
  Outcome o = RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(Ok(body), 2)}, limits);
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, body.substr(0, 8));
  EXPECT_TRUE(o.txs[0].tx.response.body_prefix_truncated);
  EXPECT_EQ(o.txs[0].streamed, body);  // the stream still sees everything
}

TEST(HttpConversation, UntilEndBodyCutByCloseWithoutFinIsTruncated) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a"), 1), FeedS("HTTP/1.0 200 OK\r\n\r\nsome", 2), CloseAll(3)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "some");
}

TEST(HttpConversation, SeveralInterimResponses) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a") + Get("/b"), 1),
       FeedS("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" +
                 Ok("a") + Ok("b"),
             2)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.interim_responses, 2);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_FALSE(o.txs[0].tx.response.Find("Link").has_value());  // interim headers are not kept
  EXPECT_EQ(o.txs[1].tx.interim_responses, 0);
  EXPECT_EQ(o.counters[kInterim], 2u);
}

TEST(HttpConversation, Http10KeepAliveResponseStaysOpen) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a"), 1),
       FeedS("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na", 2),
       FeedC(Get("/b"), 3), FeedS(Ok("b"), 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_FALSE(o.finished);
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "b");
}

TEST(HttpConversation, ResponseHeadersFoldedAndCaseInsensitive) {
  Outcome o = RunChunkInvariant(
      {FeedC(Get("/a"), 1),
       FeedS("HTTP/1.1 403 Forbidden\r\nX-MS-ERROR-CODE: PublicAccess\r\n NotPermitted\r\n"
             "content-length: 7\r\n\r\n<Error>",
             2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(*o.txs[0].tx.response.Find("x-ms-error-code"), "PublicAccess NotPermitted");
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "<Error>");
}

TEST(HttpConversation, ErrorNamesAreStable) {
  EXPECT_EQ(HttpErrorName(HttpError::kLineTooLong), "line_too_long");
  EXPECT_EQ(HttpErrorName(HttpError::kTeAndCl), "te_and_cl");
  EXPECT_EQ(HttpErrorName(HttpError::kDataAfterClose), "data_after_close");
  EXPECT_EQ(HttpErrorName(HttpError::kCount), "unknown");
  for (size_t i = 0; i < kHttpErrorCount; ++i) {
    EXPECT_FALSE(HttpErrorName(static_cast<HttpError>(i)).empty());
  }
}

// Messages are parsed into buffers emptied by Reset, not fresh ones: nothing of an earlier
// message may show through in a later one. Between requests the connection holds no message
// buffers: they wait in the pool, which stops growing once its buffers fit.
TEST(HttpConversation, KeepAliveMessagesReuseBuffersWithoutStaleFields) {
  HttpLimits limits;
  HttpCounters counters;
  Recorder rec;
  TransactionPool pool(4);
  HttpConversation conv(limits, counters, rec, &pool);
  size_t idle_bytes = 0;  // the request queue's one slot, empty
  const std::string big_error = std::string(500, 'e');
  std::vector<size_t> pooled;
  for (int i = 0; i < 20; ++i) {
    const bool odd = i % 2 == 1;
    std::string req =
        odd ? "HEAD /b/k HTTP/1.1\r\nHost: h\r\n\r\n"
            : Get("/b/key-with-a-long-name-" + std::to_string(i),
                  "X-Only-Even: " + std::to_string(i) + "\r\nUser-Agent: aws-cli\r\n");
    std::string resp = odd ? "HTTP/1.1 204 No Content\r\n\r\n"
                           : "HTTP/1.1 404 Not Found\r\nContent-Length: 500\r\n"
                             "x-amz-request-id: R\r\n\r\n" +
                                 big_error;
    conv.Feed(kC, AsBytes(req), 2 * i);
    conv.Feed(kS, AsBytes(resp), 2 * i + 1);
    if (i == 0) idle_bytes = conv.held_bytes();
    EXPECT_EQ(conv.held_bytes(), idle_bytes) << i;
    EXPECT_EQ(pool.size(), 1u) << i;
    pooled.push_back(pool.held_bytes());
  }
  const std::vector<Tx>& txs = rec.out().txs;
  ASSERT_EQ(txs.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const HttpTransaction& t = txs[i].tx;
    SCOPED_TRACE(i);
    if (i % 2 == 1) {
      EXPECT_EQ(t.request.method, "HEAD");
      EXPECT_EQ(t.request.target, "/b/k");
      EXPECT_EQ(t.request.host, "h");
      EXPECT_EQ(t.request.headers.size(), 1u);
      EXPECT_FALSE(t.request.Find("X-Only-Even").has_value());
      EXPECT_EQ(t.response.status, 204);
      EXPECT_EQ(t.response.reason, "No Content");
      EXPECT_EQ(t.response.headers.size(), 0u);
      EXPECT_EQ(t.response.body_prefix, "");
      EXPECT_EQ(t.response.body_bytes, 0u);
    } else {
      EXPECT_EQ(t.request.Find("x-only-even"), std::to_string(i));
      EXPECT_EQ(t.request.headers.size(), 3u);
      EXPECT_EQ(t.response.status, 404);
      EXPECT_EQ(t.response.body_prefix, big_error);
    }
    EXPECT_EQ(t.request.first_ts, 2 * i);
    EXPECT_EQ(t.response.first_ts, 2 * i + 1);
  }
  // One set of buffers circulates; once it has carried the larger messages, nothing grows.
  for (size_t i = 2; i < pooled.size(); ++i) EXPECT_EQ(pooled[i], pooled[1]) << i;
}

// An idle connection holds no message buffers: without a pool it frees them, with one it hands
// them over, and a thousand idle connections leave no more than the pool's capacity of them.
TEST(HttpConversation, IdleConnectionsHoldNoMessageBuffers) {
  HttpLimits limits;
  HttpCounters counters;
  Recorder rec;
  TransactionPool pool(8);
  std::vector<std::unique_ptr<HttpConversation>> convs;
  const std::string req = Get("/b/key-name-of-some-length",
                              "User-Agent: aws-cli/2\r\nX-Amz-Date: 20261206T000000Z\r\n");
  std::vector<size_t> idle;
  for (int i = 0; i < 1000; ++i) {
    convs.push_back(
        std::make_unique<HttpConversation>(limits, counters, rec, i % 2 == 0 ? &pool : nullptr));
    HttpConversation& c = *convs.back();
    c.Feed(kC, AsBytes(req), 2 * i);
    const size_t busy = c.held_bytes();
    c.Feed(kS, AsBytes(Ok(std::string(300, 'b'))), 2 * i + 1);
    EXPECT_LT(c.held_bytes(), busy) << i;
    idle.push_back(c.held_bytes());
  }
  EXPECT_EQ(rec.out().txs.size(), 1000u);
  for (size_t i = 1; i < idle.size(); ++i) EXPECT_EQ(idle[i], idle[0]) << i;
  EXPECT_EQ(pool.size(), 1u);  // each pooled connection took back what the one before put
}

}  // namespace
}  // namespace bw::http::testing
