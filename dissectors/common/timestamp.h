#pragma once
// Packet time travels with the data as nanoseconds since the Unix epoch. Dissectors never read
// a clock; the sensor stamps every byte with the capture time of the packet that carried it, so
// replaying a capture reproduces live behaviour exactly.

#include <cstdint>

namespace bw {

using TimestampNs = int64_t;

constexpr TimestampNs kNsPerSecond = 1'000'000'000;
constexpr TimestampNs kNsPerMillisecond = 1'000'000;

}  // namespace bw
