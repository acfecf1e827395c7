// Object bytes (issue 16): a response's body_content_bytes is the content it carried, whatever
// the framing, so that a 14-byte object counts as 14 bytes and not as its whole message.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

std::string Get(const std::string& path, const std::string& method = "GET") {
  return method + " " + path + " HTTP/1.1\r\nHost: bucket.s3.amazonaws.com\r\n\r\n";
}

// Content bytes of each transaction's response, run at every split of the feeds.
std::vector<uint64_t> Contents(const std::vector<Step>& steps) {
  Outcome o = RunChunkInvariant(steps);
  std::vector<uint64_t> n;
  for (const Tx& t : o.txs) n.push_back(t.tx.response.body_content_bytes);
  return n;
}

TEST(HttpBodyContent, ContentLengthChunkedRangeHeadAndEmpty) {
  const std::string object = "object-01-data";  // 14 bytes, as s3rver serves it
  const std::string plain = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nETag: \"e\"\r\n\r\n" + object;
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nobje\r\nA\r\nct-01-data\r\n"
      "0\r\nx-amz-checksum-crc32: AAAA\r\n\r\n";
  const std::string ranged =
      "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-5/14\r\nContent-Length: "
      "4\r\n\r\nject";
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n";
  const std::string none = "HTTP/1.1 304 Not Modified\r\n\r\n";
  auto n = Contents({FeedC(Get("/o"), 1), FeedS(plain, 2), FeedC(Get("/o"), 3), FeedS(chunked, 4),
                     FeedC(Get("/o"), 5), FeedS(ranged, 6), FeedC(Get("/o", "HEAD"), 7),
                     FeedS(head, 8), FeedC(Get("/o"), 9), FeedS(none, 10)});
  EXPECT_EQ(n, (std::vector<uint64_t>{14, 14, 4, 0, 0}));
  Outcome o = RunChunkInvariant({FeedC(Get("/o"), 1), FeedS(plain, 2)});
  ASSERT_EQ(o.txs.size(), 1u);
  EXPECT_EQ(o.txs[0].tx.response.body_bytes, 14u);                  // wire body
  EXPECT_EQ(o.txs[0].tx.response.header_bytes, plain.size() - 14);  // the head is not content
}

TEST(HttpBodyContent, ReadToCloseAndGapsInsideAKnownLength) {
  const std::string to_close = "HTTP/1.0 200 OK\r\n\r\n0123456789";
  EXPECT_EQ(Contents({FeedC(Get("/a"), 1), FeedS(to_close, 2), EndS(3), EndC(3)}),
            std::vector<uint64_t>{10});
  // 100 bytes announced, 30 lost in a gap: all 100 were sent.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  EXPECT_EQ(Contents({FeedC(Get("/b"), 1), FeedS(head + std::string(40, 'x'), 2), GapS(30, 3),
                      FeedS(std::string(30, 'y'), 4)}),
            std::vector<uint64_t>{100});
  // Cut by the end of the connection: only what was sent.
  EXPECT_EQ(Contents({FeedC(Get("/c"), 1), FeedS(head + std::string(25, 'x'), 2), CloseAll(3)}),
            std::vector<uint64_t>{25});
}

}  // namespace
}  // namespace bw::http::testing
