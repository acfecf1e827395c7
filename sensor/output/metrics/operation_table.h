#pragma once
// The bounded set of values of the `operation` label: the operations of the storage operation
// table (dissectors/storage/operation.h) and "other". Guarantees: every named operation has a
// stable index in [1, OperationCount()); Operation::kUnknown and any value outside the table fold
// to index 0, "other". Indices follow the names' byte order, not the table's row order, so the
// exposition lists label sets in the same order however the table's rows are grouped.

#include <cstddef>
#include <string_view>

#include "dissectors/storage/operation.h"

namespace bw::metrics {

inline constexpr std::string_view kOtherOperation = "other";
inline constexpr size_t kOtherOperationIndex = 0;

// Number of indices, "other" included.
size_t OperationCount();
// Index of an operation; kOtherOperationIndex for kUnknown and out-of-range values.
size_t OperationIndex(storage::Operation operation);
// Label value of an index; "other" for index 0 and out-of-range indices.
std::string_view OperationName(size_t index);

}  // namespace bw::metrics
