#include "sensor/pipeline/output_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::pipeline {
namespace {

event::StorageRequest Request(const std::string& key) {
  event::StorageRequest r;
  r.event.key = key;
  r.ctx.user_agent = "agent " + key;
  return r;
}

std::string FrontKey(OutputQueue& q) {
  OutputRecord* front = q.Front();
  if (front == nullptr) return "<empty>";
  auto* r = std::get_if<event::StorageRequest>(&front->body);
  return r ? r->event.key : "<other>";
}

// The point of PushSwap: a worker builds each request in one buffer and gets back the storage of
// a request the output thread finished with.
TEST(OutputQueue, PushSwapHandsBackAFinishedRequestsStorage) {
  Doorbell bell;
  OutputQueue q(4, OutputQueue::WhenFull::kDrop, bell);
  const std::string a(100, 'a');
  event::StorageRequest buffer = Request(a);
  ASSERT_TRUE(q.PushSwap(1, buffer));
  EXPECT_TRUE(buffer.event.key.empty());  // nothing finished yet to give back
  EXPECT_EQ(q.Front()->stamp, 1);
  EXPECT_EQ(FrontKey(q), a);
  q.Pop();

  buffer = Request("b");
  ASSERT_TRUE(q.PushSwap(2, buffer));
  EXPECT_EQ(buffer.event.key, a);  // the finished request came back, storage and all
  EXPECT_EQ(buffer.ctx.user_agent, "agent " + a);
  EXPECT_EQ(FrontKey(q), "b");

  buffer = Request("c");
  ASSERT_TRUE(q.PushSwap(3, buffer));
  EXPECT_TRUE(buffer.event.key.empty());  // "b" is still queued: nothing to give back
  q.Pop();
  q.Pop();
  buffer = Request("d");
  ASSERT_TRUE(q.PushSwap(4, buffer));
  EXPECT_EQ(buffer.event.key, "b");  // first finished, first back
  buffer = Request("e");
  ASSERT_TRUE(q.PushSwap(5, buffer));
  EXPECT_EQ(buffer.event.key, "c");
  EXPECT_EQ(FrontKey(q), "d");
}

// The return ring is bounded: requests finished while it is full are freed.
TEST(OutputQueue, TheReturnRingKeepsAtMostItsCapacity) {
  Doorbell bell;
  const size_t n = OutputQueue::kRecycled + 10;
  OutputQueue q(n, OutputQueue::WhenFull::kDrop, bell);
  event::StorageRequest buffer;
  for (size_t i = 0; i < n; ++i) {
    buffer = Request("k" + std::to_string(i));
    ASSERT_TRUE(q.PushSwap(i, buffer));
  }
  for (size_t i = 0; i < n; ++i) q.Pop();
  size_t returned = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer = Request("new");
    ASSERT_TRUE(q.PushSwap(n + i, buffer));
    if (!buffer.event.key.empty()) {
      EXPECT_EQ(buffer.event.key, "k" + std::to_string(returned));
      ++returned;
    }
  }
  EXPECT_EQ(returned, OutputQueue::kRecycled);
}

TEST(OutputQueue, PopFreesARequestTooLargeToKeep) {
  Doorbell bell;
  OutputQueue q(1, OutputQueue::WhenFull::kDrop, bell);
  event::StorageRequest buffer = Request(std::string(OutputQueue::kRetainedRequestBytes, 'k'));
  ASSERT_TRUE(q.PushSwap(1, buffer));
  q.Pop();
  buffer = Request("small");
  ASSERT_TRUE(q.PushSwap(2, buffer));
  EXPECT_TRUE(buffer.event.key.empty());  // nothing was kept to give back
  EXPECT_EQ(FrontKey(q), "small");
  q.Pop();
  buffer = Request("next");
  ASSERT_TRUE(q.PushSwap(3, buffer));
  EXPECT_EQ(buffer.event.key, "small");  // a small one is kept
}

TEST(OutputQueue, PushSwapIntoAFullDroppingQueueLeavesTheRequest) {
  Doorbell bell;
  OutputQueue q(1, OutputQueue::WhenFull::kDrop, bell);
  event::StorageRequest buffer = Request("first");
  ASSERT_TRUE(q.PushSwap(1, buffer));
  buffer = Request("second");
  EXPECT_FALSE(q.PushSwap(2, buffer));
  EXPECT_EQ(buffer.event.key, "second");
  EXPECT_EQ(q.counters().dropped.load(), 1u);
  EXPECT_EQ(q.counters().pushed.load(), 1u);
  EXPECT_EQ(FrontKey(q), "first");
}

// Other records are never kept: a flow record's strings go at Pop, and a storage request pushed
// into its slot afterwards finds it empty.
TEST(OutputQueue, OtherRecordsAreFreedAtPop) {
  Doorbell bell;
  OutputQueue q(1, OutputQueue::WhenFull::kDrop, bell);
  OutputRecord flow;
  flow.stamp = 1;
  flow.body = output::FlowRecord{};
  ASSERT_TRUE(q.Push(std::move(flow)));
  EXPECT_EQ(FrontKey(q), "<other>");
  q.Pop();
  event::StorageRequest buffer = Request("x");
  ASSERT_TRUE(q.PushSwap(2, buffer));
  EXPECT_TRUE(buffer.event.key.empty());
  EXPECT_EQ(FrontKey(q), "x");
}

}  // namespace
}  // namespace bw::pipeline
