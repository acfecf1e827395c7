#pragma once
// Reads a config file's bytes, bounded and without blocking: a config path may name anything
// (a FIFO with no writer, /dev/zero, a directory, a 100 MB file), and LoadConfig also runs on
// SIGHUP inside the running sensor, where a hang or an unbounded read stalls the capture.

#include <cstddef>
#include <string>

namespace bw::config {

inline constexpr size_t kMaxConfigFileBytes = 16u << 20;

// Opens `path` without blocking, refuses anything but a regular file, and reads at most
// `limit` + 1 bytes (one more than allowed, to tell "exactly the limit" from "larger").
// False with "<path>: <reason>" (the errno text where the system said why).
[[nodiscard]] bool ReadConfigFile(const std::string& path, std::string& text, std::string& error,
                                  size_t limit = kMaxConfigFileBytes);

}  // namespace bw::config
