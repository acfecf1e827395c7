#pragma once
// The severities an alert can carry, lowest first, and their names. Guarantees: one table (the
// X-macro below) defines both the enum and its names, so the names the config accepts are
// exactly those an alert is serialised with. Lives in config because the config parses
// severity names at load, and config must not depend on detect.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bw::config {

#define BW_SEVERITIES(X) \
  X(kInfo, "info")       \
  X(kLow, "low")         \
  X(kMedium, "medium")   \
  X(kHigh, "high")       \
  X(kCritical, "critical")

enum class Severity : uint8_t {
#define BW_SEVERITY_ENUM(id, name) id,
  BW_SEVERITIES(BW_SEVERITY_ENUM)
#undef BW_SEVERITY_ENUM
};

inline constexpr size_t kSeverityCount = 0
#define BW_SEVERITY_COUNT(id, name) +1
    BW_SEVERITIES(BW_SEVERITY_COUNT)
#undef BW_SEVERITY_COUNT
    ;

inline constexpr std::array<const char*, kSeverityCount> kSeverityNames = {
#define BW_SEVERITY_NAME(id, name) name,
    BW_SEVERITIES(BW_SEVERITY_NAME)
#undef BW_SEVERITY_NAME
};

// "info", "low", "medium", "high", "critical"; only for output (JSON, metrics labels, config
// dumps): everything else compares the enum.
constexpr const char* SeverityName(Severity s) {
  auto i = static_cast<size_t>(s);
  return i < kSeverityNames.size() ? kSeverityNames[i] : "unknown";
}

// Inverse of SeverityName; false (out untouched) for any other name.
constexpr bool SeverityFromName(std::string_view name, Severity& out) {
  for (size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (name == kSeverityNames[i]) {
      out = static_cast<Severity>(i);
      return true;
    }
  }
  return false;
}

}  // namespace bw::config
