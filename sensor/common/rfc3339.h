#pragma once
// RFC 3339 timestamps in UTC, the one spelling of time in the ledger, alerts, reports and sink
// payloads. Guarantees: formatting is pure (no libc time zone state, any year the proleptic
// Gregorian calendar can spell) and parsing accepts exactly what FormatRfc3339 writes plus the
// rest of RFC 3339's date-time (lower-case t/z, a numeric offset, 1 to 9+ fraction digits, a
// leap second read as the next minute's first second), and nothing else.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"

namespace bw::common {

// "2026-11-23T10:16:15.123456789Z": nanoseconds by default, the form ECS's @timestamp takes;
// 6 for RFC 5424 (syslog), 0 for none. The fraction is cut, never rounded, so a time never
// moves into the next second. `fraction_digits` is clamped to [0, 9].
std::string FormatRfc3339(TimestampNs ts, int fraction_digits = 9);
// The same into `buf`, which holds at least kRfc3339MaxBytes; returns the length written.
inline constexpr size_t kRfc3339MaxBytes = 48;
size_t WriteRfc3339(char* buf, TimestampNs ts, int fraction_digits = 9);

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" -> ns since the epoch; nullopt when malformed,
// when the day does not exist in that month (2023-02-29), or outside what int64 nanoseconds hold
// (1677-09-21 to 2262-04-11). Digits past the ninth fraction digit are read and dropped.
std::optional<TimestampNs> ParseRfc3339(std::string_view text);

}  // namespace bw::common
