#include "sensor/output/metrics/operation_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace bw::metrics {
namespace {

using storage::Operation;

TEST(OperationTable, EveryNamedOperationHasItsOwnLabel) {
  std::set<size_t> indices;
  for (size_t i = 1; i < storage::kOperationCount; ++i) {
    auto op = static_cast<Operation>(i);
    size_t index = OperationIndex(op);
    EXPECT_NE(index, kOtherOperationIndex) << storage::OperationName(op);
    EXPECT_LT(index, OperationCount());
    EXPECT_EQ(OperationName(index), storage::OperationName(op));
    indices.insert(index);
  }
  EXPECT_EQ(indices.size(), storage::kOperationCount - 1);
  EXPECT_LT(OperationCount(), 400u);  // the label set stays small
}

TEST(OperationTable, UnknownAndOutOfRangeFoldToOther) {
  EXPECT_EQ(OperationIndex(Operation::kUnknown), kOtherOperationIndex);
  EXPECT_EQ(OperationIndex(Operation::kCount), kOtherOperationIndex);
  EXPECT_EQ(OperationIndex(static_cast<Operation>(0xffff)), kOtherOperationIndex);
  EXPECT_EQ(OperationName(kOtherOperationIndex), "other");
  EXPECT_EQ(OperationName(OperationCount()), "other");
  EXPECT_EQ(OperationName(size_t{1} << 40), "other");
}

// The exposition lists series in index order; indices follow the names' byte order so that
// regrouping the table's rows does not reorder /metrics.
TEST(OperationTable, IndicesFollowNameOrder) {
  for (size_t i = 2; i < OperationCount(); ++i) {
    EXPECT_LT(OperationName(i - 1), OperationName(i)) << i;
  }
  EXPECT_EQ(OperationName(1), "AbortCopyBlob");
  EXPECT_EQ(OperationName(OperationCount() - 1), "projects.serviceAccount.get");
}

}  // namespace
}  // namespace bw::metrics
