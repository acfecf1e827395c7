#pragma once
// The cipher suites this sensor can decrypt, and what each needs: the PRF or HKDF hash, the
// bulk cipher, the MAC, and the sizes the key schedule cuts keys into.
//
// Guarantees: a constant table; FindCipherSuite is pure and returns nullptr for any suite not in
// it (the caller counts that as unsupported_suite rather than guessing).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bw::tls {

enum class HashAlgorithm : uint8_t { kSha1, kSha256, kSha384 };
enum class BulkCipher : uint8_t {
  kAes128Gcm,
  kAes256Gcm,
  kChaCha20Poly1305,
  kAes128Cbc,
  kAes256Cbc
};

struct CipherSuiteInfo {
  uint16_t id;
  std::string_view name;  // the IANA name
  bool tls13;
  BulkCipher cipher;
  bool aead;
  HashAlgorithm mac;  // HMAC for the CBC suites; unused for AEAD
  HashAlgorithm prf;  // TLS 1.2 PRF hash, or TLS 1.3 HKDF hash
  uint8_t key_length;
  // TLS 1.2: the implicit (salt) IV from the key block (4 for GCM, 12 for ChaCha20, 0 for CBC
  // whose IV travels in each record); TLS 1.3: the 12-byte IV.
  uint8_t fixed_iv_length;
  uint8_t mac_key_length;  // 0 for AEAD
};

// Digest sizes, for MAC and secret lengths.
constexpr size_t HashLength(HashAlgorithm h) {
  return h == HashAlgorithm::kSha1 ? 20 : h == HashAlgorithm::kSha256 ? 32 : 48;
}

// OpenSSL's name for the digest (EVP_MD_fetch, the KDFs' digest parameter).
const char* DigestName(HashAlgorithm h);

const CipherSuiteInfo* FindCipherSuite(uint16_t id);

}  // namespace bw::tls
