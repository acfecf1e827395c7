// Reassembly gaps: skipping bodies of known length, resynchronisation, and pairing afterwards.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n"; }
std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpGap, InsideContentLengthBodyIsSkipped) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(head + "01234", 2), GapS(10, 3),
                                 FeedS("56789", 4), FeedC(Get("/b"), 5), FeedS(Ok("b"), 6)});
  ASSERT_EQ(o.txs.size(), 2u);
  const HttpResponse& r = o.txs[0].tx.response;
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_TRUE(r.missing_bytes);
  EXPECT_EQ(r.body_bytes, 20u);
  EXPECT_EQ(r.body_prefix, "0123456789");  // the hole is never spliced in
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "b");
  EXPECT_FALSE(o.txs[1].tx.response.missing_bytes);
  EXPECT_EQ(o.counters[kGaps], 1u);
  EXPECT_EQ(o.counters[kSkippedInGap], 10u);
  EXPECT_EQ(o.counters[kResyncs], 0u);
}

TEST(HttpGap, InsideRequestBodyIsSkipped) {
  Outcome o =
      RunChunkInvariant({FeedC("PUT /k HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", 1), GapC(6, 2),
                         FeedC("yz" + Get("/next"), 3), FeedS(Ok("1") + Ok("2"), 4)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_TRUE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 10u);
  EXPECT_EQ(o.txs[1].tx.request.target, "/next");
}

TEST(HttpGap, PastTheEndOfABodyResynchronises) {
  // The hole covers the rest of the body and the start of the next response.
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
  Outcome o =
      RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(head + "ab", 2), GapS(30, 3),
                         FeedS("tail of b\r\n", 4), FeedC(Get("/c"), 5), FeedS(Ok("c"), 6)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 4u);
  EXPECT_EQ(o.txs[1].tx.request.target, "/c");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "c");
  EXPECT_EQ(o.counters[kSkippedInGap], 2u);
  EXPECT_EQ(o.counters[kResyncs], 1u);
}

TEST(HttpGap, InsideChunkDataIsSkippedWhenItFits) {
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Outcome o =
      RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(head + "a\r\n012", 2), GapS(4, 3),
                         FeedS("789\r\n0\r\n\r\n", 4), FeedC(Get("/b"), 5), FeedS(Ok("b"), 6)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "012789");
  EXPECT_EQ(o.counters[kResyncs], 0u);
}

TEST(HttpGap, AcrossChunkFramingTruncatesAndResynchronises) {
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Outcome o =
      RunChunkInvariant({FeedC(Get("/a"), 1), FeedS(head + "a\r\n012", 2), GapS(50, 3),
                         FeedS("xyz\r\n0\r\n\r\n", 4), FeedC(Get("/b"), 5), FeedS(Ok("b"), 6)});
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.counters[kResyncs], 1u);
}

TEST(HttpGap, InUntilEndBodyMarksMissing) {
  Outcome o = RunChunkInvariant({FeedC(Get("/a"), 1), FeedS("HTTP/1.0 200 OK\r\n\r\nab", 2),
                                 GapS(5, 3), FeedS("cd", 4), EndS(5)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_TRUE(o.txs[0].tx.response.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 9u);
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "abcd");
}

TEST(HttpGap, InRequestHeadersThenResyncCountsLostRequests) {
  // Non-pipelined client. The gap eats the end of /two's head and all of /three; the server's
  // answers to both arrive without a parsed request.
  std::vector<Step> steps = {
      FeedC(Get("/one"), 1),
      FeedS(Ok("1"), 2),
      FeedC("GET /tw", 3),
      GapC(40, 4),
      FeedS(Ok("2"), 5),
      FeedC("st: h\r\n\r\n", 6),  // tail of /three's head: not a request
                                  // line
      FeedS(Ok("3"), 7),
      FeedC(Get("/four"), 8),
      FeedS(Ok("4"), 9),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/one");
  EXPECT_EQ(o.txs[1].tx.request.target, "/four");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "4");
  EXPECT_EQ(o.counters[kLostRequests], 2u);
  EXPECT_EQ(o.counters[kResyncs], 1u);
  EXPECT_EQ(Err(o, HttpError::kUnmatchedResponse), 2u);
}

TEST(HttpGap, AfterRequestLineKeepsTheRequest) {
  // The request line survived; the gap cut its headers. It still pairs with its response.
  std::vector<Step> steps = {
      FeedC("GET /kept HTTP/1.1\r\nHost: h\r\nX-A", 1),
      GapC(100, 2),
      FeedC("junk\r\n\r\n" + Get("/next"), 3),
      FeedS(Ok("k") + Ok("n"), 4),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/kept");
  EXPECT_TRUE(o.txs[0].tx.request.missing_bytes);
  EXPECT_EQ(o.txs[0].tx.request.host, "");  // head never completed
  EXPECT_EQ(o.txs[0].tx.response.body_prefix, "k");
  EXPECT_EQ(o.txs[1].tx.request.target, "/next");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "n");
  EXPECT_EQ(o.counters[kLostRequests], 0u);
}

TEST(HttpGap, InResponseHeadNonPipelinedPairsTheNextResponse) {
  std::vector<Step> steps = {
      FeedC(Get("/a"), 1), FeedS("HTTP/1.1 200 OK\r\nContent-Le", 2),
      GapS(40, 3),         FeedS("rest of a\r\n", 4),
      FeedC(Get("/b"), 5), FeedS(Ok("b"), 6),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/a");
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.response.body_prefix, "b");
  EXPECT_EQ(o.counters[kResyncs], 1u);
}

TEST(HttpGap, WholeResponseLostNonPipelinedFlushesItsRequest) {
  // The gap swallows all of /b's response; the resynchronised status line answers /c, so /b is
  // flushed without a response instead of being paired with /c's answer.
  std::vector<Step> steps = {
      FeedC(Get("/a"), 1), FeedS(Ok("a"), 2),   FeedC(Get("/b"), 3),
      GapS(39, 4),         FeedC(Get("/c"), 5), FeedS(Ok("c"), 6),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 3u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/a");
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(o.txs[2].tx.request.target, "/c");
  EXPECT_EQ(o.txs[2].tx.response.body_prefix, "c");
}

TEST(HttpGap, PipelinedServerResyncWithOneCandidatePairs) {
  std::vector<Step> steps = {
      FeedC(Get("/a") + Get("/b") + Get("/c"), 1),
      FeedS(Ok("a") + "HTTP/1.1 200 OK\r\nCont", 2),
      GapS(60, 3),
      FeedS(Ok("c"), 4),
      FeedC(Get("/d"), 5),
      FeedS(Ok("d"), 6),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 4u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/a");
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kTruncated);
  // /b's status line was already seen, so the next status line can only be /c's: one
  // candidate, no ambiguity, even on a pipelining connection.
  EXPECT_EQ(o.txs[2].tx.request.target, "/c");
  EXPECT_EQ(o.txs[2].tx.end, TransactionEnd::kComplete);
  EXPECT_EQ(o.txs[2].tx.response.body_prefix, "c");
  EXPECT_EQ(o.txs[3].tx.request.target, "/d");
  EXPECT_EQ(o.txs[3].tx.response.body_prefix, "d");
  EXPECT_EQ(Err(o, HttpError::kAmbiguousResync), 0u);
}

TEST(HttpGap, PipelinedServerResyncWithSeveralCandidates) {
  std::vector<Step> steps = {
      FeedC(Get("/a") + Get("/b"), 1),
      FeedS(Ok("a"), 2),
      FeedC(Get("/c") + Get("/d"), 3),
      GapS(100, 4),
      FeedS(Ok("d"), 5),
      FeedC(Get("/e"), 6),
      FeedS(Ok("e"), 7),
  };
  Outcome o = RunChunkInvariant(steps);
  ASSERT_EQ(o.txs.size(), 5u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(o.txs[i].tx.end, TransactionEnd::kNoResponse) << i;
  EXPECT_EQ(o.txs[4].tx.request.target, "/e");
  EXPECT_EQ(o.txs[4].tx.response.body_prefix, "e");
  EXPECT_EQ(Err(o, HttpError::kAmbiguousResync), 1u);
}

TEST(HttpGap, GapBeforeAnythingDoesNotGiveUp) {
  Outcome o =
      RunChunkInvariant({GapC(100, 1), FeedC("ody bytes\r\n" + Get("/a"), 2), FeedS(Ok("a"), 3)});
  EXPECT_FALSE(o.gave_up);
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/a");
}

}  // namespace
}  // namespace bw::http::testing
