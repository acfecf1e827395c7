#include "dissectors/tls/key_schedule.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

namespace bw::tls {
namespace {

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

// Runs the named KDF with `params` into `out`. OpenSSL's params take non-const pointers; none of
// the buffers passed are written.
bool Derive(const char* kdf_name, OSSL_PARAM* params, std::span<uint8_t> out) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, kdf_name, nullptr));
  if (!kdf) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return false;
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

void* Mutable(const void* p) { return const_cast<void*>(p); }

}  // namespace

void TrafficKeys::Wipe() {
  OPENSSL_cleanse(mac_key.data(), mac_key.size());
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(iv.data(), iv.size());
  mac_key_length = key_length = iv_length = 0;
}

bool DeriveTls12KeyBlock(const CipherSuiteInfo& suite, ByteView master_secret,
                         ByteView client_random, ByteView server_random, Tls12KeyBlock& out) {
  out.client_write.Wipe();
  out.server_write.Wipe();
  if (suite.tls13 || master_secret.size() != 48 || client_random.size() != 32 ||
      server_random.size() != 32) {
    return false;
  }
  static constexpr char kLabel[] = "key expansion";
  const size_t mac = suite.mac_key_length;
  const size_t key = suite.key_length;
  const size_t iv = suite.fixed_iv_length;
  std::array<uint8_t, 2 * (48 + 32 + 12)> block{};
  const size_t need = 2 * (mac + key + iv);
  const char* digest = DigestName(suite.prf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, Mutable(master_secret.data()),
                                        master_secret.size()),
      // Several seed parameters are concatenated: label, then server random, then client random.
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, Mutable(kLabel), sizeof kLabel - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, Mutable(server_random.data()), 32),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, Mutable(client_random.data()), 32),
      OSSL_PARAM_construct_end(),
  };
  if (!Derive("TLS1-PRF", params, std::span(block.data(), need))) {
    OPENSSL_cleanse(block.data(), block.size());
    return false;
  }
  const uint8_t* p = block.data();
  auto take = [&p](uint8_t* dst, size_t n) {
    std::copy_n(p, n, dst);
    p += n;
  };
  take(out.client_write.mac_key.data(), mac);
  take(out.server_write.mac_key.data(), mac);
  take(out.client_write.key.data(), key);
  take(out.server_write.key.data(), key);
  take(out.client_write.iv.data(), iv);
  take(out.server_write.iv.data(), iv);
  for (TrafficKeys* k : {&out.client_write, &out.server_write}) {
    k->mac_key_length = static_cast<uint8_t>(mac);
    k->key_length = static_cast<uint8_t>(key);
    k->iv_length = static_cast<uint8_t>(iv);
  }
  OPENSSL_cleanse(block.data(), block.size());
  return true;
}

bool HkdfExpandLabel(HashAlgorithm hash, ByteView secret, std::string_view label, ByteView context,
                     std::span<uint8_t> out) {
  static constexpr std::string_view kPrefix = "tls13 ";
  // HkdfLabel (RFC 8446 7.1): uint16 length, opaque label<7..255>, opaque context<0..255>.
  std::array<uint8_t, 2 + 1 + 255 + 1 + 255> info{};
  if (out.size() > 0xFFFF || kPrefix.size() + label.size() > 255 || context.size() > 255) {
    return false;
  }
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(out.size() >> 8);
  info[n++] = static_cast<uint8_t>(out.size());
  info[n++] = static_cast<uint8_t>(kPrefix.size() + label.size());
  n = std::copy(kPrefix.begin(), kPrefix.end(), info.begin() + n) - info.begin();
  n = std::copy(label.begin(), label.end(), info.begin() + n) - info.begin();
  info[n++] = static_cast<uint8_t>(context.size());
  n = std::copy(context.begin(), context.end(), info.begin() + n) - info.begin();

  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  const char* digest = DigestName(hash);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, Mutable(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), n),
      OSSL_PARAM_construct_end(),
  };
  if (!Derive("HKDF", params, out)) {
    OPENSSL_cleanse(out.data(), out.size());
    return false;
  }
  return true;
}

bool DeriveTls13TrafficKeys(const CipherSuiteInfo& suite, ByteView traffic_secret,
                            TrafficKeys& out) {
  out.Wipe();
  if (!suite.tls13 || traffic_secret.size() != HashLength(suite.prf)) return false;
  if (!HkdfExpandLabel(suite.prf, traffic_secret, "key", {},
                       std::span(out.key.data(), suite.key_length)) ||
      !HkdfExpandLabel(suite.prf, traffic_secret, "iv", {},
                       std::span(out.iv.data(), suite.fixed_iv_length))) {
    out.Wipe();
    return false;
  }
  out.key_length = suite.key_length;
  out.iv_length = suite.fixed_iv_length;
  return true;
}

bool NextTls13TrafficSecret(HashAlgorithm hash, ByteView secret, Secret& next) {
  std::array<uint8_t, kMaxSecretLength> buf{};
  size_t len = HashLength(hash);
  bool ok = secret.size() == len &&
            HkdfExpandLabel(hash, secret, "traffic upd", {}, std::span(buf.data(), len)) &&
            next.Assign(ByteView(buf.data(), len));
  OPENSSL_cleanse(buf.data(), buf.size());
  if (!ok) next.Wipe();
  return ok;
}

}  // namespace bw::tls
