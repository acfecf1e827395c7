#pragma once
// The `tls:` section of the configuration: where TLS key logs come from and how long, and how
// much, a connection's encrypted bytes may wait for keys that arrive after them (issue 19).
// Every value is finite and range-checked; there is no "0 = unlimited". Only paths are held
// here: key material never passes through the configuration, --print-config or its errors.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"

namespace bw::config {

// At most this many key log paths (tls.keylog and --tls-keylog together).
inline constexpr size_t kMaxKeyLogPaths = 64;
// The longest path accepted (PATH_MAX on Linux).
inline constexpr size_t kMaxKeyLogPathBytes = 4096;

struct TlsConfig {
  // NSS key log files, directories of them or FIFOs, followed while the sensor runs
  // (sensor/tls/key_log_source.h). Empty: no decryption.
  std::vector<std::string> keylog;
  // How long a connection's encrypted bytes wait for its keys before they are given up on.
  TimestampNs key_wait = 10 * kNsPerSecond;
  // Encrypted bytes one connection may hold while it waits; beyond it the wait ends (counted).
  uint64_t wait_buffer_bytes = 256 * 1024;
  // Connections whose keys are held at once; beyond it the oldest are evicted (counted).
  uint64_t max_keys = 16384;
  // Key logs decrypt traffic: a group- or world-writable, or world-readable, key log (or one
  // owned by someone other than root and the sensor's user) refuses the start unless this is
  // set, and then only warns.
  bool keylog_allow_insecure_permissions = false;
};

// Reads the `tls` mapping at `path` strictly (unknown keys, bad types and out-of-range values
// throw yaml::ConfigError with the key path). `keylog` is a path or a list of paths. Keys absent
// from `node` keep `out`'s values.
void ReadTlsConfig(const YAML::Node& node, const std::string& path, TlsConfig& out);
// Writes the section's keys (not the `tls:` key itself) into an open YAML map.
void DumpTlsConfig(YAML::Emitter& out, const TlsConfig& config);

}  // namespace bw::config
