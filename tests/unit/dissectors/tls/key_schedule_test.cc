#include "dissectors/tls/key_schedule.h"

#include <gtest/gtest.h>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::FromHex;

Bytes KeyOf(const TrafficKeys& k) { return Bytes(k.key.begin(), k.key.begin() + k.key_length); }
Bytes IvOf(const TrafficKeys& k) { return Bytes(k.iv.begin(), k.iv.begin() + k.iv_length); }

struct Rfc8448Keys {
  const char* what;
  const char* secret;
  const char* key;
  const char* iv;
};

// RFC 8448 section 3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256): each traffic secret
// ("expanded" of "derive secret tls13 {c,s} {hs,ap} traffic") and the key and IV derived from it
// ("derive write traffic keys for ... data").
const Rfc8448Keys kRfc8448[] = {
    {"server handshake",
     "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad "
     "38",
     "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc", "5d 31 3e b2 67 12 76 ee 13 00 0b 30"},
    {"client handshake",
     "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a "
     "21",
     "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01", "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"},
    {"server application",
     "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 "
     "43",
     "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56", "cf 78 2b 88 dd 83 54 9a ad f1 e9 84"},
    {"client application",
     "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 "
     "a5",
     "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51", "5b 78 92 3d ee 08 57 90 33 e5 23 d9"},
};

TEST(KeyScheduleTest, Tls13TrafficKeysMatchRfc8448) {
  const CipherSuiteInfo* suite = FindCipherSuite(0x1301);
  ASSERT_NE(suite, nullptr);
  for (const Rfc8448Keys& v : kRfc8448) {
    Bytes secret = FromHex(v.secret);
    TrafficKeys keys;
    ASSERT_TRUE(DeriveTls13TrafficKeys(*suite, ByteView(secret), keys)) << v.what;
    EXPECT_EQ(KeyOf(keys), FromHex(v.key)) << v.what;
    EXPECT_EQ(IvOf(keys), FromHex(v.iv)) << v.what;
    EXPECT_EQ(keys.mac_key_length, 0);
  }
}

TEST(KeyScheduleTest, HkdfExpandLabelMatchesRfc8448Finished) {
  // RFC 8448 section 3, {server} calculate finished "tls13 finished": expanded from the server
  // handshake traffic secret with an empty context.
  Bytes secret = FromHex(kRfc8448[0].secret);
  Bytes out(32);
  ASSERT_TRUE(HkdfExpandLabel(HashAlgorithm::kSha256, ByteView(secret), "finished", {}, out));
  EXPECT_EQ(out, FromHex("00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 "
                         "f2 88 a1 d8 cd c1 9f c8"));
}

TEST(KeyScheduleTest, Tls13RefusesAWrongSizedSecretOrSuite) {
  const CipherSuiteInfo* sha384 = FindCipherSuite(0x1302);
  Bytes secret = FromHex(kRfc8448[0].secret);  // 32 bytes; TLS_AES_256_GCM_SHA384 needs 48
  TrafficKeys keys;
  EXPECT_FALSE(DeriveTls13TrafficKeys(*sha384, ByteView(secret), keys));
  EXPECT_EQ(keys.key_length, 0);
  EXPECT_FALSE(DeriveTls13TrafficKeys(*FindCipherSuite(0xC02F), ByteView(secret), keys));
  Bytes secret48(48, 7);
  ASSERT_TRUE(DeriveTls13TrafficKeys(*sha384, ByteView(secret48), keys));
  EXPECT_EQ(keys.key_length, 32);
  EXPECT_EQ(keys.iv_length, 12);
}

TEST(KeyScheduleTest, KeyUpdateRatchetIsHkdfExpandLabelTrafficUpd) {
  Bytes secret = FromHex(kRfc8448[2].secret);
  Secret next;
  ASSERT_TRUE(NextTls13TrafficSecret(HashAlgorithm::kSha256, ByteView(secret), next));
  Bytes expect(32);
  ASSERT_TRUE(HkdfExpandLabel(HashAlgorithm::kSha256, ByteView(secret), "traffic upd", {}, expect));
  EXPECT_TRUE(next.Equals(ByteView(expect)));
  EXPECT_NE(expect, secret);
  // Ratcheting in place (the next secret written over the one it came from) works.
  Secret again = next;
  ASSERT_TRUE(NextTls13TrafficSecret(HashAlgorithm::kSha256, again.view(), again));
  EXPECT_EQ(again.size(), 32u);
  EXPECT_FALSE(again.Equals(next.view()));
}

TEST(KeyScheduleTest, Tls12KeyBlockLayoutPerSuite) {
  Bytes master(48, 0x11), client_random(32, 0x22), server_random(32, 0x33);
  struct Case {
    uint16_t suite;
    uint8_t mac, key, iv;
  };
  for (Case c : {Case{0xC02F, 0, 16, 4}, Case{0xC030, 0, 32, 4}, Case{0xCCA8, 0, 32, 12},
                 Case{0xC013, 20, 16, 0}, Case{0x003D, 32, 32, 0}, Case{0xC028, 48, 32, 0}}) {
    const CipherSuiteInfo* suite = FindCipherSuite(c.suite);
    ASSERT_NE(suite, nullptr);
    Tls12KeyBlock block;
    ASSERT_TRUE(DeriveTls12KeyBlock(*suite, ByteView(master), ByteView(client_random),
                                    ByteView(server_random), block));
    EXPECT_EQ(block.client_write.mac_key_length, c.mac);
    EXPECT_EQ(block.client_write.key_length, c.key);
    EXPECT_EQ(block.server_write.iv_length, c.iv);
    EXPECT_NE(KeyOf(block.client_write), KeyOf(block.server_write));
  }
  // The randoms are not interchangeable: swapping them changes every key.
  const CipherSuiteInfo* gcm = FindCipherSuite(0xC02F);
  Tls12KeyBlock a, b;
  ASSERT_TRUE(DeriveTls12KeyBlock(*gcm, ByteView(master), ByteView(client_random),
                                  ByteView(server_random), a));
  ASSERT_TRUE(DeriveTls12KeyBlock(*gcm, ByteView(master), ByteView(server_random),
                                  ByteView(client_random), b));
  EXPECT_NE(KeyOf(a.client_write), KeyOf(b.client_write));
  EXPECT_FALSE(DeriveTls12KeyBlock(*gcm, ByteView(master).first(47), ByteView(client_random),
                                   ByteView(server_random), a));
  EXPECT_EQ(a.client_write.key_length, 0);
}

}  // namespace
}  // namespace bw::tls
