#include "sensor/output/metrics/operation_table.h"

#include <array>
#include <cstdint>

namespace bw::metrics {
namespace {

using storage::kOperationCount;
using storage::Operation;
using storage::operation_table::kRows;

// Label index of each operation: 1 + its rank among the named operations by byte order, and the
// operation at each index. Slot 0 (kUnknown) is "other". Built once at first use: as constexpr,
// ranking 220 names by pairwise comparison passes clang's constant-evaluation step limit.
// (Names are unique: tests/unit/dissectors/storage/operation_test.cc.)
struct Tables {
  std::array<uint16_t, kOperationCount> index_of{};
  std::array<Operation, kOperationCount> operation_at{};
  Tables() {
    for (size_t i = 1; i < kOperationCount; ++i) {
      size_t rank = 1;
      for (size_t j = 1; j < kOperationCount; ++j) {
        if (kRows[j].name < kRows[i].name) ++rank;
      }
      index_of[i] = static_cast<uint16_t>(rank);
      operation_at[rank] = static_cast<Operation>(i);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

size_t OperationCount() { return kOperationCount; }

size_t OperationIndex(Operation operation) {
  auto i = static_cast<size_t>(operation);
  return i < kOperationCount ? GetTables().index_of[i] : kOtherOperationIndex;
}

std::string_view OperationName(size_t index) {
  if (index == kOtherOperationIndex || index >= kOperationCount) return kOtherOperation;
  return storage::OperationName(GetTables().operation_at[index]);
}

}  // namespace bw::metrics
