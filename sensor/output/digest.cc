#include "sensor/output/digest.h"

namespace bw::output {

Digest::Digest(const char* algorithm)
    : md_(EVP_MD_fetch(nullptr, algorithm, nullptr)), ctx_(EVP_MD_CTX_new()) {}

Digest::~Digest() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

size_t Digest::Compute(std::string_view data, unsigned char* out) {
  unsigned int len = 0;
  if (md_ == nullptr || ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
      EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_, out, &len) != 1) {
    return 0;
  }
  return len;
}

}  // namespace bw::output
