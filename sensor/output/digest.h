#pragma once
// A message digest (SHA-1, SHA-256) for work done once per flow or per ledger line.
//
// OpenSSL 3's one-shot calls (SHA1(), EVP_Digest with EVP_sha256()) look the implementation up
// in the provider registry on every call: seven heap allocations for a SHA-1, three for a
// SHA-256. A Digest fetches its algorithm once and keeps its context, so a call costs the hash.
//
// Guarantees: Compute is deterministic and returns the digest length (at most EVP_MAX_MD_SIZE),
// or 0 when OpenSSL fails (no provider offers the algorithm, no memory), as EVP_Digest's
// callers saw before. One Digest per thread: the context is not shared.

#include <openssl/evp.h>

#include <cstddef>
#include <string_view>

namespace bw::output {

class Digest {
 public:
  explicit Digest(const char* algorithm);  // an OpenSSL name: "SHA1", "SHA256"
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  // Writes the digest of `data` to `out` (EVP_MAX_MD_SIZE bytes of room) and returns its length.
  size_t Compute(std::string_view data, unsigned char* out);

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace bw::output
