#include "dissectors/tls/turn_counter.h"

namespace bw::tls {
namespace {

struct SuiteShape {
  uint8_t hash_length = 0;
  uint8_t tag_length = 16;
};

// The TLS 1.3 cipher suites (RFC 8446 B.4, RFC 8998): the Finished carries one hash.
SuiteShape Tls13Suite(uint16_t suite) {
  switch (suite) {
    case 0x1302:  // TLS_AES_256_GCM_SHA384
      return {48, 16};
    case 0x1301:  // TLS_AES_128_GCM_SHA256
    case 0x1303:  // TLS_CHACHA20_POLY1305_SHA256
    case 0x1304:  // TLS_AES_128_CCM_SHA256
    case 0x00C6:  // TLS_SM4_GCM_SM3
    case 0x00C7:  // TLS_SM4_CCM_SM3
      return {32, 16};
    case 0x1305:  // TLS_AES_128_CCM_8_SHA256
      return {32, 8};
    default:
      return {};
  }
}

// Handshake message header, then the inner content type byte of TLSInnerPlaintext.
constexpr uint16_t kHandshakeHeader = 4;
constexpr uint16_t kInnerType = 1;

}  // namespace

void TlsTurnCounter::Feed(Direction dir, ByteView bytes) {
  trackers_[Index(dir)].Feed(bytes, &observers_[Index(dir)]);
}

void TlsTurnCounter::Gap(Direction dir, uint64_t length) {
  trackers_[Index(dir)].Gap(length);
  if (dir == Direction::kToClient && !hello_done_ && length > 0) {
    hello_.Gap();
    OnServerHello();
  }
}

void TlsTurnCounter::OnHandshakeBytes(Direction dir, ByteView bytes) {
  if (dir != Direction::kToClient || hello_done_) return;
  if (hello_.Feed(bytes) != ServerHelloScanner::Status::kNeedMore) OnServerHello();
}

void TlsTurnCounter::OnServerHello() {
  hello_done_ = true;
  if (hello_.status() != ServerHelloScanner::Status::kComplete) return;
  if (!hello_.facts().tls13()) {
    version_ = TlsVersionSeen::kTls12OrOlder;
    return;
  }
  version_ = TlsVersionSeen::kTls13;
  SuiteShape shape = Tls13Suite(hello_.facts().cipher_suite);
  tag_length_ = shape.tag_length;
  if (shape.hash_length > 0) {
    finished_length_ = kHandshakeHeader + shape.hash_length + kInnerType + shape.tag_length;
  }
}

void TlsTurnCounter::OnRecord(Direction dir, ContentType type, uint16_t length) {
  const bool client = dir == Direction::kToServer;
  if (!client) server_spoke_ = true;
  if (type != ContentType::kApplicationData) return;
  if (version_ != TlsVersionSeen::kTls12OrOlder && length <= 5 + kInnerType + tag_length_) {
    ++counts_.control_records;
    if (version_ == TlsVersionSeen::kTls13 && client && !client_finished_ &&
        length == kHandshakeHeader + kInnerType + tag_length_) {
      end_of_early_data_ = true;
    }
    return;
  }
  if (version_ == TlsVersionSeen::kTls13 && !client_finished_) {
    if (client) {
      ++counts_.handshake_records;
      ++client_handshake_records_;
      if (finished_length_ == 0 || length == finished_length_ ||
          client_handshake_records_ >= kMaxClientHandshakeRecords) {
        OnClientFinished();
      }
      return;
    }
    if (!server_finished_) {
      ++counts_.handshake_records;
      if (length == finished_length_) server_finished_ = true;
      return;
    }
    half_rtt_data_ = true;  // the server answers early data before the handshake completes
  }
  OnApplicationData(dir, length);
}

void TlsTurnCounter::OnApplicationData(Direction dir, uint16_t length) {
  ++counts_.application_records[Index(dir)];
  counts_.application_bytes[Index(dir)] += length;
  if (dir == Direction::kToClient) {
    last_application_dir_ = Index(dir);
    return;
  }
  if (!server_spoke_) ++counts_.early_data_records;
  if (last_application_dir_ != Index(dir)) {
    ++counts_.turns;
    if (!server_spoke_) early_turn_ = true;
  }
  last_application_dir_ = Index(dir);
}

void TlsTurnCounter::OnClientFinished() {
  client_finished_ = true;
  // Rejected early data is discarded by the server and sent again by the client after the
  // handshake: the request is the later burst, not the early one.
  if (early_turn_ && !end_of_early_data_ && !half_rtt_data_ && counts_.turns > 0) {
    --counts_.turns;
    ++counts_.early_data_rejected;
    last_application_dir_ = -1;
  }
  early_turn_ = false;
}

}  // namespace bw::tls
