// libFuzzer target for the TLS record decryptor (issue 19). Input: suite selector (1 byte),
// flags (1 byte: bit 0 encrypt_then_mac, bit 1 seal mode), 48 bytes of key material, then:
//  - normal mode: a stream of records (header + declared body, the last one possibly cut),
//    each handed to Decrypt as it stands. No forged record can pass authentication, so this
//    checks the framing, length and padding paths: a failure yields no plaintext and keeps the
//    sequence number; a success stays inside the caller's buffer.
//  - seal mode (TLS 1.3 suites): pieces `len:1 | inner plaintext`, each sealed here with
//    OpenSSL under the same keys as a real peer would (following its own KeyUpdates), then
//    decrypted: every piece must come back, minus its content type and zero padding, so the
//    inner-plaintext parsing and the KeyUpdate walker run on fuzzer-chosen data.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dissectors/tls/key_schedule.h"
#include "dissectors/tls/record_decryptor.h"

namespace {

constexpr uint16_t kSuites[] = {0x1301, 0x1302, 0x1303, 0xC02B, 0xC02C, 0xCCA9,
                                0xC009, 0xC00A, 0xC023, 0xC024, 0x003D, 0x0000};

const char* CipherName(bw::tls::BulkCipher c) {
  switch (c) {
    case bw::tls::BulkCipher::kAes128Gcm:
      return "AES-128-GCM";
    case bw::tls::BulkCipher::kAes256Gcm:
      return "AES-256-GCM";
    default:
      return "ChaCha20-Poly1305";
  }
}

// Seals one TLS 1.3 record of `inner` (content + type + padding) with sequence `seq`.
std::vector<uint8_t> Seal13(const bw::tls::CipherSuiteInfo& suite, const bw::tls::TrafficKeys& k,
                            uint64_t seq, bw::ByteView inner) {
  std::vector<uint8_t> rec = {23, 3, 3, 0, 0};
  size_t len = inner.size() + 16;
  rec[3] = static_cast<uint8_t>(len >> 8);
  rec[4] = static_cast<uint8_t>(len);
  std::array<uint8_t, 12> nonce{};
  std::copy_n(k.iv.data(), 12, nonce.data());
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, CipherName(suite.cipher), nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  rec.resize(5 + len);
  int n = 0;
  int f = 0;
  if (EVP_EncryptInit_ex2(ctx, cipher, k.key.data(), nonce.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &n, rec.data(), 5) != 1 ||
      EVP_EncryptUpdate(ctx, rec.data() + 5, &n, inner.data(), static_cast<int>(inner.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx, rec.data() + 5 + n, &f) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, rec.data() + 5 + inner.size()) != 1) {
    std::abort();
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return rec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 50) return 0;
  const uint16_t suite_id = kSuites[data[0] % (sizeof kSuites / sizeof kSuites[0])];
  const bool etm = data[1] & 1;
  const bool seal = data[1] & 2;
  bw::ByteView material(data + 2, 48);
  bw::ByteView rest(data + 50, size - 50);
  const bw::tls::CipherSuiteInfo* suite = bw::tls::FindCipherSuite(suite_id);

  bw::tls::RecordDecryptor d;
  bw::tls::DecryptStatus init = bw::tls::DecryptStatus::kUnsupportedSuite;
  bw::tls::Secret secret;  // the sealing peer's current TLS 1.3 secret
  if (suite != nullptr && suite->tls13) {
    if (!secret.Assign(material.first(bw::tls::HashLength(suite->prf)))) std::abort();
    init = d.InitTls13(suite_id, secret.view());
  } else if (suite != nullptr) {
    std::array<uint8_t, 32> cr{}, sr{};
    sr.fill(1);
    bw::tls::Tls12KeyBlock block;
    if (!bw::tls::DeriveTls12KeyBlock(*suite, material, cr, sr, block)) std::abort();
    init = d.InitTls12(suite_id, block.client_write, etm);
  } else {
    init = d.InitTls12(suite_id, bw::tls::TrafficKeys{}, etm);
  }
  if ((init == bw::tls::DecryptStatus::kOk) != (suite != nullptr)) std::abort();

  std::vector<uint8_t> buffer(bw::tls::kMaxPlaintextBuffer);
  bw::tls::DecryptedRecord out;
  size_t pos = 0;
  if (seal && suite != nullptr && suite->tls13) {
    bw::tls::TrafficKeys keys;
    if (!bw::tls::DeriveTls13TrafficKeys(*suite, secret.view(), keys)) std::abort();
    uint64_t seq = 0;
    for (int records = 0; records < 64 && pos < rest.size(); ++records) {
      size_t len = std::min<size_t>(rest[pos], rest.size() - pos - 1);
      bw::ByteView inner = rest.subspan(pos + 1, len);
      pos += 1 + len;
      if (inner.empty()) {  // no peer sends this: TLSInnerPlaintext has at least its type
        std::vector<uint8_t> rec = Seal13(*suite, keys, seq, inner);
        if (d.Decrypt(rec, buffer, out) != bw::tls::DecryptStatus::kRecordTooShort) std::abort();
        continue;
      }
      std::vector<uint8_t> rec = Seal13(*suite, keys, seq++, inner);
      bw::tls::DecryptStatus s = d.Decrypt(rec, buffer, out);
      size_t content = inner.size();
      while (content > 0 && inner[content - 1] == 0) --content;
      if (content == 0) {  // all padding, no content type
        if (s != bw::tls::DecryptStatus::kNoContentType) std::abort();
        continue;
      }
      if (s != bw::tls::DecryptStatus::kOk || out.content_type != inner[content - 1] ||
          out.plaintext.size() != content - 1 ||
          !std::equal(out.plaintext.begin(), out.plaintext.end(), inner.begin())) {
        std::abort();
      }
      if (out.key_update) {  // the peer moved to its next secret after this record
        if (!bw::tls::NextTls13TrafficSecret(suite->prf, secret.view(), secret) ||
            !bw::tls::DeriveTls13TrafficKeys(*suite, secret.view(), keys)) {
          std::abort();
        }
        seq = 0;
      }
    }
    return 0;
  }
  for (int records = 0; records < 64 && pos < rest.size(); ++records) {
    size_t len = rest.size() - pos >= 5 ? size_t{rest[pos + 3]} << 8 | rest[pos + 4] : 0;
    size_t take = std::min(5 + len, rest.size() - pos);
    bw::ByteView record = rest.subspan(pos, take);
    pos += take;
    uint64_t before = d.sequence();
    bw::tls::DecryptStatus s = d.Decrypt(record, buffer, out);
    if (s == bw::tls::DecryptStatus::kOk) {
      if (out.plaintext.data() < buffer.data() ||
          out.plaintext.data() + out.plaintext.size() > buffer.data() + buffer.size() ||
          out.plaintext.size() + 5 > record.size()) {
        std::abort();
      }
    } else if (!out.plaintext.empty() || d.sequence() != before) {
      std::abort();
    }
  }
  return 0;
}
