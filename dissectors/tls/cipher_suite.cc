#include "dissectors/tls/cipher_suite.h"

#include <array>

namespace bw::tls {
namespace {

using H = HashAlgorithm;
using C = BulkCipher;

// TLS 1.2 suites as registered by IANA (RFC 5246, 5288, 5289, 7905); TLS 1.3 from RFC 8446 B.4.
// The key exchange does not matter here (the master secret comes from the key log), so RSA,
// DHE and ECDHE variants of one bulk cipher and MAC share a row shape.
constexpr std::array<CipherSuiteInfo, 27> kSuites = {{
    {0x1301, "TLS_AES_128_GCM_SHA256", true, C::kAes128Gcm, true, H::kSha256, H::kSha256, 16, 12,
     0},
    {0x1302, "TLS_AES_256_GCM_SHA384", true, C::kAes256Gcm, true, H::kSha384, H::kSha384, 32, 12,
     0},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, C::kChaCha20Poly1305, true, H::kSha256,
     H::kSha256, 32, 12, 0},
    // AES-GCM (RFC 5288, 5289)
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", false, C::kAes128Gcm, true, H::kSha256, H::kSha256,
     16, 4, 0},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", false, C::kAes256Gcm, true, H::kSha384, H::kSha384,
     32, 4, 0},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", false, C::kAes128Gcm, true, H::kSha256,
     H::kSha256, 16, 4, 0},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false, C::kAes256Gcm, true, H::kSha384,
     H::kSha384, 32, 4, 0},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, C::kAes128Gcm, true, H::kSha256,
     H::kSha256, 16, 4, 0},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, C::kAes256Gcm, true, H::kSha384,
     H::kSha384, 32, 4, 0},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, C::kAes128Gcm, true, H::kSha256,
     H::kSha256, 16, 4, 0},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, C::kAes256Gcm, true, H::kSha384,
     H::kSha384, 32, 4, 0},
    // ChaCha20-Poly1305 (RFC 7905)
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, C::kChaCha20Poly1305, true,
     H::kSha256, H::kSha256, 32, 12, 0},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, C::kChaCha20Poly1305, true,
     H::kSha256, H::kSha256, 32, 12, 0},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, C::kChaCha20Poly1305, true,
     H::kSha256, H::kSha256, 32, 12, 0},
    // CBC with HMAC (RFC 5246, 4492, 5289): the PRF is SHA-256 unless the MAC is SHA-384.
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", false, C::kAes128Cbc, false, H::kSha1, H::kSha256, 16,
     0, 20},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", false, C::kAes256Cbc, false, H::kSha1, H::kSha256, 32,
     0, 20},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", false, C::kAes128Cbc, false, H::kSha256, H::kSha256,
     16, 0, 32},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", false, C::kAes256Cbc, false, H::kSha256, H::kSha256,
     32, 0, 32},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, C::kAes128Cbc, false, H::kSha1,
     H::kSha256, 16, 0, 20},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, C::kAes256Cbc, false, H::kSha1,
     H::kSha256, 32, 0, 20},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, C::kAes128Cbc, false, H::kSha1,
     H::kSha256, 16, 0, 20},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, C::kAes256Cbc, false, H::kSha1,
     H::kSha256, 32, 0, 20},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", false, C::kAes128Cbc, false, H::kSha256,
     H::kSha256, 16, 0, 32},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", false, C::kAes256Cbc, false, H::kSha384,
     H::kSha384, 32, 0, 48},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, C::kAes128Cbc, false, H::kSha256,
     H::kSha256, 16, 0, 32},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, C::kAes256Cbc, false, H::kSha384,
     H::kSha384, 32, 0, 48},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", false, C::kAes128Cbc, false, H::kSha256,
     H::kSha256, 16, 0, 32},
}};

}  // namespace

const char* DigestName(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::kSha1:
      return "SHA1";
    case HashAlgorithm::kSha256:
      return "SHA256";
    case HashAlgorithm::kSha384:
      return "SHA384";
  }
  return "SHA256";
}

const CipherSuiteInfo* FindCipherSuite(uint16_t id) {
  for (const CipherSuiteInfo& s : kSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace bw::tls
