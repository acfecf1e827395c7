#pragma once
// Decrypts the protected records of one direction of a TLS connection, given the negotiated
// suite and that direction's keys (from key_schedule.h):
// - TLS 1.3 (RFC 8446 5.2-5.3): AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; nonce = IV XOR
//   sequence number, AAD = the record header; the inner content type is returned and the zero
//   padding removed. A KeyUpdate handshake message inside the decrypted data (a message of type
//   24, even one split across records) moves this direction to the next traffic secret
//   ("traffic upd") after that record, as the peer does.
// - TLS 1.2 AEAD: AES-GCM with the 8-byte explicit nonce (RFC 5288), ChaCha20-Poly1305 with the
//   IV XOR sequence number nonce (RFC 7905).
// - TLS 1.2 CBC with HMAC-SHA1/SHA256/SHA384: MAC-then-encrypt (RFC 5246 6.2.3.2) or, when the
//   ServerHello accepted the extension, encrypt-then-MAC (RFC 7366).
//
// Guarantees: Decrypt is pure apart from this object's state (the sequence number, the current
// key and the KeyUpdate walker); no I/O, clock, globals or exceptions. Memory is fixed per
// direction: one EVP_CIPHER_CTX, one HMAC context and the fetched algorithms are created once
// (Init with another suite fetches again) and reused for every record, and plaintext goes into
// the caller's buffer, so a record costs no allocation in steady state. A record that fails
// authentication produces no plaintext (the output span is left unspecified and `result` empty)
// and does not advance the sequence number, so the caller decides whether to stop; an authentic
// record whose content is unusable (kNoContentType) does advance it, as it did for the peer.
// Keys and the traffic secret are cleansed on Reset, re-Init and destruction. Nothing here
// formats a key.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dissectors/common/bytes.h"
#include "dissectors/tls/cipher_suite.h"
#include "dissectors/tls/client_hello.h"
#include "dissectors/tls/key_log.h"
#include "dissectors/tls/key_schedule.h"

// OpenSSL's types, declared here so that users of this header need not include OpenSSL's.
struct evp_cipher_ctx_st;
struct evp_cipher_st;
struct evp_mac_st;
struct evp_mac_ctx_st;

namespace bw::tls {

// Why a record was not decrypted; the names are the `reason` label of a failure counter.
#define BW_TLS_DECRYPT_STATUSES(X)                                                           \
  X(kOk, "ok")                                                                               \
  X(kNoKeys, "no_keys")                     /* Decrypt before a successful Init */           \
  X(kUnsupportedSuite, "unsupported_suite") /* not in cipher_suite.h, or wrong version */    \
  X(kBadKeys, "bad_keys")                   /* key or secret of the wrong size */            \
  X(kBadRecordHeader, "bad_record_header")  /* not one whole record (header + body) */       \
  X(kRecordTooLong, "record_too_long")      /* body longer than kMaxRecordLength */          \
  X(kRecordTooShort, "record_too_short")    /* shorter than IV + tag/MAC, or misaligned */   \
  X(kOutputTooSmall, "output_too_small")    /* the caller's buffer is below the body size */ \
  X(kBadRecordMac, "bad_record_mac")        /* authentication failed: wrong key or data */   \
  X(kBadPadding, "bad_padding")             /* CBC padding inconsistent */                   \
  X(kNoContentType, "no_content_type")      /* TLS 1.3 inner plaintext all zeros */          \
  X(kCryptoError, "crypto_error")           /* OpenSSL refused an operation */

enum class DecryptStatus : uint8_t {
#define BW_X(name, text) name,
  BW_TLS_DECRYPT_STATUSES(BW_X)
#undef BW_X
};
inline constexpr size_t kDecryptStatusCount = 0 BW_TLS_DECRYPT_STATUSES(BW_TLS_COUNT_ONE);
std::string_view DecryptStatusName(DecryptStatus status);

// A buffer of this size holds the plaintext of any record Decrypt accepts.
inline constexpr size_t kMaxPlaintextBuffer = kMaxRecordLength;

struct DecryptedRecord {
  uint8_t content_type = 0;  // TLS 1.3: the inner type; TLS 1.2: the header's type
  ByteView plaintext;        // inside the caller's output buffer
  uint64_t sequence = 0;     // the record's sequence number under its key
  bool key_update = false;   // the record ended with a KeyUpdate: later records use the next key
};

class RecordDecryptor {
 public:
  RecordDecryptor();
  RecordDecryptor(const RecordDecryptor&) = delete;
  RecordDecryptor& operator=(const RecordDecryptor&) = delete;
  ~RecordDecryptor();

  // TLS 1.2: `keys` is this direction's half of the key block; the sequence number restarts at
  // 0 (the first record after ChangeCipherSpec).
  DecryptStatus InitTls12(uint16_t suite, const TrafficKeys& keys, bool encrypt_then_mac);
  // TLS 1.3: a handshake, early or application traffic secret of this direction; sequence 0.
  DecryptStatus InitTls13(uint16_t suite, ByteView traffic_secret);
  // Forgets (cleanses) the keys; Decrypt then answers kNoKeys.
  void Reset();

  // Decrypts one whole record: its 5-byte header and the body the header declares, nothing
  // more. `out` must hold the body (kMaxPlaintextBuffer always does). In TLS 1.3 an unprotected
  // change_cipher_spec record (middlebox compatibility) is returned as it is, without using a
  // sequence number.
  DecryptStatus Decrypt(ByteView record, std::span<uint8_t> out, DecryptedRecord& result);

  bool ready() const { return suite_ != nullptr; }
  const CipherSuiteInfo* suite() const { return suite_; }
  uint64_t sequence() const { return sequence_; }
  uint32_t key_updates() const { return key_updates_; }

 private:
  DecryptStatus Setup(const CipherSuiteInfo& suite);
  DecryptStatus DecryptAead(ByteView header, ByteView body, std::span<uint8_t> out,
                            DecryptedRecord& result);
  DecryptStatus DecryptCbc(ByteView header, ByteView body, std::span<uint8_t> out,
                           DecryptedRecord& result);
  bool Mac(const uint8_t* pseudo_header, ByteView part1, ByteView part2, uint8_t* digest);
  // Walks TLS 1.3 handshake messages in decrypted data; true when a KeyUpdate ended in it.
  bool ScanHandshake(ByteView bytes);
  DecryptStatus Ratchet();

  evp_cipher_ctx_st* ctx_ = nullptr;
  evp_cipher_st* cipher_ = nullptr;  // fetched for fetched_cipher_
  BulkCipher fetched_cipher_ = BulkCipher::kAes128Gcm;
  evp_mac_st* hmac_ = nullptr;
  evp_mac_ctx_st* mac_ctx_ = nullptr;

  const CipherSuiteInfo* suite_ = nullptr;
  TrafficKeys keys_;
  Secret traffic_secret_;  // TLS 1.3, for the KeyUpdate ratchet
  bool encrypt_then_mac_ = false;
  uint64_t sequence_ = 0;
  uint32_t key_updates_ = 0;

  // KeyUpdate walker over the handshake message stream (TLS 1.3).
  std::array<uint8_t, 4> hs_header_{};
  uint8_t hs_header_length_ = 0;
  uint32_t hs_body_left_ = 0;
};

}  // namespace bw::tls
