#include "sensor/output/community_id.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <string_view>
#include <tuple>

#include "sensor/output/digest.h"

namespace bw::output {

std::string CommunityId(const decode::IpAddress& src, uint16_t src_port,
                        const decode::IpAddress& dst, uint16_t dst_port, uint8_t proto,
                        uint16_t seed) {
  // Order the endpoints so that the smaller (address, port) comes first, as the spec requires.
  const decode::IpAddress* a = &src;
  const decode::IpAddress* b = &dst;
  uint16_t pa = src_port, pb = dst_port;
  int cmp = std::memcmp(a->bytes.data(), b->bytes.data(), a->size());
  if (cmp > 0 || (cmp == 0 && pa > pb)) {
    std::swap(a, b);
    std::swap(pa, pb);
  }
  uint8_t buf[2 + 16 + 16 + 2 + 2 + 2];
  size_t n = 0;
  buf[n++] = static_cast<uint8_t>(seed >> 8);
  buf[n++] = static_cast<uint8_t>(seed);
  std::memcpy(buf + n, a->bytes.data(), a->size());
  n += a->size();
  std::memcpy(buf + n, b->bytes.data(), b->size());
  n += b->size();
  buf[n++] = proto;
  buf[n++] = 0;
  buf[n++] = static_cast<uint8_t>(pa >> 8);
  buf[n++] = static_cast<uint8_t>(pa);
  buf[n++] = static_cast<uint8_t>(pb >> 8);
  buf[n++] = static_cast<uint8_t>(pb);
  // Once per connection on every worker.
  thread_local Digest sha1("SHA1");
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (sha1.Compute(std::string_view(reinterpret_cast<const char*>(buf), n), digest) !=
      SHA_DIGEST_LENGTH) {
    return {};
  }
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int b64_len = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  std::string out;
  out.reserve(2 + b64_len);
  out.append("1:").append(reinterpret_cast<const char*>(b64), b64_len);
  return out;
}

}  // namespace bw::output
