#pragma once
// From logged secrets to record keys: the TLS 1.2 key block (RFC 5246 section 6.3, PRF of
// section 5 with the suite's hash) and TLS 1.3 traffic keys (RFC 8446 section 7.3,
// HKDF-Expand-Label), including the KeyUpdate ratchet (section 7.2, "traffic upd").
//
// Guarantees: pure functions of their inputs (no I/O, clock, globals or exceptions); the
// primitives are OpenSSL's EVP_KDF "TLS1-PRF" and "HKDF" (expand only), nothing hand-written.
// Intermediate key material is cleansed before returning, and TrafficKeys cleanses itself on
// destruction. A false return leaves no partial key behind (the output is wiped).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dissectors/common/bytes.h"
#include "dissectors/tls/cipher_suite.h"
#include "dissectors/tls/key_log.h"

namespace bw::tls {

// The keys one direction writes with.
struct TrafficKeys {
  std::array<uint8_t, 48> mac_key{};  // CBC suites only
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 12> iv{};  // TLS 1.3 and TLS 1.2 AEAD; empty for CBC
  uint8_t mac_key_length = 0;
  uint8_t key_length = 0;
  uint8_t iv_length = 0;

  TrafficKeys() = default;
  TrafficKeys(const TrafficKeys&) = default;
  TrafficKeys& operator=(const TrafficKeys&) = default;
  ~TrafficKeys() { Wipe(); }
  void Wipe();
};

struct Tls12KeyBlock {
  TrafficKeys client_write;
  TrafficKeys server_write;
};

// TLS 1.2 key_block = PRF(master_secret, "key expansion", server_random + client_random), cut
// into MAC keys, encryption keys and implicit IVs (RFC 5246 6.3, RFC 5288 3, RFC 7905 2).
[[nodiscard]] bool DeriveTls12KeyBlock(const CipherSuiteInfo& suite, ByteView master_secret,
                                       ByteView client_random, ByteView server_random,
                                       Tls12KeyBlock& out);

// HKDF-Expand-Label(secret, label, context, out.size()) with the "tls13 " prefix.
[[nodiscard]] bool HkdfExpandLabel(HashAlgorithm hash, ByteView secret, std::string_view label,
                                   ByteView context, std::span<uint8_t> out);

// TLS 1.3 write key and IV from a traffic secret (handshake, application or early).
[[nodiscard]] bool DeriveTls13TrafficKeys(const CipherSuiteInfo& suite, ByteView traffic_secret,
                                          TrafficKeys& out);

// application_traffic_secret_N+1 from _N (the KeyUpdate ratchet); `next` has the hash's size.
[[nodiscard]] bool NextTls13TrafficSecret(HashAlgorithm hash, ByteView secret, Secret& next);

}  // namespace bw::tls
