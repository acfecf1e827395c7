#include "dissectors/tls/record_decryptor.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>

namespace bw::tls {
namespace {

constexpr std::array<std::string_view, kDecryptStatusCount> kStatusNames = {
#define BW_X(name, text) text,
    BW_TLS_DECRYPT_STATUSES(BW_X)
#undef BW_X
};

constexpr size_t kHeaderLength = 5;
constexpr size_t kAeadTagLength = 16;
constexpr size_t kGcmExplicitNonce = 8;
constexpr size_t kCbcBlock = 16;
constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kHandshakeKeyUpdate = 24;

const char* CipherName(BulkCipher c) {
  switch (c) {
    case BulkCipher::kAes128Gcm:
      return "AES-128-GCM";
    case BulkCipher::kAes256Gcm:
      return "AES-256-GCM";
    case BulkCipher::kChaCha20Poly1305:
      return "ChaCha20-Poly1305";
    case BulkCipher::kAes128Cbc:
      return "AES-128-CBC";
    case BulkCipher::kAes256Cbc:
      return "AES-256-CBC";
  }
  return "AES-128-GCM";
}

void PutBe64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

// The TLS 1.2 MAC and AEAD additional data: seq_num(8) type(1) version(2) length(2).
void PseudoHeader(uint64_t seq, const uint8_t* header, size_t length, uint8_t* out) {
  PutBe64(seq, out);
  out[8] = header[0];
  out[9] = header[1];
  out[10] = header[2];
  out[11] = static_cast<uint8_t>(length >> 8);
  out[12] = static_cast<uint8_t>(length);
}

}  // namespace

std::string_view DecryptStatusName(DecryptStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

RecordDecryptor::RecordDecryptor() : ctx_(EVP_CIPHER_CTX_new()) {}

RecordDecryptor::~RecordDecryptor() {
  Reset();
  EVP_CIPHER_CTX_free(ctx_);
  EVP_CIPHER_free(cipher_);
  EVP_MAC_CTX_free(mac_ctx_);
  EVP_MAC_free(hmac_);
}

void RecordDecryptor::Reset() {
  suite_ = nullptr;
  keys_.Wipe();
  traffic_secret_.Wipe();
  // The context holds the expanded key schedule; resetting it cleanses that too.
  if (ctx_ != nullptr) EVP_CIPHER_CTX_reset(ctx_);
  sequence_ = 0;
  hs_header_length_ = 0;
  hs_body_left_ = 0;
  encrypt_then_mac_ = false;
}

DecryptStatus RecordDecryptor::Setup(const CipherSuiteInfo& suite) {
  if (ctx_ == nullptr) return DecryptStatus::kCryptoError;
  if (cipher_ == nullptr || fetched_cipher_ != suite.cipher) {
    EVP_CIPHER_free(cipher_);
    cipher_ = EVP_CIPHER_fetch(nullptr, CipherName(suite.cipher), nullptr);
    fetched_cipher_ = suite.cipher;
    if (cipher_ == nullptr) return DecryptStatus::kCryptoError;
  }
  if (!suite.aead && hmac_ == nullptr) {
    hmac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (hmac_ != nullptr) mac_ctx_ = EVP_MAC_CTX_new(hmac_);
    if (mac_ctx_ == nullptr) return DecryptStatus::kCryptoError;
  }
  if (EVP_DecryptInit_ex2(ctx_, cipher_, keys_.key.data(), nullptr, nullptr) != 1) {
    return DecryptStatus::kCryptoError;
  }
  suite_ = &suite;
  return DecryptStatus::kOk;
}

DecryptStatus RecordDecryptor::InitTls12(uint16_t suite_id, const TrafficKeys& keys,
                                         bool encrypt_then_mac) {
  Reset();
  const CipherSuiteInfo* suite = FindCipherSuite(suite_id);
  if (suite == nullptr || suite->tls13) return DecryptStatus::kUnsupportedSuite;
  if (keys.key_length != suite->key_length || keys.iv_length != suite->fixed_iv_length ||
      keys.mac_key_length != suite->mac_key_length) {
    return DecryptStatus::kBadKeys;
  }
  keys_ = keys;
  encrypt_then_mac_ = encrypt_then_mac && !suite->aead;
  DecryptStatus s = Setup(*suite);
  if (s != DecryptStatus::kOk) Reset();
  return s;
}

DecryptStatus RecordDecryptor::InitTls13(uint16_t suite_id, ByteView traffic_secret) {
  Reset();
  const CipherSuiteInfo* suite = FindCipherSuite(suite_id);
  if (suite == nullptr || !suite->tls13) return DecryptStatus::kUnsupportedSuite;
  if (!DeriveTls13TrafficKeys(*suite, traffic_secret, keys_)) return DecryptStatus::kBadKeys;
  if (!traffic_secret_.Assign(traffic_secret)) return DecryptStatus::kBadKeys;
  DecryptStatus s = Setup(*suite);
  if (s != DecryptStatus::kOk) Reset();
  return s;
}

DecryptStatus RecordDecryptor::Ratchet() {
  const CipherSuiteInfo* suite = suite_;
  Secret next;
  if (!NextTls13TrafficSecret(suite->prf, traffic_secret_.view(), next) ||
      !DeriveTls13TrafficKeys(*suite, next.view(), keys_)) {
    Reset();
    return DecryptStatus::kCryptoError;
  }
  traffic_secret_ = next;
  if (EVP_DecryptInit_ex2(ctx_, nullptr, keys_.key.data(), nullptr, nullptr) != 1) {
    Reset();
    return DecryptStatus::kCryptoError;
  }
  sequence_ = 0;
  ++key_updates_;
  return DecryptStatus::kOk;
}

bool RecordDecryptor::ScanHandshake(ByteView bytes) {
  bool key_update = false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (hs_body_left_ > 0) {
      size_t skip = std::min<size_t>(hs_body_left_, bytes.size() - pos);
      hs_body_left_ -= static_cast<uint32_t>(skip);
      pos += skip;
      if (hs_body_left_ == 0 && hs_header_[0] == kHandshakeKeyUpdate) key_update = true;
      continue;
    }
    hs_header_[hs_header_length_++] = bytes[pos++];
    if (hs_header_length_ < hs_header_.size()) continue;
    hs_header_length_ = 0;
    hs_body_left_ = uint32_t{hs_header_[1]} << 16 | uint32_t{hs_header_[2]} << 8 | hs_header_[3];
    if (hs_body_left_ == 0 && hs_header_[0] == kHandshakeKeyUpdate) key_update = true;
  }
  return key_update;
}

DecryptStatus RecordDecryptor::Decrypt(ByteView record, std::span<uint8_t> out,
                                       DecryptedRecord& result) {
  result = DecryptedRecord{};
  if (suite_ == nullptr) return DecryptStatus::kNoKeys;
  if (record.size() < kHeaderLength) return DecryptStatus::kBadRecordHeader;
  size_t length = Be16(record.data() + 3);
  if (record.size() != kHeaderLength + length) return DecryptStatus::kBadRecordHeader;
  if (length > kMaxRecordLength) return DecryptStatus::kRecordTooLong;
  ByteView header = record.first(kHeaderLength);
  ByteView body = record.subspan(kHeaderLength);
  if (suite_->tls13 && header[0] == kChangeCipherSpec) {
    if (out.size() < body.size()) return DecryptStatus::kOutputTooSmall;
    std::copy(body.begin(), body.end(), out.begin());
    result.content_type = kChangeCipherSpec;
    result.plaintext = ByteView(out.data(), body.size());
    return DecryptStatus::kOk;
  }
  if (out.size() < body.size()) return DecryptStatus::kOutputTooSmall;
  DecryptStatus s =
      suite_->aead ? DecryptAead(header, body, out, result) : DecryptCbc(header, body, out, result);
  if (s == DecryptStatus::kNoContentType) {
    // Authentic, so the peer used up this sequence number; only its content is unusable.
    ++sequence_;
  }
  if (s != DecryptStatus::kOk) {
    result = DecryptedRecord{};
    return s;
  }
  result.sequence = sequence_++;
  if (suite_->tls13 && result.content_type == kHandshake && ScanHandshake(result.plaintext)) {
    result.key_update = true;
    return Ratchet();
  }
  return DecryptStatus::kOk;
}

DecryptStatus RecordDecryptor::DecryptAead(ByteView header, ByteView body, std::span<uint8_t> out,
                                           DecryptedRecord& result) {
  const bool tls13 = suite_->tls13;
  const bool explicit_nonce = !tls13 && suite_->fixed_iv_length == 4;  // TLS 1.2 AES-GCM
  const size_t overhead = kAeadTagLength + (explicit_nonce ? kGcmExplicitNonce : 0);
  if (body.size() < overhead + (tls13 ? 1 : 0)) return DecryptStatus::kRecordTooShort;
  const size_t ciphertext_length = body.size() - overhead;

  std::array<uint8_t, 12> nonce{};
  if (explicit_nonce) {
    std::copy_n(keys_.iv.data(), 4, nonce.data());
    std::copy_n(body.data(), kGcmExplicitNonce, nonce.data() + 4);
  } else {
    std::array<uint8_t, 8> seq{};
    PutBe64(sequence_, seq.data());
    std::copy_n(keys_.iv.data(), 12, nonce.data());
    for (size_t i = 0; i < 8; ++i) nonce[4 + i] ^= seq[i];
  }
  std::array<uint8_t, 13> aad{};
  size_t aad_length = 0;
  if (tls13) {
    std::copy(header.begin(), header.end(), aad.begin());
    aad_length = kHeaderLength;
  } else {
    PseudoHeader(sequence_, header.data(), ciphertext_length, aad.data());
    aad_length = aad.size();
  }
  const uint8_t* ciphertext = body.data() + (explicit_nonce ? kGcmExplicitNonce : 0);
  // The tag is copied because OpenSSL's ctrl takes a mutable pointer.
  std::array<uint8_t, kAeadTagLength> tag{};
  std::copy_n(ciphertext + ciphertext_length, kAeadTagLength, tag.data());

  int n = 0;
  int final_n = 0;
  if (EVP_DecryptInit_ex2(ctx_, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx_, nullptr, &n, aad.data(), static_cast<int>(aad_length)) != 1 ||
      EVP_DecryptUpdate(ctx_, out.data(), &n, ciphertext, static_cast<int>(ciphertext_length)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kAeadTagLength, tag.data()) != 1) {
    return DecryptStatus::kCryptoError;
  }
  if (EVP_DecryptFinal_ex(ctx_, out.data() + n, &final_n) != 1) {
    OPENSSL_cleanse(out.data(), ciphertext_length);
    return DecryptStatus::kBadRecordMac;
  }
  size_t plain = ciphertext_length;
  if (tls13) {
    // TLSInnerPlaintext: content, then the real type, then zero padding.
    while (plain > 0 && out[plain - 1] == 0) --plain;
    if (plain == 0) return DecryptStatus::kNoContentType;
    result.content_type = out[--plain];
  } else {
    result.content_type = header[0];
  }
  result.plaintext = ByteView(out.data(), plain);
  return DecryptStatus::kOk;
}

bool RecordDecryptor::Mac(const uint8_t* pseudo_header, ByteView part1, ByteView part2,
                          uint8_t* digest) {
  const char* name = DigestName(suite_->mac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name), 0),
      OSSL_PARAM_construct_end(),
  };
  size_t n = 0;
  return EVP_MAC_init(mac_ctx_, keys_.mac_key.data(), keys_.mac_key_length, params) == 1 &&
         EVP_MAC_update(mac_ctx_, pseudo_header, 13) == 1 &&
         EVP_MAC_update(mac_ctx_, part1.data(), part1.size()) == 1 &&
         EVP_MAC_update(mac_ctx_, part2.data(), part2.size()) == 1 &&
         EVP_MAC_final(mac_ctx_, digest, &n, HashLength(suite_->mac)) == 1 &&
         n == HashLength(suite_->mac);
}

DecryptStatus RecordDecryptor::DecryptCbc(ByteView header, ByteView body, std::span<uint8_t> out,
                                          DecryptedRecord& result) {
  const size_t mac_length = HashLength(suite_->mac);
  std::array<uint8_t, 48> expected{};
  std::array<uint8_t, 13> pseudo{};
  ByteView encrypted = body;  // explicit IV + CBC blocks
  if (encrypt_then_mac_) {
    if (body.size() < mac_length) return DecryptStatus::kRecordTooShort;
    encrypted = body.first(body.size() - mac_length);
    PseudoHeader(sequence_, header.data(), encrypted.size(), pseudo.data());
    if (!Mac(pseudo.data(), encrypted, {}, expected.data())) return DecryptStatus::kCryptoError;
    if (CRYPTO_memcmp(expected.data(), body.data() + encrypted.size(), mac_length) != 0) {
      return DecryptStatus::kBadRecordMac;
    }
  }
  // At least the IV and one block; with MAC-then-encrypt the block must hold MAC and padding.
  if (encrypted.size() < 2 * kCbcBlock || encrypted.size() % kCbcBlock != 0) {
    return DecryptStatus::kRecordTooShort;
  }
  const size_t blocks_length = encrypted.size() - kCbcBlock;
  if (!encrypt_then_mac_ && blocks_length < mac_length + 1) return DecryptStatus::kRecordTooShort;
  int n = 0;
  if (EVP_DecryptInit_ex2(ctx_, nullptr, nullptr, encrypted.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx_, 0) != 1 ||
      EVP_DecryptUpdate(ctx_, out.data(), &n, encrypted.data() + kCbcBlock,
                        static_cast<int>(blocks_length)) != 1 ||
      static_cast<size_t>(n) != blocks_length) {
    return DecryptStatus::kCryptoError;
  }
  // Padding: its length byte last, preceded by that many copies of itself (RFC 5246 6.2.3.2).
  const uint8_t pad = out[blocks_length - 1];
  const size_t trailer = size_t{pad} + 1 + (encrypt_then_mac_ ? 0 : mac_length);
  if (trailer > blocks_length) return DecryptStatus::kBadPadding;
  for (size_t i = blocks_length - 1 - pad; i < blocks_length - 1; ++i) {
    if (out[i] != pad) return DecryptStatus::kBadPadding;
  }
  const size_t plain = blocks_length - trailer;
  if (!encrypt_then_mac_) {
    PseudoHeader(sequence_, header.data(), plain, pseudo.data());
    if (!Mac(pseudo.data(), ByteView(out.data(), plain), {}, expected.data())) {
      return DecryptStatus::kCryptoError;
    }
    if (CRYPTO_memcmp(expected.data(), out.data() + plain, mac_length) != 0) {
      OPENSSL_cleanse(out.data(), blocks_length);
      return DecryptStatus::kBadRecordMac;
    }
  }
  result.content_type = header[0];
  result.plaintext = ByteView(out.data(), plain);
  return DecryptStatus::kOk;
}

}  // namespace bw::tls
