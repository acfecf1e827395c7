// libFuzzer target for config loading: arbitrary bytes as the YAML text of --config, through
// the real loader (LoadConfigText: embedded default + overlay + strict typed validation), the
// same path SIGHUP reload takes. Checks the loader's guarantees: it returns (no crash, no stack
// overflow on deep nesting, no uncaught exception), a rejection always says why, and an
// accepted Config survives a round trip through DumpConfig unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sensor/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64u << 10)) return 0;  // the loader caps files at 16 MiB; keep runs fast
  std::string text(reinterpret_cast<const char*>(data), size);
  bw::config::LoadResult r = bw::config::LoadConfigText(text, {});
  if (!r.ok) {
    if (r.error.empty()) std::abort();
    return 0;
  }
  // What --print-config shows must load back to the same configuration.
  std::string dumped = bw::config::DumpConfig(r.config);
  bw::config::LoadResult again = bw::config::LoadConfigText(dumped, {});
  if (!again.ok) std::abort();
  if (bw::config::DumpConfig(again.config) != dumped) std::abort();
  return 0;
}
