#include "dissectors/tls/server_hello.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::Put;

Bytes Hello(bool tls13, uint16_t suite, bool retry, size_t key_share = 36) {
  Bytes body;
  Put(body, 0x0303, 2);
  for (int i = 0; i < 32; ++i) {
    static const uint8_t kRetry[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                       0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                       0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                       0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    body.push_back(retry ? kRetry[i] : static_cast<uint8_t>(i));
  }
  body.push_back(0);  // empty session id
  Put(body, suite, 2);
  body.push_back(0);
  Bytes ext;
  if (tls13) {
    Put(ext, 43, 2);
    Put(ext, 2, 2);
    Put(ext, 0x0304, 2);
    Put(ext, 51, 2);
    Put(ext, static_cast<uint32_t>(key_share), 2);
    ext.insert(ext.end(), key_share, 1);
  }
  if (!ext.empty()) {
    Put(body, static_cast<uint32_t>(ext.size()), 2);
    body.insert(body.end(), ext.begin(), ext.end());
  }
  Bytes msg{2};
  Put(msg, static_cast<uint32_t>(body.size()), 3);
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

ServerHelloScanner::Status Scan(const Bytes& b, ServerHelloFacts& facts, size_t split) {
  ServerHelloScanner s;
  ByteView v(b.data(), b.size());
  s.Feed(v.first(split));
  auto status = s.Feed(v.subspan(split));
  facts = s.facts();
  return status;
}

TEST(ServerHelloScannerTest, Tls13AtEverySplit) {
  Bytes b = Hello(true, 0x1302, false, 1124);
  Bytes tail = {11, 0, 0, 3, 1, 2, 3};  // a following Certificate message is ignored
  b.insert(b.end(), tail.begin(), tail.end());
  for (size_t split = 0; split <= b.size(); ++split) {
    ServerHelloFacts f;
    ASSERT_EQ(Scan(b, f, split), ServerHelloScanner::Status::kComplete) << split;
    ASSERT_TRUE(f.tls13());
    ASSERT_EQ(f.cipher_suite, 0x1302);
    ASSERT_FALSE(f.hello_retry_seen);
  }
}

TEST(ServerHelloScannerTest, Tls12WithAndWithoutExtensions) {
  ServerHelloFacts f;
  EXPECT_EQ(Scan(Hello(false, 0xC02F, false), f, 10), ServerHelloScanner::Status::kComplete);
  EXPECT_FALSE(f.tls13());
  EXPECT_EQ(f.cipher_suite, 0xC02F);
  EXPECT_EQ(f.legacy_version, 0x0303);
}

TEST(ServerHelloScannerTest, HelloRetryRequestThenServerHello) {
  Bytes b = Hello(true, 0x1301, true);
  Bytes real = Hello(true, 0x1301, false);
  b.insert(b.end(), real.begin(), real.end());
  for (size_t split = 0; split <= b.size(); ++split) {
    ServerHelloFacts f;
    ASSERT_EQ(Scan(b, f, split), ServerHelloScanner::Status::kComplete) << split;
    ASSERT_TRUE(f.hello_retry_seen);
    ASSERT_TRUE(f.tls13());
  }
  ServerHelloScanner only_retry;
  Bytes r = Hello(true, 0x1301, true);
  EXPECT_EQ(only_retry.Feed(ByteView(r.data(), r.size())), ServerHelloScanner::Status::kNeedMore);
}

TEST(ServerHelloScannerTest, MalformedIsInvalid) {
  Bytes twice = Hello(true, 0x1301, true);
  Bytes again = Hello(true, 0x1301, true);
  twice.insert(twice.end(), again.begin(), again.end());
  Bytes not_hello = Hello(true, 0x1301, false);
  not_hello[0] = 11;
  Bytes bad_ext = Hello(true, 0x1301, false);
  bad_ext[4 + 2 + 32 + 1 + 2 + 1 + 1] ^= 0x10;  // extensions length disagrees with the message
  Bytes short_msg = {2, 0, 0, 10, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  for (const Bytes& b : {twice, not_hello, bad_ext, short_msg}) {
    ServerHelloScanner s;
    EXPECT_EQ(s.Feed(ByteView(b.data(), b.size())), ServerHelloScanner::Status::kInvalid);
  }
  ServerHelloScanner gap;
  Bytes b = Hello(true, 0x1301, false);
  gap.Feed(ByteView(b.data(), 10));
  gap.Gap();
  EXPECT_EQ(gap.status(), ServerHelloScanner::Status::kInvalid);
}

TEST(ServerHelloScannerTest, RandomAndTls12ExtensionsForDecryption) {
  Bytes body;
  Put(body, 0x0303, 2);
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(0x40 + i));
  body.push_back(0);
  Put(body, 0xC013, 2);
  body.push_back(0);
  Bytes ext;
  Put(ext, 0xFF01, 2);  // renegotiation_info
  Put(ext, 1, 2);
  ext.push_back(0);
  Put(ext, 22, 2);  // encrypt_then_mac
  Put(ext, 0, 2);
  Put(ext, 23, 2);  // extended_master_secret
  Put(ext, 0, 2);
  Put(body, static_cast<uint32_t>(ext.size()), 2);
  body.insert(body.end(), ext.begin(), ext.end());
  Bytes msg{2};
  Put(msg, static_cast<uint32_t>(body.size()), 3);
  msg.insert(msg.end(), body.begin(), body.end());
  for (size_t split = 0; split <= msg.size(); ++split) {
    ServerHelloFacts f;
    ASSERT_EQ(Scan(msg, f, split), ServerHelloScanner::Status::kComplete) << split;
    EXPECT_EQ(f.cipher_suite, 0xC013);
    EXPECT_EQ(f.random[0], 0x40);
    EXPECT_EQ(f.random[31], 0x40 + 31);
    EXPECT_TRUE(f.encrypt_then_mac);
    EXPECT_TRUE(f.extended_master_secret);
  }
  ServerHelloFacts plain;
  ASSERT_EQ(Scan(Hello(true, 0x1301, false), plain, 0), ServerHelloScanner::Status::kComplete);
  EXPECT_FALSE(plain.encrypt_then_mac);
  EXPECT_EQ(plain.random[5], 5);
}

}  // namespace
}  // namespace bw::tls
