#pragma once
// Process hygiene around the capture loop: structured logging, and giving up root once the
// capture handle and output files are open (the open handle keeps working; nothing later needs
// CAP_NET_RAW or CAP_NET_ADMIN).

#include <string>

namespace bw::pipeline {

// spdlog to stderr, UTC timestamps; level is trace|debug|info|warn|error|off.
void SetupLogging(const std::string& level);
void SetLogLevel(const std::string& level);

// Switches to `user` (name or numeric uid) and its primary group, drops supplementary groups and
// every capability. False with a one-line error; a no-op success when `user` is empty.
[[nodiscard]] bool DropPrivileges(const std::string& user, std::string& error);

}  // namespace bw::pipeline
