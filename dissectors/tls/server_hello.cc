#include "dissectors/tls/server_hello.h"

#include <algorithm>
#include <array>

namespace bw::tls {
namespace {

constexpr uint8_t kHandshakeServerHello = 2;
constexpr uint16_t kExtEncryptThenMac = 22;
constexpr uint16_t kExtExtendedMasterSecret = 23;
constexpr uint16_t kExtSupportedVersions = 43;
// legacy_version, random, session id length, cipher suite, compression method.
constexpr uint32_t kMinServerHelloBody = 2 + 32 + 1 + 2 + 1;
// SHA-256("HelloRetryRequest"), the random a HelloRetryRequest carries (RFC 8446 4.1.3).
constexpr std::array<uint8_t, 32> kRetryRandom = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

}  // namespace

bool ServerHelloScanner::Take(uint8_t b, int width) {
  acc_ = (taken_ == 0 ? 0 : acc_ << 8) | b;
  if (++taken_ < width) return false;
  taken_ = 0;
  return true;
}

void ServerHelloScanner::Enter(Stage s) {
  stage_ = s;
  taken_ = 0;
}

void ServerHelloScanner::EndOfMessage() {
  // Only a message that ended between two fields is well formed.
  bool clean = taken_ == 0 && (stage_ == Stage::kExtensionType ||
                               (stage_ == Stage::kExtensionsLength && extensions_left_ == 0));
  if (!clean) return Fail();
  if (!random_is_retry_) {
    status_ = Status::kComplete;
    return;
  }
  // A HelloRetryRequest: the client sends a second ClientHello and the real ServerHello follows.
  // A second retry is a protocol violation.
  if (facts_.hello_retry_seen) return Fail();
  facts_ = ServerHelloFacts{};
  facts_.hello_retry_seen = true;
  Enter(Stage::kType);
}

void ServerHelloScanner::Step(uint8_t b) {
  if (stage_ != Stage::kType && stage_ != Stage::kLength) --message_left_;
  switch (stage_) {
    case Stage::kType:
      if (b != kHandshakeServerHello) return Fail();
      Enter(Stage::kLength);
      return;
    case Stage::kLength:
      if (!Take(b, 3)) return;
      message_left_ = acc_;
      if (message_left_ < kMinServerHelloBody) return Fail();
      extensions_left_ = 0;
      Enter(Stage::kLegacyVersion);
      return;
    case Stage::kLegacyVersion:
      if (!Take(b, 2)) break;
      facts_.legacy_version = static_cast<uint16_t>(acc_);
      field_left_ = kRetryRandom.size();
      random_is_retry_ = true;
      Enter(Stage::kRandom);
      break;
    case Stage::kRandom:
      facts_.random[kRetryRandom.size() - field_left_] = b;
      if (b != kRetryRandom[kRetryRandom.size() - field_left_]) random_is_retry_ = false;
      if (--field_left_ == 0) Enter(Stage::kSessionIdLength);
      break;
    case Stage::kSessionIdLength:
      field_left_ = b;
      Enter(b > 0 ? Stage::kSessionId : Stage::kCipherSuite);
      break;
    case Stage::kSessionId:
      if (--field_left_ == 0) Enter(Stage::kCipherSuite);
      break;
    case Stage::kCipherSuite:
      if (!Take(b, 2)) break;
      facts_.cipher_suite = static_cast<uint16_t>(acc_);
      Enter(Stage::kCompression);
      break;
    case Stage::kCompression:
      Enter(Stage::kExtensionsLength);
      break;
    case Stage::kExtensionsLength:
      if (!Take(b, 2)) break;
      extensions_left_ = acc_;
      if (extensions_left_ != message_left_) return Fail();
      Enter(Stage::kExtensionType);
      break;
    case Stage::kExtensionType:
      if (!Take(b, 2)) break;
      extension_type_ = static_cast<uint16_t>(acc_);
      Enter(Stage::kExtensionLength);
      break;
    case Stage::kExtensionLength:
      if (!Take(b, 2)) break;
      field_left_ = acc_;
      if (field_left_ > message_left_) return Fail();
      if (extension_type_ == kExtEncryptThenMac) facts_.encrypt_then_mac = true;
      if (extension_type_ == kExtExtendedMasterSecret) facts_.extended_master_secret = true;
      if (extension_type_ == kExtSupportedVersions && field_left_ == 2) {
        Enter(Stage::kSupportedVersion);
      } else {
        Enter(field_left_ > 0 ? Stage::kSkipExtension : Stage::kExtensionType);
      }
      break;
    case Stage::kSupportedVersion:
      if (!Take(b, 2)) break;
      facts_.selected_version = static_cast<uint16_t>(acc_);
      Enter(Stage::kExtensionType);
      break;
    case Stage::kSkipExtension:
      if (--field_left_ == 0) Enter(Stage::kExtensionType);
      break;
    case Stage::kSkipMessage:
      break;
  }
  if (message_left_ == 0 && status_ == Status::kNeedMore) EndOfMessage();
}

ServerHelloScanner::Status ServerHelloScanner::Feed(ByteView bytes) {
  size_t pos = 0;
  while (status_ == Status::kNeedMore && pos < bytes.size()) {
    if (stage_ == Stage::kSkipExtension && field_left_ > 1) {
      // Skip all but the extension's last byte in one step; Step() ends it.
      size_t skip = std::min<size_t>(field_left_ - 1, bytes.size() - pos);
      field_left_ -= static_cast<uint32_t>(skip);
      message_left_ -= static_cast<uint32_t>(skip);
      pos += skip;
      continue;
    }
    Step(bytes[pos++]);
  }
  return status_;
}

void ServerHelloScanner::Gap() {
  if (status_ == Status::kNeedMore) Fail();
}

}  // namespace bw::tls
