#include "dissectors/http/transaction_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::http::testing {
namespace {

HttpTransaction Filled(const std::string& target) {
  HttpTransaction tx;
  tx.request.method = "GET";
  tx.request.target = target;
  tx.request.host = "bucket.s3.example.com";
  tx.request.headers.Add("User-Agent", "aws-cli/2.15 Python/3.11");
  tx.has_response = true;
  tx.response.status = 200;
  tx.response.headers.Add("x-amz-request-id", "4442587FB7D0A2F9");
  tx.response.body_prefix = std::string(100, 'b');
  return tx;
}

TEST(TransactionPool, TakeGivesBackTheBuffersPutAndAnEmptyTransaction) {
  TransactionPool pool(2);
  HttpTransaction tx = Filled("/a-target-longer-than-the-small-string-buffer");
  const size_t bytes = HeapBytes(tx);
  pool.Put(tx);
  EXPECT_EQ(HeapBytes(tx), 0u);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.held_bytes(), bytes);

  HttpTransaction next;
  ASSERT_TRUE(pool.Take(next));
  EXPECT_EQ(HeapBytes(next), bytes);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.held_bytes(), 0u);
  // Nothing of the earlier transaction shows.
  const HttpTransaction fresh;
  EXPECT_EQ(next.request.method, fresh.request.method);
  EXPECT_EQ(next.request.target, fresh.request.target);
  EXPECT_EQ(next.request.host, fresh.request.host);
  EXPECT_TRUE(next.request.headers.empty());
  EXPECT_EQ(next.has_response, fresh.has_response);
  EXPECT_EQ(next.response.status, fresh.response.status);
  EXPECT_TRUE(next.response.headers.empty());
  EXPECT_EQ(next.response.body_prefix, fresh.response.body_prefix);
  EXPECT_FALSE(pool.Take(next));
}

TEST(TransactionPool, KeepsAtMostItsCapacityAndNothingEmpty) {
  TransactionPool pool(2);
  HttpTransaction empty;
  pool.Put(empty);
  EXPECT_EQ(pool.size(), 0u);
  for (int i = 0; i < 5; ++i) {
    HttpTransaction tx = Filled("/k" + std::string(40, 'x'));
    pool.Put(tx);
    EXPECT_EQ(HeapBytes(tx), 0u);  // kept or freed, never left holding
  }
  EXPECT_EQ(pool.size(), 2u);
  HttpTransaction a;
  HttpTransaction b;
  HttpTransaction c;
  EXPECT_TRUE(pool.Take(a));
  EXPECT_TRUE(pool.Take(b));
  EXPECT_FALSE(pool.Take(c));
}

TEST(TransactionPool, TakeLeavesATransactionWithBuffersAlone) {
  TransactionPool pool(2);
  HttpTransaction kept = Filled("/kept" + std::string(40, 'x'));
  pool.Put(kept);
  HttpTransaction own = Filled("/own" + std::string(40, 'y'));
  EXPECT_FALSE(pool.Take(own));
  EXPECT_EQ(own.request.target, "/own" + std::string(40, 'y'));
  EXPECT_EQ(pool.size(), 1u);
}

TEST(TransactionPool, OversizedBuffersAreNotKept) {
  TransactionPool pool(2);
  HttpTransaction tx = Filled("/k");
  tx.request.headers.Add("X-Big", std::string(HeaderList::kRetainedTextBytes * 2, 'v'));
  const size_t before = HeapBytes(tx);
  pool.Put(tx);
  EXPECT_LT(pool.held_bytes(), before);  // Reset dropped the large header buffer first
}

}  // namespace
}  // namespace bw::http::testing
