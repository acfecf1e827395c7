#include "dissectors/tls/record_decryptor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dissectors/tls/client_hello.h"
#include "dissectors/tls/key_log.h"
#include "dissectors/tls/key_schedule.h"
#include "dissectors/tls/server_hello.h"
#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::Fixture;
using testing::FixturePaths;
using testing::FromHex;
using testing::LoadFixture;

ByteView View(const Bytes& b) { return {b.data(), b.size()}; }
Bytes Copy(ByteView v) { return Bytes(v.begin(), v.end()); }

// --- RFC 8448 section 3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256) ----------------------
// The traffic secrets ("derive secret tls13 {c,s} {hs,ap} traffic", expanded) and the complete
// protected records the RFC prints for each side.
const char kServerHsSecret[] =
    "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad "
    "38";
const char kClientHsSecret[] =
    "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a "
    "21";
const char kServerApSecret[] =
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 "
    "43";
const char kClientApSecret[] =
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 "
    "a5";
// {server} send handshake record: EncryptedExtensions, Certificate, CertificateVerify, Finished.
const char kServerFlight[] =
    "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f 45 e4 89 e7 f3 3a f3 "
    "5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 "
    "ea 78 b1 11 b4 29 ba 91 91 cd 05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec "
    "f7 b1 3b d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e f3 ab 20 e3 "
    "7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f "
    "1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8 bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 "
    "ba a4 fc d6 10 92 8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70 a2 "
    "55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac 66 27 2f d8 fb "
    "33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea 52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca "
    "63 d3 e6 88 61 1e a5 e2 2f 44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 "
    "8d 89 f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3 6a c1 b6 39 c6 "
    "37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1 00 d7 d9 61 ff b1 38 64 7e 92 ea 33 "
    "0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e 1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d "
    "c7 33 9d 56 84 c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c f9 3b "
    "16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f c5 08 00 be cc a6 2d 6c 74 "
    "11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be 5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 "
    "a3 96 fa 48 a1 81 d6 b6 fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 "
    "cb 56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51 "
    "56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38 eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f "
    "aa 63 97 8c 31 7f c9 fa 66 a7 3f 60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f "
    "dd d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3 79 4e 44 "
    "f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e 75 0e dc 53 37 0d 2b";
// {client} send handshake record: Finished.
const char kClientFinished[] =
    "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b "
    "fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
// {server} send handshake record: NewSessionTicket (the server's first application-key record).
const char kServerTicket[] =
    "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24 0e 6c ff ac 11 6e 95 "
    "d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a 01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 "
    "91 a3 8e fb cf 57 53 ad 8e f1 70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 "
    "3f 75 e0 9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15 13 98 91 d5 "
    "e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f "
    "69 23 2c 86 51 9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 "
    "fe 51 37 12 1c 74 bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b 3b "
    "6c 67 79 b3 7b f1 59 85 68 4f";
const char kClientAppData[] =
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab "
    "3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d "
    "ea e6 3a ee bb 21 69 49 15 e4";
const char kServerAppData[] =
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b "
    "36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 "
    "32 54 0d d0 32 e1 67 c2 95 5d";
const char kClientAlert[] =
    "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3";
const char kServerAlert[] =
    "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9";

Bytes Rfc8448Payload() {
  Bytes p(50);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

class Rfc8448Test : public ::testing::Test {
 protected:
  DecryptStatus Open(RecordDecryptor& d, const char* record_hex) {
    Bytes record = FromHex(record_hex);
    return d.Decrypt(View(record), buffer_, result_);
  }
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(kMaxPlaintextBuffer);
  DecryptedRecord result_;
};

TEST_F(Rfc8448Test, ServerHandshakeFlight) {
  RecordDecryptor d;
  Bytes secret = FromHex(kServerHsSecret);
  ASSERT_EQ(d.InitTls13(0x1301, View(secret)), DecryptStatus::kOk);
  ASSERT_EQ(Open(d, kServerFlight), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 22);
  // EncryptedExtensions (40) + Certificate (445) + CertificateVerify (136) + Finished (36).
  ASSERT_EQ(result_.plaintext.size(), 40u + 445 + 136 + 36);
  EXPECT_EQ(Copy(result_.plaintext.first(4)), FromHex("08 00 00 24"));
  EXPECT_EQ(Copy(result_.plaintext.last(36)),
            FromHex("14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 95 72 "
                    "cb 7f ff ee 54 54 b7 8f 07 18"));
  EXPECT_FALSE(result_.key_update);
  EXPECT_EQ(d.sequence(), 1u);
}

TEST_F(Rfc8448Test, ClientFinished) {
  RecordDecryptor d;
  Bytes secret = FromHex(kClientHsSecret);
  ASSERT_EQ(d.InitTls13(0x1301, View(secret)), DecryptStatus::kOk);
  ASSERT_EQ(Open(d, kClientFinished), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 22);
  EXPECT_EQ(Copy(result_.plaintext),
            FromHex("14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 "
                    "e9 85 27 b6 42 f2 ed d5 ce 61"));
}

TEST_F(Rfc8448Test, ApplicationDataBothWaysWithSequenceNumbers) {
  RecordDecryptor server;
  Bytes s = FromHex(kServerApSecret);
  ASSERT_EQ(server.InitTls13(0x1301, View(s)), DecryptStatus::kOk);
  ASSERT_EQ(Open(server, kServerTicket), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 22);
  EXPECT_EQ(result_.plaintext[0], 4);  // new_session_ticket, not a KeyUpdate
  EXPECT_FALSE(result_.key_update);
  ASSERT_EQ(Open(server, kServerAppData), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 23);
  EXPECT_EQ(result_.sequence, 1u);
  EXPECT_EQ(Copy(result_.plaintext), Rfc8448Payload());
  ASSERT_EQ(Open(server, kServerAlert), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 21);
  EXPECT_EQ(Copy(result_.plaintext), FromHex("01 00"));  // warning close_notify

  RecordDecryptor client;
  Bytes c = FromHex(kClientApSecret);
  ASSERT_EQ(client.InitTls13(0x1301, View(c)), DecryptStatus::kOk);
  ASSERT_EQ(Open(client, kClientAppData), DecryptStatus::kOk);
  EXPECT_EQ(Copy(result_.plaintext), Rfc8448Payload());
  ASSERT_EQ(Open(client, kClientAlert), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 21);
  EXPECT_EQ(client.key_updates(), 0u);
}

TEST_F(Rfc8448Test, TamperedRecordOrWrongKeyIsBadMacAndKeepsTheSequence) {
  RecordDecryptor d;
  Bytes c = FromHex(kClientApSecret);
  ASSERT_EQ(d.InitTls13(0x1301, View(c)), DecryptStatus::kOk);
  for (size_t i : {size_t{0}, size_t{5}, size_t{40}, size_t{71}}) {
    Bytes record = FromHex(kClientAppData);
    record[i] ^= 0x01;  // header (the AAD), ciphertext or tag
    EXPECT_EQ(d.Decrypt(View(record), buffer_, result_), DecryptStatus::kBadRecordMac) << i;
    EXPECT_TRUE(result_.plaintext.empty());
  }
  EXPECT_EQ(d.sequence(), 0u);
  EXPECT_EQ(Open(d, kClientAppData), DecryptStatus::kOk);  // sequence 0 still

  RecordDecryptor wrong;
  Bytes s = FromHex(kServerApSecret);
  ASSERT_EQ(wrong.InitTls13(0x1301, View(s)), DecryptStatus::kOk);
  EXPECT_EQ(Open(wrong, kClientAppData), DecryptStatus::kBadRecordMac);
}

TEST_F(Rfc8448Test, RejectsWhatIsNotOneWholeRecord) {
  RecordDecryptor d;
  EXPECT_EQ(Open(d, kClientAppData), DecryptStatus::kNoKeys);
  Bytes c = FromHex(kClientApSecret);
  EXPECT_EQ(d.InitTls13(0xC02F, View(c)), DecryptStatus::kUnsupportedSuite);
  EXPECT_EQ(d.InitTls13(0x0000, View(c)), DecryptStatus::kUnsupportedSuite);
  EXPECT_EQ(d.InitTls13(0x1302, View(c)), DecryptStatus::kBadKeys);  // SHA-384 needs 48 bytes
  EXPECT_FALSE(d.ready());
  ASSERT_EQ(d.InitTls13(0x1301, View(c)), DecryptStatus::kOk);
  Bytes record = FromHex(kClientAppData);
  EXPECT_EQ(d.Decrypt(View(record).first(4), buffer_, result_), DecryptStatus::kBadRecordHeader);
  EXPECT_EQ(d.Decrypt(View(record).first(70), buffer_, result_), DecryptStatus::kBadRecordHeader);
  Bytes longer = record;
  longer.push_back(0);
  EXPECT_EQ(d.Decrypt(View(longer), buffer_, result_), DecryptStatus::kBadRecordHeader);
  Bytes tiny = {23, 3, 3, 0, 16};
  tiny.resize(5 + 16);
  EXPECT_EQ(d.Decrypt(View(tiny), buffer_, result_), DecryptStatus::kRecordTooShort);
  std::vector<uint8_t> small(10);
  EXPECT_EQ(d.Decrypt(View(record), small, result_), DecryptStatus::kOutputTooSmall);
  Bytes huge = {23, 3, 3, 0xFF, 0xFF};
  huge.resize(5 + 0xFFFF);
  EXPECT_EQ(d.Decrypt(View(huge), buffer_, result_), DecryptStatus::kRecordTooLong);
  // Middlebox-compatibility change_cipher_spec passes through without a sequence number.
  Bytes ccs = {20, 3, 3, 0, 1, 1};
  ASSERT_EQ(d.Decrypt(View(ccs), buffer_, result_), DecryptStatus::kOk);
  EXPECT_EQ(result_.content_type, 20);
  EXPECT_EQ(d.sequence(), 0u);
  EXPECT_EQ(Open(d, kClientAppData), DecryptStatus::kOk);
  d.Reset();
  EXPECT_EQ(Open(d, kClientAlert), DecryptStatus::kNoKeys);
  EXPECT_EQ(DecryptStatusName(DecryptStatus::kBadRecordMac), "bad_record_mac");
}

// --- live openssl traffic (data/*.tlsfix, see data/make_tls_fixtures.py) ------------------------

std::vector<ByteView> SplitRecords(const Bytes& stream) {
  std::vector<ByteView> records;
  size_t pos = 0;
  while (pos + 5 <= stream.size()) {
    size_t len = Be16(stream.data() + pos + 3);
    if (pos + 5 + len > stream.size()) break;
    records.push_back(View(stream).subspan(pos, 5 + len));
    pos += 5 + len;
  }
  return records;
}

// True when `plaintext` (whole handshake messages, as OpenSSL writes them) holds a Finished.
bool HasFinished(ByteView plaintext) {
  for (size_t pos = 0; pos + 4 <= plaintext.size();) {
    if (plaintext[pos] == 20) return true;
    pos += 4 + (size_t{plaintext[pos + 1]} << 16 | size_t{plaintext[pos + 2]} << 8 |
                plaintext[pos + 3]);
  }
  return false;
}

struct DirectionResult {
  Bytes application_data;
  size_t records_decrypted = 0;
  uint32_t key_updates = 0;
  DecryptStatus status = DecryptStatus::kOk;
};

// Drives one direction the way the per-flow TLS session will: the ServerHello decides version,
// suite and encrypt_then_mac, the key log the secrets; TLS 1.2 switches to the key block at
// ChangeCipherSpec, TLS 1.3 from the handshake to the application secret after Finished.
DirectionResult DecryptDirection(const Bytes& stream, bool from_client, const ConnectionKeys& keys,
                                 const ClientHello& ch, const ServerHelloFacts& sh) {
  DirectionResult r;
  RecordDecryptor d;
  std::vector<uint8_t> buffer(kMaxPlaintextBuffer);
  bool handshake_keys = false;
  for (ByteView record : SplitRecords(stream)) {
    uint8_t type = record[0];
    if (!sh.tls13()) {
      if (type == 20) {
        Tls12KeyBlock block;
        EXPECT_TRUE(DeriveTls12KeyBlock(*FindCipherSuite(sh.cipher_suite),
                                        keys.Get(KeyLogLabel::kClientRandom).view(),
                                        ByteView(ch.random), ByteView(sh.random), block));
        r.status =
            d.InitTls12(sh.cipher_suite, from_client ? block.client_write : block.server_write,
                        sh.encrypt_then_mac);
        if (r.status != DecryptStatus::kOk) return r;
        continue;
      }
      if (!d.ready()) continue;
    } else {
      if (type != 23) continue;  // ClientHello, ServerHello, compatibility CCS: clear text
      if (!d.ready()) {
        handshake_keys = true;
        r.status = d.InitTls13(sh.cipher_suite,
                               keys.Get(from_client ? KeyLogLabel::kClientHandshakeTrafficSecret
                                                    : KeyLogLabel::kServerHandshakeTrafficSecret)
                                   .view());
        if (r.status != DecryptStatus::kOk) return r;
      }
    }
    DecryptedRecord out;
    r.status = d.Decrypt(record, buffer, out);
    if (r.status != DecryptStatus::kOk) return r;
    ++r.records_decrypted;
    if (out.content_type == 23) {
      r.application_data.insert(r.application_data.end(), out.plaintext.begin(),
                                out.plaintext.end());
    }
    if (sh.tls13() && handshake_keys && out.content_type == 22 && HasFinished(out.plaintext)) {
      handshake_keys = false;
      r.status =
          d.InitTls13(sh.cipher_suite, keys.Get(from_client ? KeyLogLabel::kClientTrafficSecret0
                                                            : KeyLogLabel::kServerTrafficSecret0)
                                           .view());
      if (r.status != DecryptStatus::kOk) return r;
    }
  }
  r.key_updates = d.key_updates();
  return r;
}

TEST(LiveOpensslTest, EverySuiteRecoversTheApplicationBytes) {
  std::vector<std::string> paths = FixturePaths();
  ASSERT_EQ(paths.size(), 14u) << "fixtures missing from tests/unit/dissectors/tls/data";
  std::vector<uint16_t> suites;
  for (const std::string& path : paths) {
    Fixture f = LoadFixture(path);
    SCOPED_TRACE(f.name);
    ASSERT_FALSE(f.plain_c2s.empty());
    ASSERT_FALSE(f.plain_s2c.empty());

    KeyLogStore store;
    for (const std::string& line : f.keylog) {
      KeyLogEntry e;
      KeyLogLineResult parsed = ParseKeyLogLine(line, e);
      ASSERT_NE(parsed.status, KeyLogLineStatus::kMalformed) << KeyLogErrorName(parsed.error);
      if (parsed.status == KeyLogLineStatus::kEntry) store.Insert(e);
    }
    ClientHello ch;
    ASSERT_EQ(ParseClientHello(View(f.c2s), ch), ParseStatus::kComplete);
    ServerHelloScanner scanner;
    for (ByteView record : SplitRecords(f.s2c)) {
      if (record[0] == 22) scanner.Feed(record.subspan(5));
      if (scanner.status() != ServerHelloScanner::Status::kNeedMore) break;
    }
    ASSERT_EQ(scanner.status(), ServerHelloScanner::Status::kComplete);
    const ServerHelloFacts& sh = scanner.facts();
    EXPECT_EQ(sh.cipher_suite, f.suite);
    EXPECT_EQ(sh.tls13(), f.version == 13);
    // The server accepts encrypt_then_mac only for a CBC suite, and only when not refused.
    EXPECT_EQ(sh.encrypt_then_mac, f.etm && f.version == 12 && !FindCipherSuite(f.suite)->aead);

    const ConnectionKeys* keys = store.Find(ch.random);
    ASSERT_NE(keys, nullptr) << "no key logged for the ClientHello's random";
    DirectionResult c2s = DecryptDirection(f.c2s, true, *keys, ch, sh);
    DirectionResult s2c = DecryptDirection(f.s2c, false, *keys, ch, sh);
    EXPECT_EQ(c2s.status, DecryptStatus::kOk) << DecryptStatusName(c2s.status);
    EXPECT_EQ(s2c.status, DecryptStatus::kOk) << DecryptStatusName(s2c.status);
    EXPECT_EQ(c2s.application_data, f.plain_c2s);
    EXPECT_EQ(s2c.application_data, f.plain_s2c);
    // Every record after the keys changed was decrypted: no trailing record was left out.
    EXPECT_GE(c2s.records_decrypted, 3u);
    bool key_update = f.name.find("keyupdate") != std::string::npos;
    EXPECT_EQ(c2s.key_updates, key_update ? 1u : 0u);
    EXPECT_EQ(s2c.key_updates, key_update ? 1u : 0u);
    suites.push_back(f.suite);
  }
  // Every suite family of record_decryptor.h against real bytes.
  for (uint16_t s :
       {0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A, 0xC023, 0xC024, 0x1301, 0x1302, 0x1303}) {
    EXPECT_NE(std::find(suites.begin(), suites.end(), s), suites.end()) << std::hex << s;
  }
}

TEST(LiveOpensslTest, WrongMasterSecretIsBadRecordMac) {
  Fixture f = LoadFixture(testing::SourcePath(
      "tests/unit/dissectors/tls/data/tls12_ecdhe_ecdsa_aes128_sha_mte.tlsfix"));
  ASSERT_FALSE(f.c2s.empty());
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(f.c2s), ch), ParseStatus::kComplete);
  ServerHelloScanner scanner;
  for (ByteView record : SplitRecords(f.s2c)) {
    if (record[0] == 22 && scanner.status() == ServerHelloScanner::Status::kNeedMore) {
      scanner.Feed(record.subspan(5));
    }
  }
  KeyLogStore store;
  KeyLogEntry e;
  ASSERT_EQ(ParseKeyLogLine(f.keylog.at(0), e).status, KeyLogLineStatus::kEntry);
  Bytes wrong(48, 0x5A);
  ASSERT_TRUE(e.secret.Assign(View(wrong)));
  store.Insert(e);
  DirectionResult r = DecryptDirection(f.c2s, true, *store.Find(ch.random), ch, scanner.facts());
  // CBC with a wrong key: the padding check or the MAC fails on the first record.
  EXPECT_TRUE(r.status == DecryptStatus::kBadRecordMac || r.status == DecryptStatus::kBadPadding)
      << DecryptStatusName(r.status);
  EXPECT_EQ(r.records_decrypted, 0u);
}

}  // namespace
}  // namespace bw::tls
