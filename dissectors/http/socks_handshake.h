#pragma once
// The SOCKS 4, 4a and 5 handshake (RFC 1928, RFC 1929 username/password, the SOCKS4 and 4a
// protocol notes) that a client runs with its proxy before the tunnelled protocol on the same
// TCP connection: HTTP through a SOCKS proxy is HTTP after these bytes. This class tells, per
// direction, where the handshake ends and the tunnelled bytes begin, and keeps the CONNECT
// target. It lives in http/ because skipping it is what lets the HTTP parser see the requests.
//
// Bounds: each handshake message is held in a fixed buffer of kMaxMessage bytes (a SOCKS5
// message is at most 513 bytes; a longer SOCKS4 user id is refused), no heap. Only CONNECT is
// followed (BIND and UDP ASSOCIATE carry no HTTP on this connection); GSSAPI and other methods
// are refused as kBad. The client may send its next message (even the tunnelled bytes) without
// waiting for the proxy's answer: each direction is parsed on its own.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"

namespace bw::http {

enum class SocksState : uint8_t {
  kInProgress,   // the handshake is under way
  kEstablished,  // the proxy granted CONNECT: both directions now carry the tunnelled protocol
  kRefused,      // the proxy refused (no acceptable method, failed login, CONNECT refused)
  kBad,          // not a SOCKS handshake after all, or one this parser does not follow
};

// From the client's first bytes: a SOCKS4 CONNECT with its NUL-terminated user id, or a SOCKS5
// greeting of 1..32 known methods followed by nothing or a next message. Strict, because a
// connection taken for SOCKS is not tried as anything else.
bool LooksLikeSocks(ByteView first_client_bytes);

class SocksHandshake {
 public:
  static constexpr size_t kMaxMessage = 520;

  // Consumes handshake bytes of `dir` from the front of `data`; returns how many. The rest, if
  // any, is tunnelled protocol. Once the state is kRefused or kBad every byte of a direction
  // still in its handshake is consumed (nothing after it can be parsed).
  size_t Feed(Direction dir, ByteView data);
  // A hole in `dir`'s bytes inside the handshake: kBad (where the handshake ends is unknown).
  void Gap(Direction dir);

  SocksState state() const { return state_; }
  // This direction's handshake is over: its further bytes are tunnelled.
  bool Passed(Direction dir) const { return stage_[Index(dir)] == Stage::kDone; }
  uint8_t version() const { return version_; }
  // CONNECT target as the client named it: a dotted or bracketless IPv6 address or a domain.
  std::string_view target_host() const { return {host_.data(), host_len_}; }
  uint16_t target_port() const { return port_; }

 private:
  enum class Stage : uint8_t {
    kGreeting,    // client: SOCKS4 request or SOCKS5 method list
    kAuthOrReq5,  // client: RFC 1929 login or SOCKS5 request
    kRequest5,    // client: SOCKS5 request (after the login)
    kMethod5,     // proxy: method selection
    kAuthReply5,  // proxy: RFC 1929 status
    kReply5,      // proxy: SOCKS5 reply
    kReply4,      // proxy: SOCKS4 reply
    kDone,
  };
  // Bytes of the message at the front of `m` (0: need more), or kInvalid.
  static constexpr size_t kInvalid = SIZE_MAX;
  size_t MessageLength(Stage stage, const uint8_t* m, size_t n) const;
  // Acts on a complete message; false if it is invalid.
  bool Accept(Direction dir, const uint8_t* m, size_t n);
  void Fail(SocksState s) { state_ = s; }
  void NoteAddress(uint8_t atyp, const uint8_t* addr, size_t len, uint16_t port);
  void MaybeEstablished();

  SocksState state_ = SocksState::kInProgress;
  uint8_t version_ = 0;
  bool granted_ = false;
  std::array<Stage, 2> stage_{Stage::kGreeting, Stage::kMethod5};  // by Index(dir)
  std::array<std::array<uint8_t, kMaxMessage>, 2> buf_{};
  std::array<size_t, 2> len_{};
  std::array<char, 255 + 1> host_{};
  size_t host_len_ = 0;
  uint16_t port_ = 0;
};

}  // namespace bw::http
