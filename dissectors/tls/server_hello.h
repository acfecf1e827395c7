#pragma once
// Streaming reader of the server's first handshake message, the ServerHello: which TLS version
// the server chose (supported_versions, RFC 8446 section 4.2.1) and which cipher suite, which
// together say how the rest of the connection's records must be read (TLS 1.3 encrypts its
// handshake into application-data records), and what decryption from a key log needs besides:
// the server random and whether encrypt_then_mac (RFC 7366) was accepted. A HelloRetryRequest (a
// ServerHello with the special random of RFC 8446 section 4.1.3) is recognised and stepped over:
// the real ServerHello follows it.
//
// Guarantees: fed the bodies of the server's handshake records in stream order, in pieces of
// any size; reads each byte once and keeps no copy beyond the 32-byte random (a few counters
// and a 32-bit accumulator), so a large key share (post-quantum hybrids send over 1 KiB) costs
// nothing. The result does not depend on how the bytes were split. Pure: no I/O, clock, globals,
// exceptions or allocation.

#include <array>
#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"

namespace bw::tls {

struct ServerHelloFacts {
  uint16_t legacy_version = 0;    // the ServerHello's legacy_version (0x0303 for TLS 1.2/1.3)
  uint16_t selected_version = 0;  // supported_versions extension; 0 when absent (TLS <= 1.2)
  uint16_t cipher_suite = 0;
  bool hello_retry_seen = false;  // a HelloRetryRequest came first
  std::array<uint8_t, 32> random{};
  bool encrypt_then_mac = false;        // extension 22 present (TLS 1.2 CBC suites, RFC 7366)
  bool extended_master_secret = false;  // extension 23 present (RFC 7627)

  bool tls13() const { return selected_version == 0x0304; }
};

class ServerHelloScanner {
 public:
  enum class Status : uint8_t { kNeedMore, kComplete, kInvalid };

  // The next bytes of the server's handshake-message stream (handshake record bodies, the
  // record headers removed). Bytes after the ServerHello are ignored.
  Status Feed(ByteView bytes);
  // Bytes of that stream are missing: the ServerHello cannot be read unless it was complete.
  void Gap();

  Status status() const { return status_; }
  const ServerHelloFacts& facts() const { return facts_; }

 private:
  enum class Stage : uint8_t {
    kType,
    kLength,
    kLegacyVersion,
    kRandom,
    kSessionIdLength,
    kSessionId,
    kCipherSuite,
    kCompression,
    kExtensionsLength,
    kExtensionType,
    kExtensionLength,
    kSupportedVersion,
    kSkipExtension,
    kSkipMessage,
  };

  void Step(uint8_t b);
  // Accumulates `width` bytes big-endian; true when the value is complete (in acc_).
  bool Take(uint8_t b, int width);
  void Enter(Stage s);
  void EndOfMessage();
  void Fail() { status_ = Status::kInvalid; }

  Status status_ = Status::kNeedMore;
  ServerHelloFacts facts_;
  Stage stage_ = Stage::kType;
  uint32_t acc_ = 0;
  int taken_ = 0;
  uint32_t message_left_ = 0;     // body bytes of the current handshake message still to come
  uint32_t field_left_ = 0;       // bytes of the current skipped field or random
  uint32_t extensions_left_ = 0;  // bytes of the extensions block still to come
  uint16_t extension_type_ = 0;
  bool random_is_retry_ = true;  // every random byte so far matched the HelloRetryRequest value
};

}  // namespace bw::tls
