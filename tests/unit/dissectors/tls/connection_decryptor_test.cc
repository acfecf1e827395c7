#include "dissectors/tls/connection_decryptor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::Fixture;

ByteView View(const Bytes& b) { return {b.data(), b.size()}; }

// Distinct, increasing arrival times for the bytes fed.
TimestampNs Tick() {
  static TimestampNs now = 0;
  return ++now;
}

class Recorder final : public PlaintextSink {
 public:
  void OnPlaintext(Direction dir, ByteView data, TimestampNs ts) override {
    Bytes& to = dir == Direction::kToServer ? c2s : s2c;
    to.insert(to.end(), data.begin(), data.end());
    if (turns.empty() || turns.back() != dir) turns.push_back(dir);
    stamps.push_back(ts);
  }
  Bytes c2s, s2c;
  std::vector<Direction> turns;     // the direction of each run of deliveries
  std::vector<TimestampNs> stamps;  // of each delivery
};

// A fixture with its ClientHello and key log read.
struct Connection {
  explicit Connection(const std::string& file)
      : f(testing::LoadFixture(testing::SourcePath("tests/unit/dissectors/tls/data/" + file))) {
    Load();
  }
  explicit Connection(Fixture fixture) : f(std::move(fixture)) { Load(); }

  void Load() {
    EXPECT_EQ(ParseClientHello(View(f.c2s), hello), ParseStatus::kComplete) << f.name;
    hello_end = std::min(hello.records_end, f.c2s.size());
    for (const std::string& line : f.keylog) AddKeyLine(line);
  }
  void AddKeyLine(const std::string& line) {
    KeyLogEntry e;
    if (ParseKeyLogLine(line, e).status == KeyLogLineStatus::kEntry) store.Insert(e);
  }
  const ConnectionKeys& keys() const { return *store.Find(hello.random); }

  Fixture f;
  ClientHello hello;
  size_t hello_end = 0;
  KeyLogStore store;
};

// Feeds the ClientHello, then the rest of both streams in alternating chunks of `chunk` bytes.
void FeedInterleaved(ConnectionDecryptor& d, const Connection& c, size_t chunk) {
  ByteView c2s = View(c.f.c2s);
  ByteView s2c = View(c.f.s2c);
  d.Feed(Direction::kToServer, c2s.first(c.hello_end), Tick());
  c2s = c2s.subspan(c.hello_end);
  while (!c2s.empty() || !s2c.empty()) {
    size_t n = std::min(chunk, s2c.size());
    d.Feed(Direction::kToClient, s2c.first(n), Tick());
    s2c = s2c.subspan(n);
    n = std::min(chunk, c2s.size());
    d.Feed(Direction::kToServer, c2s.first(n), Tick());
    c2s = c2s.subspan(n);
  }
}

struct Harness {
  explicit Harness(const Connection& c, ConnectionDecryptorLimits limits = {})
      : scratch(kMaxPlaintextBuffer), d(c.hello, limits, scratch, out) {}
  std::vector<uint8_t> scratch;
  Recorder out;
  ConnectionDecryptor d;
};

TEST(ConnectionDecryptorTest, EveryLiveSuiteDecryptsWhateverTheSegmentation) {
  std::vector<std::string> paths = testing::FixturePaths();
  ASSERT_EQ(paths.size(), 14u);
  for (const std::string& path : paths) {
    Connection c(testing::LoadFixture(path));
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{100}, size_t{1460}, size_t{1} << 20}) {
      SCOPED_TRACE(c.f.name + " chunk " + std::to_string(chunk));
      Harness h(c);
      h.d.SetKeys(c.keys());
      FeedInterleaved(h.d, c, chunk);
      EXPECT_FALSE(h.d.failed()) << SessionFailureName(h.d.failure());
      EXPECT_FALSE(h.d.waiting());
      EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
      EXPECT_EQ(h.out.s2c, c.f.plain_s2c);
      EXPECT_EQ(h.d.version(), c.f.version == 13 ? 0x0304 : 0x0303);
      ASSERT_NE(h.d.suite(), nullptr);
      EXPECT_EQ(h.d.suite()->id, c.f.suite);
      bool key_update = c.f.name.find("keyupdate") != std::string::npos;
      EXPECT_EQ(h.d.key_updates(), key_update ? 2u : 0u);
      // Only a partial record, if any, is held once everything was fed.
      EXPECT_EQ(h.d.buffered_bytes(), 0u);
    }
  }
}

TEST(ConnectionDecryptorTest, KeysThatArriveLateDecryptFromTheStartInArrivalOrder) {
  for (const char* file :
       {"tls13_aes128_gcm_sha256.tlsfix", "tls12_ecdhe_ecdsa_aes128_sha_etm.tlsfix"}) {
    SCOPED_TRACE(file);
    Connection c(file);
    // Client bytes first, then the server's: the client's requests arrived first.
    Harness h(c);
    h.d.Feed(Direction::kToServer, View(c.f.c2s), Tick());
    h.d.Feed(Direction::kToClient, View(c.f.s2c), Tick());
    EXPECT_TRUE(h.d.waiting_for_keys());
    EXPECT_TRUE(h.out.c2s.empty());
    EXPECT_TRUE(h.out.s2c.empty());
    EXPECT_GT(h.d.buffered_bytes(), 0u);
    h.d.SetKeys(c.keys());
    EXPECT_FALSE(h.d.waiting());
    EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
    EXPECT_EQ(h.out.s2c, c.f.plain_s2c);
    EXPECT_EQ(h.out.turns, (std::vector<Direction>{Direction::kToServer, Direction::kToClient}));
    EXPECT_EQ(h.d.buffered_bytes(), 0u);
    EXPECT_GT(h.d.counts().bytes_waited, 0u);
  }
}

TEST(ConnectionDecryptorTest, DeliveryFollowsArrivalNotDirection) {
  Connection c("tls13_aes256_gcm_sha384.tlsfix");
  // The ClientHello, then the server's whole stream, then the rest of the client's: the server's
  // plaintext arrived first and must come out first, keys late or not.
  for (bool late : {false, true}) {
    Harness h(c);
    if (!late) h.d.SetKeys(c.keys());
    h.d.Feed(Direction::kToServer, View(c.f.c2s).first(c.hello_end), Tick());
    h.d.Feed(Direction::kToClient, View(c.f.s2c), Tick());
    h.d.Feed(Direction::kToServer, View(c.f.c2s).subspan(c.hello_end), Tick());
    if (late) h.d.SetKeys(c.keys());
    EXPECT_EQ(h.out.turns, (std::vector<Direction>{Direction::kToClient, Direction::kToServer}));
    EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
  }
}

TEST(ConnectionDecryptorTest, Tls13SecretsLoggedInTwoStepsAreMerged) {
  Connection c("tls13_chacha20_poly1305_sha256.tlsfix");
  KeyLogStore handshake_only;
  for (const std::string& line : c.f.keylog) {
    if (line.find("HANDSHAKE_TRAFFIC_SECRET") == std::string::npos) continue;
    KeyLogEntry e;
    ASSERT_EQ(ParseKeyLogLine(line, e).status, KeyLogLineStatus::kEntry);
    handshake_only.Insert(e);
  }
  Harness h(c);
  h.d.SetKeys(*handshake_only.Find(c.hello.random));
  FeedInterleaved(h.d, c, 500);
  // The handshake records authenticated; application data waits for traffic secret 0.
  EXPECT_TRUE(h.d.decrypted());
  EXPECT_TRUE(h.d.waiting_for_keys());
  EXPECT_TRUE(h.out.s2c.empty());
  h.d.SetKeys(c.keys());
  EXPECT_FALSE(h.d.failed());
  EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
  EXPECT_EQ(h.out.s2c, c.f.plain_s2c);
}

// The lengths of a stream's first `n` records, headers included.
std::vector<size_t> RecordSizes(const Bytes& stream, size_t n) {
  std::vector<size_t> sizes;
  for (size_t pos = 0; sizes.size() < n && pos + 5 <= stream.size(); pos += sizes.back()) {
    sizes.push_back(5 + (size_t{stream[pos + 3]} << 8 | stream[pos + 4]));
  }
  return sizes;
}

// A HelloRetryRequest, live from OpenSSL (s_server accepting P-256 only, s_client sharing an
// X25519 key): the server follows it with its middlebox-compatibility ChangeCipherSpec, and the
// client answers with one before its second ClientHello, all before the real ServerHello. The
// server's CCS, read before the ServerHello, once ended decryption as no_handshake (every
// connection with an HRR in the e2e scenario tls_decrypt_tls13_hrr, HAProxy and curl or
// s_client).
TEST(ConnectionDecryptorTest, HelloRetryRequestWithCompatibilityChangeCipherSpecs) {
  Connection c("tls13_aes128_gcm_hrr.tlsfix");
  // What the fixture must hold: HRR, CCS, then the ServerHello from the server; ClientHello,
  // CCS, ClientHello from the client.
  const Bytes hrr_random =
      testing::FromHex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");
  std::vector<size_t> server = RecordSizes(c.f.s2c, 3);
  std::vector<size_t> client = RecordSizes(c.f.c2s, 3);
  ASSERT_EQ(server.size(), 3u);
  ASSERT_EQ(client.size(), 3u);
  EXPECT_EQ(c.f.s2c[5], 2);  // a ServerHello with the HRR random
  EXPECT_TRUE(std::equal(hrr_random.begin(), hrr_random.end(), c.f.s2c.begin() + 11));
  EXPECT_EQ(c.f.s2c[server[0]], 20);
  EXPECT_EQ(c.f.s2c[server[0] + server[1]], 22);
  EXPECT_EQ(c.f.c2s[client[0]], 20);
  EXPECT_EQ(c.f.c2s[client[0] + client[1]], 22);
  ASSERT_EQ(c.hello_end, client[0]);
  // In the order of the wire: the first ClientHello, the HRR and the server's CCS, then the rest
  // of both streams interleaved.
  ByteView c2s = View(c.f.c2s).subspan(c.hello_end);
  ByteView s2c = View(c.f.s2c).subspan(server[0] + server[1]);
  for (bool late : {false, true}) {
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{100}, size_t{1} << 20}) {
      SCOPED_TRACE(std::string(late ? "late" : "early") + " keys, chunk " + std::to_string(chunk));
      Harness h(c);
      if (!late) h.d.SetKeys(c.keys());
      h.d.Feed(Direction::kToServer, View(c.f.c2s).first(c.hello_end), Tick());
      h.d.Feed(Direction::kToClient, View(c.f.s2c).first(server[0] + server[1]), Tick());
      for (size_t i = 0; i < std::max(c2s.size(), s2c.size()); i += chunk) {
        if (i < c2s.size()) {
          h.d.Feed(Direction::kToServer, c2s.subspan(i, std::min(chunk, c2s.size() - i)), Tick());
        }
        if (i < s2c.size()) {
          h.d.Feed(Direction::kToClient, s2c.subspan(i, std::min(chunk, s2c.size() - i)), Tick());
        }
      }
      if (late) h.d.SetKeys(c.keys());
      EXPECT_FALSE(h.d.failed()) << SessionFailureName(h.d.failure());
      EXPECT_FALSE(h.d.waiting());
      EXPECT_EQ(h.d.version(), 0x0304);
      ASSERT_NE(h.d.suite(), nullptr);
      EXPECT_EQ(h.d.suite()->id, 0x1301);
      EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
      EXPECT_EQ(h.out.s2c, c.f.plain_s2c);
    }
  }
}

// Bytes that waited for keys keep the time they arrived: the ledger stamps a request with when
// it was sent, not with when a key log line was read (which reordered connections whose keys
// came late).
TEST(ConnectionDecryptorTest, PlaintextKeepsItsArrivalTimeThroughAWaitForKeys) {
  for (const char* file :
       {"tls13_aes128_gcm_sha256.tlsfix", "tls12_ecdhe_ecdsa_aes256_gcm_sha384.tlsfix",
        "tls13_aes128_gcm_keyupdate.tlsfix"}) {
    SCOPED_TRACE(file);
    Connection c(file);
    std::vector<std::vector<TimestampNs>> runs;
    for (bool late : {false, true}) {
      Harness h(c);
      if (!late) h.d.SetKeys(c.keys());
      TimestampNs ts = 1000;
      ByteView c2s = View(c.f.c2s), s2c = View(c.f.s2c);
      h.d.Feed(Direction::kToServer, c2s.first(c.hello_end), ts);
      c2s = c2s.subspan(c.hello_end);
      while (!c2s.empty() || !s2c.empty()) {
        size_t n = std::min<size_t>(90, s2c.size());
        if (n > 0) h.d.Feed(Direction::kToClient, s2c.first(n), ts += 10);
        s2c = s2c.subspan(n);
        n = std::min<size_t>(90, c2s.size());
        if (n > 0) h.d.Feed(Direction::kToServer, c2s.first(n), ts += 10);
        c2s = c2s.subspan(n);
      }
      if (late) h.d.SetKeys(c.keys());
      EXPECT_FALSE(h.d.failed()) << SessionFailureName(h.d.failure());
      EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
      ASSERT_FALSE(h.out.stamps.empty());
      EXPECT_TRUE(std::is_sorted(h.out.stamps.begin(), h.out.stamps.end()));
      EXPECT_GT(h.out.stamps.front(), 1000);
      runs.push_back(h.out.stamps);
    }
    EXPECT_EQ(runs[0], runs[1]);  // as if the keys had been there all along
  }
}

TEST(ConnectionDecryptorTest, WrongKeysFailAsBadRecordMacAndDeliverNothing) {
  for (const char* file :
       {"tls13_aes128_gcm_sha256.tlsfix", "tls12_ecdhe_ecdsa_aes256_gcm_sha384.tlsfix",
        "tls12_ecdhe_ecdsa_aes128_sha_mte.tlsfix"}) {
    SCOPED_TRACE(file);
    Connection c(file);
    KeyLogStore wrong;
    for (const std::string& line : c.f.keylog) {
      KeyLogEntry e;
      if (ParseKeyLogLine(line, e).status != KeyLogLineStatus::kEntry) continue;
      Bytes flipped(e.secret.view().begin(), e.secret.view().end());
      flipped[0] ^= 1;
      ASSERT_TRUE(e.secret.Assign(View(flipped)));
      wrong.Insert(e);
    }
    Harness h(c);
    h.d.SetKeys(*wrong.Find(c.hello.random));
    FeedInterleaved(h.d, c, 1460);
    EXPECT_EQ(h.d.failure(), SessionFailure::kBadRecordMac);
    EXPECT_TRUE(h.out.c2s.empty());
    EXPECT_TRUE(h.out.s2c.empty());
    EXPECT_EQ(h.d.buffered_bytes(), 0u);
  }
}

TEST(ConnectionDecryptorTest, WaitingBytesAreBounded) {
  Connection c("tls13_aes128_gcm_keyupdate.tlsfix");
  ConnectionDecryptorLimits limits;
  limits.wait_buffer_bytes = 1024;
  Harness h(c, limits);
  FeedInterleaved(h.d, c, 300);
  EXPECT_EQ(h.d.failure(), SessionFailure::kBufferOverflow);
  EXPECT_EQ(h.d.buffered_bytes(), 0u);
  EXPECT_FALSE(h.d.waiting());
  // Keys after the failure change nothing.
  h.d.SetKeys(c.keys());
  EXPECT_TRUE(h.out.c2s.empty());
}

TEST(ConnectionDecryptorTest, ArrivalLogIsBounded) {
  Connection c("tls12_ecdhe_ecdsa_chacha20_poly1305.tlsfix");
  ConnectionDecryptorLimits limits;
  limits.wait_buffer_bytes = size_t{1} << 30;
  Harness h(c, limits);
  h.d.Feed(Direction::kToServer, View(c.f.c2s), Tick());
  h.d.Feed(Direction::kToClient, View(c.f.s2c), Tick());
  ASSERT_TRUE(h.d.waiting_for_keys());
  // One byte each way, alternately: every byte is an arrival of its own.
  const uint8_t junk[1] = {0};
  for (size_t i = 0; i < 2 * ConnectionDecryptor::kMaxArrivals && !h.d.failed(); ++i) {
    h.d.Feed(i % 2 ? Direction::kToServer : Direction::kToClient, ByteView(junk), Tick());
  }
  EXPECT_EQ(h.d.failure(), SessionFailure::kBufferOverflow);
  EXPECT_EQ(h.d.buffered_bytes(), 0u);
}

TEST(ConnectionDecryptorTest, CallerGivesUpWaiting) {
  Connection c("tls13_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  FeedInterleaved(h.d, c, 1460);
  ASSERT_TRUE(h.d.waiting_for_keys());
  h.d.GiveUpWaiting();
  EXPECT_EQ(h.d.failure(), SessionFailure::kNoKeys);
  EXPECT_FALSE(h.d.waiting());
  EXPECT_EQ(h.d.buffered_bytes(), 0u);
  EXPECT_LT(h.d.MemoryBytes(), sizeof(ConnectionDecryptor) + 4096);
}

TEST(ConnectionDecryptorTest, GivingUpOnAServerHelloThatNeverCameIsNoHandshake) {
  Connection c("tls12_ecdhe_ecdsa_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  h.d.SetKeys(c.keys());
  h.d.GiveUpWaiting();  // nothing waits yet: nothing happens
  EXPECT_FALSE(h.d.failed());
  // The client's ChangeCipherSpec needs the ServerHello, which never arrives.
  h.d.Feed(Direction::kToServer, View(c.f.c2s), Tick());
  ASSERT_TRUE(h.d.waiting());
  EXPECT_FALSE(h.d.waiting_for_keys());
  h.d.GiveUpWaiting();
  EXPECT_EQ(h.d.failure(), SessionFailure::kNoHandshake);
  EXPECT_EQ(h.d.buffered_bytes(), 0u);
  EXPECT_TRUE(h.out.c2s.empty());
}

TEST(ConnectionDecryptorTest, GapStopsOnlyItsDirection) {
  Connection c("tls12_ecdhe_ecdsa_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  h.d.SetKeys(c.keys());
  // The server stream up to the middle of its last data record (its close_notify is 31 bytes
  // after it), then a gap.
  const size_t cut = c.f.s2c.size() - 45;
  h.d.Feed(Direction::kToServer, View(c.f.c2s).first(c.hello_end), Tick());
  h.d.Feed(Direction::kToClient, View(c.f.s2c).first(cut), Tick());
  h.d.Gap(Direction::kToClient);
  h.d.Feed(Direction::kToClient, View(c.f.s2c).subspan(cut), Tick());
  h.d.Feed(Direction::kToServer, View(c.f.c2s).subspan(c.hello_end), Tick());
  EXPECT_EQ(h.d.failure(), SessionFailure::kGap);
  EXPECT_TRUE(h.d.stopped(Direction::kToClient));
  EXPECT_FALSE(h.d.stopped(Direction::kToServer));
  EXPECT_EQ(h.out.c2s, c.f.plain_c2s);
  EXPECT_LT(h.out.s2c.size(), c.f.plain_s2c.size());
}

TEST(ConnectionDecryptorTest, GapBeforeTheServerHelloEndsDecryption) {
  Connection c("tls13_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  h.d.SetKeys(c.keys());
  h.d.Feed(Direction::kToServer, View(c.f.c2s).first(c.hello_end), Tick());
  h.d.Gap(Direction::kToClient);
  h.d.Feed(Direction::kToClient, View(c.f.s2c).subspan(40), Tick());
  EXPECT_EQ(h.d.failure(), SessionFailure::kGap);
  EXPECT_TRUE(h.out.s2c.empty());
}

TEST(ConnectionDecryptorTest, GarbledRecordHeaderStopsTheDirection) {
  Connection c("tls13_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  h.d.SetKeys(c.keys());
  Bytes s2c = c.f.s2c;
  s2c.insert(s2c.end(), {0x99, 0x03, 0x03, 0x00, 0x10});
  h.d.Feed(Direction::kToServer, View(c.f.c2s), Tick());
  h.d.Feed(Direction::kToClient, View(s2c), Tick());
  EXPECT_EQ(h.d.failure(), SessionFailure::kBadRecord);
  EXPECT_EQ(h.out.s2c, c.f.plain_s2c);  // everything before the bad header was read
}

TEST(ConnectionDecryptorTest, ServerStreamThatIsNotTlsIsNoHandshake) {
  Connection c("tls13_aes128_gcm_sha256.tlsfix");
  Harness h(c);
  h.d.Feed(Direction::kToServer, View(c.f.c2s).first(c.hello_end), Tick());
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  h.d.Feed(Direction::kToClient, AsBytes(http), Tick());
  EXPECT_EQ(h.d.failure(), SessionFailure::kNoHandshake);
}

TEST(ConnectionDecryptorTest, FailureNamesAreDistinct) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < kSessionFailureCount; ++i) {
    names.push_back(SessionFailureName(static_cast<SessionFailure>(i)));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(SessionFailureName(SessionFailure::kBufferOverflow), "buffer_overflow");
}

}  // namespace
}  // namespace bw::tls
