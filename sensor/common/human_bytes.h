#pragma once
// Byte counts for people: alert summaries, the run summary and reports spell sizes the same way.
// Guarantees: binary units (KiB = 1024 B) up to PiB, one decimal from KiB on ("1.5 MiB"), exact
// below 1 KiB ("512 B"); larger counts stay in PiB ("16384.0 PiB" for 2^64 - 1).

#include <cstdint>
#include <string>

namespace bw::common {

std::string HumanBytes(uint64_t bytes);

}  // namespace bw::common
