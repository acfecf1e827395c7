#pragma once
// Process hygiene around the capture loop: structured logging, CPU pinning, and giving up root once
// the capture handle and output files are open (the open handle keeps working; only reopening an
// interface that was deleted and re-created needs CAP_NET_RAW again, see privileges.keep_net_raw).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bw::pipeline {

// spdlog to stderr, UTC timestamps; level is trace|debug|info|warn|error|off.
void SetupLogging(const std::string& level);
void SetLogLevel(const std::string& level);

// Raises the soft limit on open files to the hard limit (at most kOpenFileTarget): the default
// soft limit (1024) is a compatibility relic of select(), which the sensor does not use, and
// descriptors should not run out before the metrics listener's own bounds apply. Returns the
// soft limit now in force.
inline constexpr uint64_t kOpenFileTarget = 65536;
uint64_t RaiseOpenFileLimit();

// Switches to `user` (name or numeric uid) and its primary group, drops supplementary groups and
// every capability. With `keep_net_raw` (privileges.keep_net_raw on a live capture) CAP_NET_RAW
// stays in the permitted set only: nothing is effective, so the process runs unprivileged, and
// the capture raises it just to reopen its interface (capture/net_raw_capability.h). Either way
// no-new-privs is set and switching back to root must fail. False with a one-line error; a no-op
// success when `user` is empty.
[[nodiscard]] bool DropPrivileges(const std::string& user, bool keep_net_raw, std::string& error);

// What the sensor writes after it gave up root (HandOverToUser). `owned_dirs` it created for
// itself (spool, state): they and the files in them become the user's. `files` it opened and
// may reopen or compress (ledger, logs): they become the user's too. `writable_dirs` must let
// the user create and rename files (the ledger's directory, for rotation); they are only
// checked, since the sensor does not own them.
struct RunUserPaths {
  std::vector<std::string> owned_dirs;
  std::vector<std::string> files;
  std::vector<std::string> writable_dirs;
};

// Before DropPrivileges: gives `paths` to `user`. False with a message naming the path.
[[nodiscard]] bool HandOverToUser(const std::string& user, const RunUserPaths& paths,
                                  std::string& error);
// After DropPrivileges: false with a message naming the fix when the user cannot write one of
// `paths.writable_dirs` or `owned_dirs` (a later rotation or spool write would fail silently).
[[nodiscard]] bool CheckRunUserCanWrite(const std::string& user, const RunUserPaths& paths,
                                        std::string& error);

// Whether DropPrivileges would find `user` (name or numeric uid): checked before anything is
// opened or created, so an unknown user is a usage error that leaves no file behind.
[[nodiscard]] bool UserExists(const std::string& user, std::string& error);

// Pins the calling thread to CPU `index_in_list` of `cpus` (wrapping around); logs a warning when
// the kernel refuses (CPU offline or outside the cgroup's set) and carries on unpinned. A no-op
// for an empty list.
void PinCurrentThread(const std::vector<int>& cpus, size_t index_in_list, const char* role);

}  // namespace bw::pipeline
