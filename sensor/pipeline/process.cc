#include "sensor/pipeline/process.h"

#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "sensor/capture/net_raw_capability.h"

namespace bw::pipeline {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("bucketwatch");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ bucketwatch %l: %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  SetLogLevel(level);
}

void SetLogLevel(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

uint64_t RaiseOpenFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  rlim_t want =
      r.rlim_max == RLIM_INFINITY ? kOpenFileTarget : std::min<rlim_t>(r.rlim_max, kOpenFileTarget);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
    rlimit raised{want, r.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      spdlog::debug("open file limit raised from {} to {}", r.rlim_cur, want);
      r.rlim_cur = want;
    } else {
      spdlog::warn("cannot raise the open file limit from {}: {}", r.rlim_cur,
                   std::strerror(errno));
    }
  }
  return r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(r.rlim_cur);
}

namespace {

// `user` as a name, else as a numeric uid. `buf` holds the strings `pw` points to.
bool LookupUser(const std::string& user, struct passwd& pw, char (&buf)[4096], std::string& error) {
  struct passwd* found = nullptr;
  errno = 0;
  int rc = getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found);
  if (rc != 0 || !found) {
    char* end = nullptr;
    long uid = std::strtol(user.c_str(), &end, 10);
    if (end && *end == '\0' && !user.empty()) {
      rc = getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof(buf), &found);
    }
    if (rc != 0 || !found) {
      error = "no such user: " + user;
      return false;
    }
  }
  return true;
}

}  // namespace

bool UserExists(const std::string& user, std::string& error) {
  struct passwd pw {};
  char buf[4096];
  return LookupUser(user, pw, buf, error);
}

bool HandOverToUser(const std::string& user, const RunUserPaths& paths, std::string& error) {
  if (user.empty()) return true;
  struct passwd pw {};
  char buf[4096];
  if (!LookupUser(user, pw, buf, error)) return false;
  auto give = [&](const std::string& path) {
    // lchown: a symlink planted in a directory the sensor owns must not hand over its target.
    if (::lchown(path.c_str(), pw.pw_uid, pw.pw_gid) == 0) return true;
    error = "cannot give " + path + " to user " + user + ": " + std::strerror(errno);
    return false;
  };
  for (const std::string& dir : paths.owned_dirs) {
    if (!give(dir)) return false;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (!give(entry.path().string())) return false;
    }
    if (ec) {
      error = "cannot list " + dir + ": " + ec.message();
      return false;
    }
  }
  for (const std::string& file : paths.files) {
    struct stat st {};
    // Only regular files the sensor writes; not /dev/null, a FIFO or a terminal.
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::chown(file.c_str(), pw.pw_uid, pw.pw_gid) != 0) {
      error = "cannot give " + file + " to user " + user + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

bool CheckRunUserCanWrite(const std::string& user, const RunUserPaths& paths, std::string& error) {
  if (user.empty()) return true;
  auto check = [&](const std::string& dir, const char* why) {
    if (::access(dir.c_str(), W_OK | X_OK) == 0) return true;
    error = "user " + user + " cannot write " + dir + " (" + std::strerror(errno) + "), which " +
            why + ": run `chown " + user + " " + dir + "` or choose a directory " + user + " owns";
    return false;
  };
  for (const std::string& dir : paths.owned_dirs) {
    if (!check(dir, "holds the sensor's own files")) return false;
  }
  for (const std::string& dir : paths.writable_dirs) {
    if (!check(dir, "the ledger is rotated in")) return false;
  }
  return true;
}

bool DropPrivileges(const std::string& user, bool keep_net_raw, std::string& error) {
  if (user.empty()) return true;
  struct passwd pw {};
  char buf[4096];
  if (!LookupUser(user, pw, buf, error)) return false;
  if (setgroups(0, nullptr) != 0 && geteuid() == 0) {
    error = std::string("cannot drop supplementary groups: ") + std::strerror(errno);
    return false;
  }
  if (setgid(pw.pw_gid) != 0) {
    error = std::string("cannot switch to group ") + std::to_string(pw.pw_gid) + ": " +
            std::strerror(errno);
    return false;
  }
  // Without keep-caps, the permitted and effective sets are cleared by the uid change. With it
  // they survive into the new uid (the effective set is still cleared), and are cut down to
  // CAP_NET_RAW permitted right after. Keep-caps is per thread: threads started before this
  // point (none capture) lose every capability either way.
  bool keep = keep_net_raw && pw.pw_uid != 0;
  prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0);
  if (setuid(pw.pw_uid) != 0) {
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    error = "cannot switch to user " + user + ": " + std::strerror(errno);
    return false;
  }
  if (keep) {
    // Keep-caps must not outlive the switch: a later uid change would keep capabilities again.
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (!capture::KeepOnlyNetRawPermitted(error)) {
      error = "privileges.keep_net_raw: " + error;
      return false;
    }
  }
  if (pw.pw_uid != 0 && setuid(0) == 0) {
    error = "privileges could be regained after switching to " + user;
    return false;
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (keep) {
    spdlog::info(
        "running as {}; CAP_NET_RAW kept (permitted, not effective) to reopen the capture "
        "interface if it is re-created (privileges.keep_net_raw)",
        user);
  }
  return true;
}

void PinCurrentThread(const std::vector<int>& cpus, size_t index_in_list, const char* role) {
  if (cpus.empty()) return;
  int cpu = cpus[index_in_list % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) {
    spdlog::warn("cpu_affinity: cannot pin the {} thread to CPU {}: {}; left unpinned", role, cpu,
                 std::strerror(rc));
  } else {
    spdlog::debug("{} thread pinned to CPU {}", role, cpu);
  }
}

}  // namespace bw::pipeline
