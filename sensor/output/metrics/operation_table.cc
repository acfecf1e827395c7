#include "sensor/output/metrics/operation_table.h"

#include <array>
#include <cstdint>

namespace bw::metrics {
namespace {

using storage::kOperationCount;
using storage::Operation;
using storage::operation_table::kRows;

// Label index of each operation: 1 + its rank among the named operations by byte order. Slot 0
// (kUnknown) is "other".
constexpr std::array<uint16_t, kOperationCount> MakeIndexOf() {
  std::array<uint16_t, kOperationCount> index{};
  for (size_t i = 1; i < kOperationCount; ++i) {
    size_t rank = 1;
    for (size_t j = 1; j < kOperationCount; ++j) {
      if (kRows[j].name < kRows[i].name) ++rank;
    }
    index[i] = static_cast<uint16_t>(rank);
  }
  return index;
}
constexpr std::array<uint16_t, kOperationCount> kIndexOf = MakeIndexOf();

constexpr std::array<Operation, kOperationCount> MakeOperationAt() {
  std::array<Operation, kOperationCount> at{};
  for (size_t i = 1; i < kOperationCount; ++i) at[kIndexOf[i]] = static_cast<Operation>(i);
  return at;
}
constexpr std::array<Operation, kOperationCount> kOperationAt = MakeOperationAt();

// Equal names would share a rank and leave an index without an operation.
constexpr bool EveryIndexHasOneOperation() {
  for (size_t i = 1; i < kOperationCount; ++i) {
    if (kIndexOf[static_cast<size_t>(kOperationAt[i])] != i) return false;
  }
  return true;
}
static_assert(EveryIndexHasOneOperation(), "operation names must be unique");

}  // namespace

size_t OperationCount() { return kOperationCount; }

size_t OperationIndex(Operation operation) {
  auto i = static_cast<size_t>(operation);
  return i < kOperationCount ? kIndexOf[i] : kOtherOperationIndex;
}

std::string_view OperationName(size_t index) {
  if (index == kOtherOperationIndex || index >= kOperationCount) return kOtherOperation;
  return storage::OperationName(kOperationAt[index]);
}

}  // namespace bw::metrics
