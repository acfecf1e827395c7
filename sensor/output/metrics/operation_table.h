#pragma once
// The bounded set of storage operation names used as the `operation` label. Guarantees: every
// name the storage recognisers produce has a stable index in [1, OperationCount()); anything
// else (a future name, "Unknown", garbage) folds to index 0, "other". The label set therefore
// never grows with traffic.

#include <cstddef>
#include <string_view>

namespace bw::metrics {

inline constexpr std::string_view kOtherOperation = "other";
inline constexpr size_t kOtherOperationIndex = 0;

// Number of indices, "other" included.
size_t OperationCount();
// Index of a known operation name; kOtherOperationIndex for anything else.
size_t OperationIndex(std::string_view operation);
// Label value of an index; "other" for index 0 and out-of-range indices.
std::string_view OperationName(size_t index);

}  // namespace bw::metrics
