// Every limit of HttpLimits: what happens at the cap, and its counter. Chunk-invariant.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

HttpLimits Small() {
  HttpLimits l;
  l.max_start_line = 32;
  l.max_header_line = 24;
  l.max_headers = 3;
  l.max_header_block = 128;
  l.max_pending_requests = 2;
  l.body_prefix_bytes = 16;
  return l;
}

TEST(HttpLimits, LongStartLineIsCutAndParsedLeniently) {
  std::string target = "/bucket/" + std::string(60, 'k');
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("x"), 2)}, Small());
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpRequest& r = o.txs[0].tx.request;
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, target.substr(0, 28));  // 32 bytes of line minus "GET "
  EXPECT_TRUE(r.head_truncated);
  EXPECT_EQ(r.host, "h");
  EXPECT_EQ(r.header_bytes, req.size());
  EXPECT_EQ(o.txs[0].tx.response.status, 200);
  EXPECT_EQ(Err(o, HttpError::kLineTooLong), 1u);
  EXPECT_FALSE(o.gave_up);
}

TEST(HttpLimits, LongHeaderLineIsDropped) {
  std::string req = "GET /a HTTP/1.1\r\nX-Long: " + std::string(40, 'v') + "\r\nHost: h\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("x"), 2)}, Small());
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_FALSE(o.txs[0].tx.request.Find("x-long").has_value());
  EXPECT_EQ(o.txs[0].tx.request.host, "h");
  EXPECT_TRUE(o.txs[0].tx.request.head_truncated);
  EXPECT_EQ(Err(o, HttpError::kLineTooLong), 1u);
}

TEST(HttpLimits, LineExactlyAtTheLimitWithCrIsAccepted) {
  HttpLimits l = Small();
  std::string header = "X-Exact: " + std::string(24 - 9, 'e');  // exactly 24 bytes
  ASSERT_EQ(header.size(), 24u);
  Outcome o = RunChunkInvariant(
      {FeedC("GET /a HTTP/1.1\r\n" + header + "\r\n\r\n", 1), FeedS(Ok("x"), 2)}, l);
  ASSERT_EQ(o.txs.size(), 1u);
  ASSERT_TRUE(o.txs[0].tx.request.Find("X-Exact").has_value());
  EXPECT_EQ(Err(o, HttpError::kLineTooLong), 0u);
}

TEST(HttpLimits, TooManyHeadersKeepsFramingHeaders) {
  std::string req =
      "POST /a HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 4\r\n\r\nbody"
      "GET /b HTTP/1.1\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("1") + Ok("2"), 2)}, Small());
  ASSERT_EQ(o.txs.size(), 2u);
  EXPECT_EQ(o.txs[0].tx.request.headers.size(), 3u);
  EXPECT_EQ(o.txs[0].tx.request.body_bytes, 4u);  // Content-Length obeyed though not stored
  EXPECT_TRUE(o.txs[0].tx.request.head_truncated);
  EXPECT_EQ(o.txs[1].tx.request.target, "/b");
  EXPECT_EQ(Err(o, HttpError::kTooManyHeaders), 1u);
}

TEST(HttpLimits, HeaderBlockTooLargeStopsStoring) {
  HttpLimits l = Small();
  l.max_headers = 100;
  std::string req = "GET /a HTTP/1.1\r\n";
  for (int i = 0; i < 10; ++i) req += "X-H" + std::to_string(i) + ": 0123456789\r\n";
  req += "\r\n";
  Outcome o = RunChunkInvariant({FeedC(req, 1), FeedS(Ok("x"), 2)}, l);
  ASSERT_EQ(o.txs.size(), 1u);
  const HttpRequest& r = o.txs[0].tx.request;
  size_t stored = 17;  // request line
  for (const Header& h : r.headers) stored += h.name.size() + 2 + h.value.size() + 2;
  EXPECT_LE(stored, l.max_header_block);
  EXPECT_LT(r.headers.size(), 10u);
  EXPECT_TRUE(r.head_truncated);
  EXPECT_EQ(r.header_bytes, req.size());
  EXPECT_EQ(Err(o, HttpError::kHeaderBlockTooLarge), 1u);
}

TEST(HttpLimits, PendingOverflowFlushesOldest) {
  std::string reqs;
  for (int i = 0; i < 4; ++i) reqs += "GET /r" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  Outcome o = RunChunkInvariant({FeedC(reqs, 1), FeedS(Ok("a") + Ok("b"), 2)}, Small());
  ASSERT_EQ(o.txs.size(), 4u);
  EXPECT_EQ(o.txs[0].tx.request.target, "/r0");
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kNoResponse);
  EXPECT_EQ(o.txs[1].tx.request.target, "/r1");
  EXPECT_EQ(o.txs[1].tx.end, TransactionEnd::kNoResponse);
  // The responses pair with the requests still queued; the server really answered r0 and r1,
  // which is what a bounded queue costs under deep pipelining.
  EXPECT_EQ(o.txs[2].tx.request.target, "/r2");
  EXPECT_EQ(o.txs[3].tx.request.target, "/r3");
  EXPECT_EQ(Err(o, HttpError::kPendingOverflow), 2u);
  EXPECT_EQ(o.counters[kMaxDepth], 2u);
}

TEST(HttpLimits, ChunkSizeLineTooLong) {
  std::string resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
                     std::string(40, 'e') + "\r\nhello\r\n0\r\n\r\n";
  HttpLimits l = Small();
  l.max_header_line = 30;  // room for "Transfer-Encoding: chunked"
  Outcome o = RunChunkInvariant({FeedC("GET /a HTTP/1.1\r\n\r\n", 1), FeedS(resp, 2)}, l);
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kTruncated);
  EXPECT_EQ(Err(o, HttpError::kLineTooLong), 1u);
}

TEST(HttpLimits, ZeroPendingCapStillHoldsOneRequest) {
  HttpLimits l;
  l.max_pending_requests = 0;
  Outcome o = RunChunkInvariant({FeedC("GET /a HTTP/1.1\r\n\r\n", 1), FeedS(Ok("a"), 2)}, l);
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.end, TransactionEnd::kComplete);
}

}  // namespace
}  // namespace bw::http::testing
