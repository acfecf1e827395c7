#pragma once
// CAP_NET_RAW after a privilege drop: a process that switched to an unprivileged user may keep
// CAP_NET_RAW in its permitted set only, so that nothing it does by default runs with it, and
// raise it into the effective set for exactly the time it takes to open a new capture socket
// (an interface that was deleted and re-created). Raw capget/capset on the calling thread (the
// kernel keeps capabilities per thread), no libcap. Without CAP_NET_RAW permitted every call
// here is a harmless no-op that reports false.

#include <string>

namespace bw::capture {

// Whether CAP_NET_RAW is in the calling thread's permitted / effective set.
bool NetRawPermitted();
bool NetRawEffective();

// Leaves the calling thread with CAP_NET_RAW permitted and nothing effective, inheritable or
// ambient. Called right after the uid change of a privilege drop that kept capabilities
// (PR_SET_KEEPCAPS). False with a one-line error when CAP_NET_RAW was not permitted before.
[[nodiscard]] bool KeepOnlyNetRawPermitted(std::string& error);

// Raises CAP_NET_RAW into the effective set for the scope when it is permitted but not
// effective, and lowers it again on destruction. A no-op when it is already effective (root)
// or not permitted at all (the open that follows then fails with a permission error).
class ScopedNetRaw {
 public:
  ScopedNetRaw();
  ~ScopedNetRaw();
  ScopedNetRaw(const ScopedNetRaw&) = delete;
  ScopedNetRaw& operator=(const ScopedNetRaw&) = delete;
  // True when this scope raised the capability (and will lower it).
  bool raised() const { return raised_; }

 private:
  bool raised_ = false;
};

}  // namespace bw::capture
