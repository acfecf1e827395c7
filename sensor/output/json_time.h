#pragma once
// RFC 3339 UTC timestamps with nanosecond precision ("2026-11-23T10:16:15.123456789Z"), the
// form ECS's @timestamp accepts.

#include <string>

#include "dissectors/common/timestamp.h"

namespace bw::output {

std::string FormatTimestamp(TimestampNs ts);

}  // namespace bw::output
