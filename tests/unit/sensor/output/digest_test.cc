#include "sensor/output/digest.h"

#include <gtest/gtest.h>

#include <string>

#include "dissectors/common/hex.h"

namespace bw::output {
namespace {

std::string Hex(Digest& d, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t n = d.Compute(data, out);
  std::string hex;
  AppendHex(hex, std::string_view(reinterpret_cast<const char*>(out), n));
  return hex;
}

// FIPS 180-2 appendix test vectors; each context is used again and again, as the callers do.
TEST(Digest, MatchesTheStandardVectorsOnEveryReuse) {
  Digest sha256("SHA256");
  Digest sha1("SHA1");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Hex(sha256, "abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hex(sha256, ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(sha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  }
}

TEST(Digest, AnAlgorithmOpenSslLacksGivesNoDigest) {
  Digest none("NO-SUCH-DIGEST");
  unsigned char out[EVP_MAX_MD_SIZE];
  EXPECT_EQ(none.Compute("abc", out), 0u);
}

}  // namespace
}  // namespace bw::output
