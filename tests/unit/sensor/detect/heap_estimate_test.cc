#include "sensor/detect/heap_estimate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bw::detect {
namespace {

TEST(HeapEstimate, ChunksAreGlibcSized) {
  EXPECT_EQ(Chunk(0), 32u);   // minimum chunk
  EXPECT_EQ(Chunk(24), 32u);  // 24 + 8-byte header fits 32
  EXPECT_EQ(Chunk(25), 48u);  // rounded to 16
  EXPECT_EQ(Chunk(1000), 1008u);
}

TEST(HeapEstimate, InlineStringsCostNothing) {
  EXPECT_EQ(HeapBytes(std::string()), 0u);
  EXPECT_EQ(HeapBytes(std::string(15, 'x')), 0u);
  std::string s(16, 'x');
  EXPECT_EQ(HeapBytes(s), (s.capacity() + 1 + 8 + 15) & ~size_t{15});
  EXPECT_GE(HeapBytes(std::string(1000, 'x')), 1001u);
}

TEST(HeapEstimate, VectorBufferByCapacity) {
  std::vector<uint64_t> v;
  EXPECT_EQ(BufferBytes(v), 0u);
  v.reserve(10);
  EXPECT_EQ(BufferBytes(v), Chunk(80));
}

}  // namespace
}  // namespace bw::detect
