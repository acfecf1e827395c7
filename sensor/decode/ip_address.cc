#include "sensor/decode/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace bw::decode {

static_assert(IpAddress::kMaxTextBytes >= INET6_ADDRSTRLEN);

// IPv4 by hand: every ledger line writes two addresses, and inet_ntop formats IPv4 through
// sprintf. IPv6's RFC 5952 rules (longest zero run, embedded IPv4) stay with inet_ntop.
size_t IpAddress::Write(char* buf) const {
  if (family == 4) {
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) *p++ = '.';
      unsigned v = bytes[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
    }
    return static_cast<size_t>(p - buf);
  }
  if (family == 6 && inet_ntop(AF_INET6, bytes.data(), buf, kMaxTextBytes) != nullptr) {
    return std::strlen(buf);
  }
  return 0;
}

std::string IpAddress::ToString() const {
  char buf[kMaxTextBytes];
  return std::string(buf, Write(buf));
}

bool IpAddress::Parse(const std::string& text, IpAddress& out) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
  } else {
    return false;
  }
  out = a;
  return true;
}

}  // namespace bw::decode
