// AppSession decrypting live TLS connections (the openssl fixtures of tests/unit/dissectors/tls)
// with keys from a key source: what the flow log learns of the outcome, and the counters, for
// keys held, keys never logged and keys that are wrong.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sensor/app/app_session.h"
#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::app {
namespace {

constexpr Direction kC = Direction::kToServer;
constexpr Direction kS = Direction::kToClient;

class Discard : public EventOutput {
 public:
  void OnStorageRequest(event::StorageRequest&&) override {}
  void OnKnownServerCandidate(event::KnownServerCandidate&&) override {}
  void OnHttpRequest(event::HttpLogEntry&&) override {}
};

// The key source the sensor's workers see, over the dissectors' store.
class StoreSource final : public TlsKeySource {
 public:
  void Add(const std::string& line) {
    tls::KeyLogEntry e;
    ASSERT_EQ(tls::ParseKeyLogLine(line, e).status, tls::KeyLogLineStatus::kEntry) << line;
    store_.Insert(e);
    ++generation_;
  }
  uint64_t generation() const override { return generation_; }
  bool Lookup(const tls::ClientRandom& random, tls::ConnectionKeys& out) const override {
    const tls::ConnectionKeys* keys = store_.Find(random);
    if (keys == nullptr) return false;
    out = *keys;
    return true;
  }
  void Forget(const tls::ClientRandom& random) override { forgotten += store_.Erase(random); }
  int forgotten = 0;

 private:
  tls::KeyLogStore store_;
  uint64_t generation_ = 1;
};

// The key log line with every hex digit of its secret flipped: the right connection, wrong keys.
std::string Corrupt(const std::string& line) {
  std::string out = line;
  size_t secret = out.rfind(' ') + 1;
  for (size_t i = secret; i < out.size(); ++i) out[i] = out[i] == '0' ? '1' : '0';
  return out;
}

struct Session {
  explicit Session(const std::string& fixture)
      : f(tls::testing::LoadFixture(
            tls::testing::SourcePath("tests/unit/dissectors/tls/data/" + fixture))) {
    config.tls_keys = &keys;
  }
  // Both streams in alternating 1,460-byte segments, client first, then both FINs and the close.
  void Play() {
    ByteView c2s(f.c2s.data(), f.c2s.size());
    ByteView s2c(f.s2c.data(), f.s2c.size());
    TimestampNs ts = 1;
    while (!c2s.empty() || !s2c.empty()) {
      size_t n = std::min<size_t>(1460, c2s.size());
      if (n > 0) session.OnData(kC, c2s.first(n), ts++);
      c2s = c2s.subspan(n);
      n = std::min<size_t>(1460, s2c.size());
      if (n > 0) session.OnData(kS, s2c.first(n), ts++);
      s2c = s2c.subspan(n);
    }
    session.OnEnd(kC, ts);
    session.OnEnd(kS, ts);
    session.Close(ts);
  }
  uint64_t Failures(tls::SessionFailure why) const {
    return counters.tls_decrypt_failures[static_cast<size_t>(why)].load();
  }

  tls::testing::Fixture f;
  StoreSource keys;
  AppConfig config;
  AppCounters counters;
  Discard out;
  AppSession session{config, counters, out, FlowIdentity{}};
};

struct Case {
  const char* fixture;
  uint16_t version;
  const char* cipher;
};

class AppSessionTls : public ::testing::TestWithParam<Case> {};

TEST_P(AppSessionTls, KeysHeldDecryptAndTheOutcomeNamesTheSuite) {
  Session s(GetParam().fixture);
  for (const std::string& line : s.f.keylog) s.keys.Add(line);
  s.Play();
  const event::TlsDecryptionOutcome o = s.session.tls_decryption();
  EXPECT_TRUE(o.attempted);
  EXPECT_TRUE(o.decrypted);
  EXPECT_EQ(o.version, GetParam().version);
  EXPECT_EQ(o.cipher, GetParam().cipher);
  EXPECT_EQ(o.failure, "");
  EXPECT_FALSE(o.http2);
  EXPECT_EQ(s.counters.tls_decrypt_attempts.load(), 1u);
  EXPECT_EQ(s.counters.tls_decrypted.load(), 1u);
  EXPECT_EQ(s.keys.forgotten, 1);  // the secrets go once the connection is over
}

TEST_P(AppSessionTls, NoKeysEndsAsNoKeysAtTheClose) {
  Session s(GetParam().fixture);
  s.Play();
  const event::TlsDecryptionOutcome o = s.session.tls_decryption();
  EXPECT_TRUE(o.attempted);
  EXPECT_FALSE(o.decrypted);
  EXPECT_EQ(o.failure, "no_keys");
  EXPECT_EQ(s.Failures(tls::SessionFailure::kNoKeys), 1u);
  EXPECT_EQ(s.counters.tls_decrypted.load(), 0u);
}

TEST_P(AppSessionTls, WrongKeysFailTheRecordMacAndDecryptNothing) {
  Session s(GetParam().fixture);
  for (const std::string& line : s.f.keylog) s.keys.Add(Corrupt(line));
  s.Play();
  const event::TlsDecryptionOutcome o = s.session.tls_decryption();
  EXPECT_TRUE(o.attempted);
  EXPECT_FALSE(o.decrypted);
  EXPECT_EQ(o.failure, "bad_record_mac");
  EXPECT_EQ(s.Failures(tls::SessionFailure::kBadRecordMac), 1u);
  EXPECT_EQ(s.counters.tls_decrypted.load(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AppSessionTls,
                         ::testing::Values(Case{"tls13_aes128_gcm_sha256.tlsfix", 0x0304,
                                                "TLS_AES_128_GCM_SHA256"},
                                           Case{"tls13_chacha20_poly1305_sha256.tlsfix", 0x0304,
                                                "TLS_CHACHA20_POLY1305_SHA256"},
                                           Case{"tls12_ecdhe_ecdsa_aes256_gcm_sha384.tlsfix",
                                                0x0303, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
                                           Case{"tls12_ecdhe_ecdsa_aes128_sha_mte.tlsfix", 0x0303,
                                                "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           std::string name = param.param.fixture;
                           return name.substr(0, name.find('.'));
                         });

TEST(AppSessionTlsWithoutKeySource, NothingIsAttempted) {
  Session s("tls13_aes128_gcm_sha256.tlsfix");
  s.config.tls_keys = nullptr;
  AppSession plain{s.config, s.counters, s.out, FlowIdentity{}};
  plain.OnData(kC, ByteView(s.f.c2s.data(), s.f.c2s.size()), 1);
  plain.Close(2);
  EXPECT_EQ(plain.layer(), AppLayer::kTls);
  EXPECT_FALSE(plain.tls_decryption().attempted);
  EXPECT_EQ(s.counters.tls_decrypt_attempts.load(), 0u);
}

}  // namespace
}  // namespace bw::app
