#include "sensor/capture/net_raw_capability.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace bw::capture {
namespace {

// Runs `body` in a forked child (a uid change cannot be undone) and returns its exit code.
template <typename F>
int InChild(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Whether a packet socket can be created right now (what pcap_activate needs CAP_NET_RAW for).
bool CanOpenPacketSocket() {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

constexpr uid_t kNobody = 65534;

TEST(NetRawCapabilityTest, KeptPermittedOnlyAndRaisedForAScope) {
  if (::geteuid() != 0 || !NetRawEffective()) GTEST_SKIP() << "needs root with CAP_NET_RAW";
  int rc = InChild([] {
    // The privilege drop of DropPrivileges with privileges.keep_net_raw.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return 10;
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) return 11;
    ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    std::string error;
    if (!KeepOnlyNetRawPermitted(error)) return 12;
    if (!NetRawPermitted() || NetRawEffective()) return 13;
    if (CanOpenPacketSocket()) return 14;  // not effective: refused
    if (::setuid(0) == 0) return 15;       // no way back to root
    {
      ScopedNetRaw raised;
      if (!raised.raised() || !NetRawEffective()) return 16;
      if (!CanOpenPacketSocket()) return 17;
    }
    if (NetRawEffective() || !NetRawPermitted()) return 18;  // lowered again, still permitted
    if (CanOpenPacketSocket()) return 19;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(NetRawCapabilityTest, WithoutThePrivilegeNothingIsRaised) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  int rc = InChild([] {
    // The default drop: keep-caps off, every capability is gone with the uid change.
    ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) return 10;
    if (NetRawPermitted() || NetRawEffective()) return 11;
    std::string error;
    if (KeepOnlyNetRawPermitted(error)) return 12;
    if (error.find("CAP_NET_RAW") == std::string::npos) return 13;
    {
      ScopedNetRaw raised;
      if (raised.raised() || NetRawEffective()) return 14;
      if (CanOpenPacketSocket()) return 15;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(NetRawCapabilityTest, AlreadyEffectiveIsLeftAlone) {
  if (!NetRawEffective()) GTEST_SKIP() << "needs CAP_NET_RAW effective";
  {
    ScopedNetRaw scope;
    EXPECT_FALSE(scope.raised());
    EXPECT_TRUE(NetRawEffective());
  }
  EXPECT_TRUE(NetRawEffective());  // not lowered by a scope that did not raise it
}

}  // namespace
}  // namespace bw::capture
