#include "sensor/capture/net_raw_capability.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace bw::capture {
namespace {

// Version 3 carries 64 capability bits in two 32-bit words; CAP_NET_RAW (13) is in the first.
constexpr uint32_t kNetRawBit = 1u << CAP_NET_RAW;
static_assert(CAP_NET_RAW < 32, "CAP_NET_RAW lives in the first capability word");

struct CapSets {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
};

bool Get(CapSets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &header, sets.data) == 0;
}

bool Set(const CapSets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capset, &header, sets.data) == 0;
}

bool SetEffectiveNetRaw(bool on) {
  CapSets sets;
  if (!Get(sets)) return false;
  if (on) {
    sets.data[0].effective |= kNetRawBit;
  } else {
    sets.data[0].effective &= ~kNetRawBit;
  }
  return Set(sets);
}

}  // namespace

bool NetRawPermitted() {
  CapSets sets;
  return Get(sets) && (sets.data[0].permitted & kNetRawBit) != 0;
}

bool NetRawEffective() {
  CapSets sets;
  return Get(sets) && (sets.data[0].effective & kNetRawBit) != 0;
}

bool KeepOnlyNetRawPermitted(std::string& error) {
  CapSets sets;
  if (!Get(sets)) {
    error = std::string("cannot read capabilities: ") + std::strerror(errno);
    return false;
  }
  if ((sets.data[0].permitted & kNetRawBit) == 0) {
    error = "cannot keep CAP_NET_RAW: the process does not hold it";
    return false;
  }
  CapSets only{};
  only.data[0].permitted = kNetRawBit;
  if (!Set(only)) {
    error = std::string("cannot reduce capabilities to CAP_NET_RAW: ") + std::strerror(errno);
    return false;
  }
  // capset already dropped every ambient bit outside permitted & inheritable (= none); clearing
  // explicitly also covers kernels that leave them to the next execve.
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  return true;
}

ScopedNetRaw::ScopedNetRaw() {
  CapSets sets;
  if (!Get(sets)) return;
  bool permitted = (sets.data[0].permitted & kNetRawBit) != 0;
  bool effective = (sets.data[0].effective & kNetRawBit) != 0;
  if (permitted && !effective) raised_ = SetEffectiveNetRaw(true);
}

ScopedNetRaw::~ScopedNetRaw() {
  if (raised_) SetEffectiveNetRaw(false);
}

}  // namespace bw::capture
