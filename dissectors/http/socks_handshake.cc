#include "dissectors/http/socks_handshake.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace bw::http {
namespace {

constexpr uint8_t kCmdConnect = 1;
constexpr uint8_t kAtypIpv4 = 1;
constexpr uint8_t kAtypDomain = 3;
constexpr uint8_t kAtypIpv6 = 4;
constexpr uint8_t kMethodNone = 0x00;
constexpr uint8_t kMethodLogin = 0x02;
constexpr uint8_t kMethodRefused = 0xff;
constexpr size_t kMaxGreetingMethods = 32;

// Methods IANA assigned (0x00-0x09) or left private (0x80-0xfe).
bool KnownMethod(uint8_t m) { return m <= 0x09 || (m >= 0x80 && m != 0xff); }

// Bytes a SOCKS5 address of type `atyp` takes starting at m[0] (0: need more), or SIZE_MAX.
size_t AddressLength(uint8_t atyp, const uint8_t* m, size_t n) {
  switch (atyp) {
    case kAtypIpv4:
      return 4;
    case kAtypIpv6:
      return 16;
    case kAtypDomain:
      if (n < 1) return 0;
      return m[0] == 0 ? SIZE_MAX : 1 + size_t{m[0]};
    default:
      return SIZE_MAX;
  }
}

// Offset just past the NUL that ends a string starting at `from` (0: need more).
size_t PastNul(const uint8_t* m, size_t n, size_t from) {
  if (from >= n) return 0;
  const void* nul = std::memchr(m + from, 0, n - from);
  return nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - m) + 1 : 0;
}

}  // namespace

bool LooksLikeSocks(ByteView b) {
  if (b.size() >= 9 && b[0] == 4 && b[1] == kCmdConnect) {
    // SOCKS4/4a CONNECT: port, address, user id up to a NUL within the segment.
    return std::memchr(b.data() + 8, 0, std::min<size_t>(b.size() - 8, 256)) != nullptr;
  }
  if (b.size() < 3 || b[0] != 5 || b[1] == 0 || b[1] > kMaxGreetingMethods) return false;
  size_t n = b[1];
  if (b.size() < 2 + n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!KnownMethod(b[2 + i])) return false;
  }
  // Anything after the greeting is the client's next message: a login or a request.
  return b.size() == 2 + n || b[2 + n] == 1 || b[2 + n] == 5;
}

size_t SocksHandshake::MessageLength(Stage stage, const uint8_t* m, size_t n) const {
  switch (stage) {
    case Stage::kGreeting:
      if (n < 2) return 0;
      if (m[0] == 4) {
        // VN CD DSTPORT DSTIP USERID NUL [DOMAIN NUL when DSTIP is 0.0.0.x, x != 0: SOCKS4a]
        size_t user_end = PastNul(m, n, 8);
        if (user_end == 0) return n >= 8 + 256 ? kInvalid : 0;
        bool socks4a = m[4] == 0 && m[5] == 0 && m[6] == 0 && m[7] != 0;
        if (!socks4a) return user_end;
        size_t domain_end = PastNul(m, n, user_end);
        if (domain_end == 0) return n - user_end >= 256 ? kInvalid : 0;
        return domain_end;
      }
      if (m[0] == 5) return m[1] == 0 ? kInvalid : 2 + size_t{m[1]};
      return kInvalid;
    case Stage::kAuthOrReq5:
    case Stage::kRequest5:
    case Stage::kReply5: {
      if (stage == Stage::kAuthOrReq5 && n >= 1 && m[0] == 1) {
        // RFC 1929: VER ULEN UNAME PLEN PASSWD
        if (n < 2) return 0;
        size_t plen_at = 2 + size_t{m[1]};
        if (n <= plen_at) return 0;
        return plen_at + 1 + size_t{m[plen_at]};
      }
      // VER CMD|REP RSV ATYP ADDR PORT
      if (n < 5) return 0;
      size_t addr = AddressLength(m[3], m + 4, n - 4);
      if (addr == SIZE_MAX) return kInvalid;
      return addr == 0 ? 0 : 4 + addr + 2;
    }
    case Stage::kMethod5:
    case Stage::kAuthReply5:
      return 2;
    case Stage::kReply4:
      return 8;
    case Stage::kDone:
      return kInvalid;
  }
  return kInvalid;
}

void SocksHandshake::NoteAddress(uint8_t atyp, const uint8_t* a, size_t len, uint16_t port) {
  port_ = port;
  int w = 0;
  if (atyp == kAtypIpv4) {
    w = std::snprintf(host_.data(), host_.size(), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  } else if (atyp == kAtypIpv6) {
    // Eight groups in full hex: exact and unambiguous, if not the shortest form.
    for (size_t i = 0; i < 16 && w >= 0 && static_cast<size_t>(w) < host_.size(); i += 2) {
      w += std::snprintf(host_.data() + w, host_.size() - static_cast<size_t>(w), "%s%x",
                         i ? ":" : "", static_cast<unsigned>((a[i] << 8) | a[i + 1]));
    }
  } else {
    len = std::min(len, host_.size() - 1);
    std::memcpy(host_.data(), a, len);
    w = static_cast<int>(len);
  }
  host_len_ = w < 0 ? 0 : std::min(static_cast<size_t>(w), host_.size() - 1);
}

void SocksHandshake::MaybeEstablished() {
  if (granted_ && Passed(Direction::kToServer) && Passed(Direction::kToClient)) {
    state_ = SocksState::kEstablished;
  }
}

bool SocksHandshake::Accept(Direction dir, const uint8_t* m, size_t n) {
  Stage& stage = stage_[Index(dir)];
  Stage& peer = stage_[Index(Opposite(dir))];
  switch (stage) {
    case Stage::kGreeting:
      version_ = m[0];
      if (version_ == 4) {
        if (m[1] != kCmdConnect) return false;
        uint16_t port = static_cast<uint16_t>((m[2] << 8) | m[3]);
        size_t user_end = PastNul(m, n, 8);
        if (user_end < n) {  // SOCKS4a: the name after the user id
          NoteAddress(kAtypDomain, m + user_end, n - user_end - 1, port);
        } else {
          NoteAddress(kAtypIpv4, m + 4, 4, port);
        }
        stage = Stage::kDone;
        peer = Stage::kReply4;
        return true;
      }
      for (size_t i = 2; i < n; ++i) {
        if (!KnownMethod(m[i])) return false;
      }
      stage = Stage::kAuthOrReq5;
      return true;
    case Stage::kAuthOrReq5:
    case Stage::kRequest5:
      if (m[0] == 1 && stage == Stage::kAuthOrReq5) {
        stage = Stage::kRequest5;
        return true;
      }
      if (m[0] != 5 || m[1] != kCmdConnect || m[2] != 0) return false;
      NoteAddress(m[3], m + 4 + (m[3] == kAtypDomain ? 1 : 0),
                  n - 6 - (m[3] == kAtypDomain ? 1 : 0),
                  static_cast<uint16_t>((m[n - 2] << 8) | m[n - 1]));
      stage = Stage::kDone;
      return true;
    case Stage::kMethod5:
      if (version_ != 5 || m[0] != 5) return false;
      if (m[1] == kMethodRefused) {
        Fail(SocksState::kRefused);
        return true;
      }
      if (m[1] != kMethodNone && m[1] != kMethodLogin) return false;  // GSSAPI etc.: not followed
      stage = m[1] == kMethodLogin ? Stage::kAuthReply5 : Stage::kReply5;
      return true;
    case Stage::kAuthReply5:
      if (m[0] != 1) return false;
      if (m[1] != 0) {
        Fail(SocksState::kRefused);
        return true;
      }
      stage = Stage::kReply5;
      return true;
    case Stage::kReply5:
      if (m[0] != 5 || m[2] != 0) return false;
      if (m[1] != 0) {
        Fail(SocksState::kRefused);
        return true;
      }
      granted_ = true;
      stage = Stage::kDone;
      return true;
    case Stage::kReply4:
      if (m[0] != 0) return false;
      if (m[1] != 90) {
        Fail(SocksState::kRefused);
        return true;
      }
      granted_ = true;
      stage = Stage::kDone;
      return true;
    case Stage::kDone:
      return false;
  }
  return false;
}

size_t SocksHandshake::Feed(Direction dir, ByteView data) {
  const int d = Index(dir);
  size_t used = 0;
  // Every message consumes at least one byte, and data is finite: the loop ends.
  while (used < data.size() && stage_[d] != Stage::kDone) {
    if (state_ == SocksState::kRefused || state_ == SocksState::kBad) return data.size();
    if (dir == Direction::kToClient && version_ == 0) {
      Fail(SocksState::kBad);  // the proxy spoke before the client
      return data.size();
    }
    std::array<uint8_t, kMaxMessage>& buf = buf_[d];
    size_t& len = len_[d];
    // Take bytes one message at a time: never more than the current message needs, so the
    // tunnelled bytes after it stay in `data`.
    size_t need = 0;
    while (used < data.size()) {
      if (len == buf.size()) {
        Fail(SocksState::kBad);
        return data.size();
      }
      buf[len++] = data[used++];
      need = MessageLength(stage_[d], buf.data(), len);
      if (need == kInvalid || (need != 0 && len >= need)) break;
    }
    if (need == kInvalid || (need != 0 && need > buf.size())) {
      Fail(SocksState::kBad);
      return data.size();
    }
    if (need == 0 || len < need) break;  // the message continues in the next segment
    bool ok = Accept(dir, buf.data(), len);
    len = 0;
    if (!ok) {
      Fail(SocksState::kBad);
      return data.size();
    }
    MaybeEstablished();
  }
  if (state_ == SocksState::kRefused || state_ == SocksState::kBad) return data.size();
  return used;
}

void SocksHandshake::Gap(Direction dir) {
  if (!Passed(dir) && state_ == SocksState::kInProgress) Fail(SocksState::kBad);
}

}  // namespace bw::http
