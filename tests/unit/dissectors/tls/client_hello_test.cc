#include "dissectors/tls/client_hello.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::BuildClientHello;
using testing::Bytes;
using testing::HelloSpec;
using testing::Records;

constexpr char kLongSni[] =
    "bucketwatch-long-sni-probe-customer-documents-archive-2026-eu1"
    ".replica-tier-cold-storage-backup-objects-0123456789abcdefghijk"
    ".part-0042-of-0128-multi-region-access-point-alias-qqq"
    ".s3.dualstack.eu-central-1.amazonaws.com";

ByteView View(const Bytes& b) { return {b.data(), b.size()}; }

std::vector<std::string> Alpns(const ClientHello& ch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ch.alpn_count(); ++i) out.emplace_back(ch.alpn(i));
  return out;
}

// Everything a caller can observe, for comparing results across framings.
std::string Describe(const ClientHello& ch) {
  std::string s = std::string(ch.sni()) + "|" + std::to_string(ch.sni_truncated) + "|";
  for (const std::string& a : Alpns(ch)) s += a + ",";
  s += "|" + std::to_string(ch.alpn_total) + "|" + std::to_string(ch.legacy_version) + "|" +
       std::to_string(ch.has_supported_versions_tls13) + "|" +
       std::to_string(ch.cipher_suite_count) + "|" + std::to_string(ch.extension_count) + "|" +
       std::to_string(ch.handshake_length);
  return s;
}

// Every strict prefix must ask for more; the whole input must give `expected`.
void ExpectPrefixesNeedMore(const Bytes& stream, const std::string& expected) {
  ClientHello ch;
  for (size_t n = 0; n < stream.size(); ++n) {
    ASSERT_EQ(ParseClientHello(View(stream).first(n), ch), ParseStatus::kNeedMore)
        << "prefix " << n << " of " << stream.size();
  }
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(Describe(ch), expected);
}

TEST(ClientHelloTest, RealCaptureTls12AndTls13WithLongSni) {
  auto streams = testing::ReadTcpStreams(testing::SourcePath("tests/pcap/captures/tls_sni.pcap"));
  std::vector<Bytes> hellos;
  for (const auto& [ports, bytes] : streams) {
    if (ports.second == 47182) hellos.push_back(bytes);
  }
  ASSERT_EQ(hellos.size(), 2u) << "tls_sni.pcap should hold two client streams";
  int tls13 = 0;
  for (const Bytes& stream : hellos) {
    ClientHello ch;
    ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
    EXPECT_TRUE(ch.has_sni);
    EXPECT_EQ(ch.sni(), kLongSni);
    EXPECT_EQ(ch.sni().size(), 219u);
    EXPECT_FALSE(ch.sni_truncated);
    EXPECT_TRUE(ch.has_alpn);
    EXPECT_EQ(Alpns(ch), (std::vector<std::string>{"h2", "http/1.1"}));
    EXPECT_EQ(ch.record_version, 0x0301);
    EXPECT_EQ(ch.legacy_version, 0x0303);
    EXPECT_EQ(ch.handshake_length, 508u);
    EXPECT_EQ(ch.records_end, 517u);  // one 512-byte record and its header
    EXPECT_TRUE(LooksLikeTls(View(stream)));
    EXPECT_TRUE(LooksLikeClientHello(View(stream)));
    EXPECT_EQ(ch.server_name(), ch.sni());
    tls13 += ch.has_supported_versions_tls13 ? 1 : 0;
    // The same bytes re-framed into small records give the same answer.
    Bytes handshake(stream.begin() + 5, stream.begin() + 517);
    ClientHello reframed;
    ASSERT_EQ(ParseClientHello(View(Records(handshake, 7)), reframed), ParseStatus::kComplete);
    EXPECT_EQ(Describe(reframed), Describe(ch));
  }
  EXPECT_EQ(tls13, 1) << "curl --tls-max 1.2 must not offer TLS 1.3; the second one must";
}

TEST(ClientHelloTest, RealCaptureEveryPrefixNeedsMore) {
  auto streams = testing::ReadTcpStreams(testing::SourcePath("tests/pcap/captures/tls_sni.pcap"));
  for (const auto& [ports, bytes] : streams) {
    if (ports.second != 47182) continue;
    Bytes hello(bytes.begin(), bytes.begin() + 517);
    ClientHello whole;
    ASSERT_EQ(ParseClientHello(View(hello), whole), ParseStatus::kComplete);
    ExpectPrefixesNeedMore(hello, Describe(whole));
  }
}

TEST(ClientHelloTest, LongSniIsNotTruncated) {
  HelloSpec spec;
  spec.sni = std::string(kLongSni);
  Bytes stream = Records(BuildClientHello(spec).handshake, 16384);
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(ch.sni(), kLongSni);
  EXPECT_FALSE(ch.sni_truncated);

  spec.sni = std::string(kMaxSniLength, 'a');  // exactly at the bound
  stream = Records(BuildClientHello(spec).handshake, 16384);
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(ch.sni().size(), kMaxSniLength);
  EXPECT_FALSE(ch.sni_truncated);
}

TEST(ClientHelloTest, OverlongSniIsCutAndFlagged) {
  HelloSpec spec;
  spec.sni = std::string(300, 'b') + ".example";
  Bytes stream = Records(BuildClientHello(spec).handshake, 100);
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_TRUE(ch.sni_truncated);
  EXPECT_EQ(ch.sni(), spec.sni.substr(0, kMaxSniLength));
  // The rest of the hello is still parsed after the cut name.
  EXPECT_EQ(Alpns(ch), (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_TRUE(ch.has_supported_versions_tls13);
}

TEST(ClientHelloTest, NoSniNoAlpn) {
  HelloSpec spec;
  spec.with_sni = false;
  spec.alpn.clear();
  spec.tls13 = false;
  Bytes stream = Records(BuildClientHello(spec).handshake, 16384);
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_FALSE(ch.has_sni);
  EXPECT_TRUE(ch.sni().empty());
  EXPECT_FALSE(ch.has_alpn);
  EXPECT_EQ(ch.alpn_count(), 0u);
  EXPECT_EQ(ch.alpn(0), "");
  EXPECT_FALSE(ch.has_supported_versions_tls13);
  EXPECT_EQ(ch.extension_count, 1);  // supported_groups only
}

TEST(ClientHelloTest, AlpnIsBoundedAndCounted) {
  HelloSpec spec;
  spec.alpn = {"h2", "http/1.1", "a", "b", "c", "d", "e", std::string(40, 'x'), "f", "g"};
  Bytes stream = Records(BuildClientHello(spec).handshake, 16384);
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(ch.alpn_total, 10);
  ASSERT_EQ(ch.alpn_count(), kMaxAlpnIds);
  EXPECT_EQ(ch.alpn(0), "h2");
  EXPECT_EQ(ch.alpn(1), "http/1.1");
  EXPECT_TRUE(ch.alpn_ids[7].truncated);
  EXPECT_EQ(ch.alpn(7), std::string(kMaxAlpnIdLength, 'x'));
  EXPECT_FALSE(ch.alpn_ids[6].truncated);
  EXPECT_EQ(ch.alpn(8), "");
}

TEST(ClientHelloTest, ChunkInvariantAcrossRecordSizes) {
  HelloSpec spec;
  spec.sni = std::string(kLongSni);
  spec.padding = 300;
  Bytes handshake = BuildClientHello(spec).handshake;
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(Records(handshake, 16384)), ch), ParseStatus::kComplete);
  const std::string expected = Describe(ch);
  EXPECT_EQ(ch.sni(), kLongSni);
  EXPECT_EQ(ch.extension_count, 5);
  // Record boundaries at every handshake offset: the message split across two records.
  for (size_t split = 1; split < handshake.size(); ++split) {
    Bytes first(handshake.begin(), handshake.begin() + static_cast<std::ptrdiff_t>(split));
    Bytes second(handshake.begin() + static_cast<std::ptrdiff_t>(split), handshake.end());
    Bytes stream = Records(first, 16384);
    Bytes tail = Records(second, 16384);
    stream.insert(stream.end(), tail.begin(), tail.end());
    ClientHello split_ch;
    ASSERT_EQ(ParseClientHello(View(stream), split_ch), ParseStatus::kComplete) << split;
    ASSERT_EQ(Describe(split_ch), expected) << split;
  }
  // One byte per record, and a few odd sizes; every stream prefix needs more.
  for (size_t fragment : {1u, 2u, 5u, 64u, 333u}) {
    ExpectPrefixesNeedMore(Records(handshake, fragment), expected);
  }
}

TEST(ClientHelloTest, ZeroLengthRecordsAreSteppedOver) {
  Bytes handshake = BuildClientHello(HelloSpec{}).handshake;
  Bytes stream = {22, 3, 1, 0, 0};
  Bytes rest = Records(handshake, 50);
  stream.insert(stream.end(), rest.begin(), rest.end());
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(ch.sni(), "bucket.s3.amazonaws.com");
}

TEST(ClientHelloTest, TrailingDataAfterTheHelloIsIgnored) {
  Bytes stream = Records(BuildClientHello(HelloSpec{}).handshake, 16384);
  size_t hello_end = stream.size();
  Bytes more = Records(Bytes(10, 0x42), 10, 23, 0x0303);
  stream.insert(stream.end(), more.begin(), more.end());
  ClientHello ch;
  ASSERT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kComplete);
  EXPECT_EQ(ch.records_end, hello_end);
}

TEST(ClientHelloTest, NotAClientHelloIsInvalid) {
  ClientHello ch;
  Bytes http = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};
  EXPECT_EQ(ParseClientHello(View(http), ch), ParseStatus::kInvalid);
  EXPECT_FALSE(LooksLikeTls(View(http)));

  Bytes server_hello = BuildClientHello(HelloSpec{}).handshake;
  server_hello[0] = 2;
  EXPECT_EQ(ParseClientHello(View(Records(server_hello, 16384)), ch), ParseStatus::kInvalid);
  EXPECT_TRUE(LooksLikeTls(View(Records(server_hello, 16384))));  // TLS, but not a hello
  EXPECT_FALSE(LooksLikeClientHello(View(Records(server_hello, 16384))));

  Bytes alert = {21, 3, 3, 0, 2, 2, 40};
  EXPECT_EQ(ParseClientHello(View(alert), ch), ParseStatus::kInvalid);
  EXPECT_TRUE(LooksLikeTls(View(alert)));
  EXPECT_FALSE(LooksLikeClientHello(View(alert)));

  Bytes sslv2 = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
  EXPECT_EQ(ParseClientHello(View(sslv2), ch), ParseStatus::kInvalid);
  EXPECT_FALSE(LooksLikeTls(View(sslv2)));

  // A valid first record followed by a record of another type before the hello is complete.
  Bytes handshake = BuildClientHello(HelloSpec{}).handshake;
  Bytes stream = Records(Bytes(handshake.begin(), handshake.begin() + 20), 16384);
  Bytes bad = Records(Bytes(handshake.begin() + 20, handshake.end()), 16384, 23);
  stream.insert(stream.end(), bad.begin(), bad.end());
  EXPECT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kInvalid);

  // Record version 4.1 and an oversized record are not TLS.
  Bytes v4 = Records(handshake, 16384, 22, 0x0401);
  EXPECT_EQ(ParseClientHello(View(v4), ch), ParseStatus::kInvalid);
  Bytes huge = {22, 3, 1, 0xFF, 0xFF, 1};
  EXPECT_EQ(ParseClientHello(View(huge), ch), ParseStatus::kInvalid);
  EXPECT_FALSE(LooksLikeTls(View(huge)));
  EXPECT_FALSE(LooksLikeClientHello(View(huge)));
}

TEST(ClientHelloTest, LooksLikeTls) {
  Bytes stream = Records(BuildClientHello(HelloSpec{}).handshake, 16384);
  EXPECT_FALSE(LooksLikeTls(View(stream).first(0)));
  EXPECT_FALSE(LooksLikeTls(View(stream).first(2)));
  for (size_t n = 3; n <= 8; ++n) {
    EXPECT_TRUE(LooksLikeTls(View(stream).first(n))) << n;
    EXPECT_TRUE(LooksLikeClientHello(View(stream).first(n))) << n;
  }
  Bytes zero_length = {22, 3, 1, 0, 0};
  EXPECT_FALSE(LooksLikeTls(View(zero_length)));
  Bytes ssh = {'S', 'S', 'H', '-', '2', '.', '0'};
  EXPECT_FALSE(LooksLikeTls(View(ssh)));
  // Mid-connection starts: application data or a ServerHello first are TLS too.
  Bytes app_data = {23, 3, 3, 0x01, 0x3D, 0xAB};
  EXPECT_TRUE(LooksLikeTls(View(app_data)));
  EXPECT_FALSE(LooksLikeClientHello(View(app_data)));
  Bytes http = {'H', 'T', 'T', 'P', '/', '1', '.', '1'};
  EXPECT_FALSE(LooksLikeTls(View(http)));
  Bytes type25 = {25, 3, 3, 0, 1, 0};
  EXPECT_FALSE(LooksLikeTls(View(type25)));
}

TEST(ClientHelloTest, TruncatedInputNeverCompletes) {
  Bytes handshake = BuildClientHello(HelloSpec{}).handshake;
  ClientHello ch;
  ExpectPrefixesNeedMore(Records(handshake, 16384), [&] {
    EXPECT_EQ(ParseClientHello(View(Records(handshake, 16384)), ch), ParseStatus::kComplete);
    return Describe(ch);
  }());
}

TEST(ClientHelloTest, EveryLengthFieldTooBigIsRejected) {
  HelloSpec spec;
  spec.padding = 10;
  testing::BuiltHello built = BuildClientHello(spec);
  ASSERT_GE(built.lengths.size(), 15u);
  for (const testing::LengthField& field : built.lengths) {
    if (!field.checked) continue;
    for (uint32_t delta : {1u, 2u, 255u, 0xFFFFFFu}) {
      Bytes h = built.handshake;
      uint32_t value = 0;
      for (int i = 0; i < field.width; ++i) value = (value << 8) | h[field.offset + i];
      uint32_t max = field.width == 1 ? 0xFF : field.width == 2 ? 0xFFFF : 0xFFFFFF;
      uint32_t bigger = value + delta > max ? max : value + delta;
      if (bigger == value) continue;
      for (int i = 0; i < field.width; ++i) {
        h[field.offset + i] = static_cast<uint8_t>(bigger >> (8 * (field.width - 1 - i)));
      }
      for (size_t fragment : {16384u, 13u}) {
        Bytes stream = Records(h, fragment);
        // Trailing bytes, so a length pointing past the message finds data, not the end.
        Bytes more = Records(Bytes(64, 0x17), 64, 23, 0x0303);
        stream.insert(stream.end(), more.begin(), more.end());
        ClientHello ch;
        ParseStatus s = ParseClientHello(View(stream), ch);
        EXPECT_NE(s, ParseStatus::kComplete)
            << "length field at " << field.offset << " +" << delta << " fragment " << fragment;
      }
    }
  }
}

TEST(ClientHelloTest, RecordLengthTooBigNeedsMoreOrIsInvalid) {
  Bytes stream = Records(BuildClientHello(HelloSpec{}).handshake, 16384);
  for (uint16_t len :
       {static_cast<uint16_t>(stream.size() - 5 + 1), uint16_t{16384}, uint16_t{0xFFFF}}) {
    Bytes s = stream;
    s[3] = static_cast<uint8_t>(len >> 8);
    s[4] = static_cast<uint8_t>(len);
    ClientHello ch;
    ParseStatus st = ParseClientHello(View(s), ch);
    // The hello itself is complete inside a longer record; only a bound violation is invalid.
    EXPECT_EQ(st, len > kMaxRecordLength ? ParseStatus::kInvalid : ParseStatus::kComplete);
  }
}

TEST(ClientHelloTest, CorruptedBytesNeverCrash) {
  // Every byte of the stream replaced by a few values; under ASan this checks bounds, and the
  // result must at least keep its contract (a complete parse has a bounded SNI).
  HelloSpec spec;
  spec.sni = std::string(kLongSni);
  Bytes stream = Records(BuildClientHello(spec).handshake, 97);
  for (size_t i = 0; i < stream.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7F}, uint8_t{0xFF}}) {
      Bytes s = stream;
      s[i] = v;
      ClientHello ch;
      ParseStatus st = ParseClientHello(View(s), ch);
      if (st == ParseStatus::kComplete) {
        ASSERT_LE(ch.sni_length, kMaxSniLength);
        ASSERT_LE(ch.alpn_count(), kMaxAlpnIds);
      }
    }
  }
}

TEST(ClientHelloTest, DuplicateServerNameIsInvalid) {
  Bytes h = BuildClientHello(HelloSpec{}).handshake;
  // Append a second server_name extension and fix the extensions and handshake lengths.
  Bytes ext = {0, 0, 0, 9, 0, 7, 0, 0, 4, 'e', 'v', 'i', 'l'};
  // Extensions length sits right after compression methods: find it from the layout.
  size_t ext_len_off = 4 + 2 + 32 + 1 + 32 + 2 + 3 * 2 + 1 + 1;
  uint32_t ext_len = (uint32_t{h[ext_len_off]} << 8 | h[ext_len_off + 1]) + ext.size();
  h[ext_len_off] = static_cast<uint8_t>(ext_len >> 8);
  h[ext_len_off + 1] = static_cast<uint8_t>(ext_len);
  h.insert(h.end(), ext.begin(), ext.end());
  uint32_t hs_len = static_cast<uint32_t>(h.size() - 4);
  h[1] = static_cast<uint8_t>(hs_len >> 16);
  h[2] = static_cast<uint8_t>(hs_len >> 8);
  h[3] = static_cast<uint8_t>(hs_len);
  ClientHello ch;
  EXPECT_EQ(ParseClientHello(View(Records(h, 16384)), ch), ParseStatus::kInvalid);
  EXPECT_FALSE(ch.has_sni);  // nothing half-parsed is left behind
}

TEST(ClientHelloTest, DeclaredLengthAboveBoundIsInvalid) {
  Bytes stream = {22, 3, 1, 0, 4, 1, 0x02, 0x00, 0x01};  // 128 KiB + 1
  ClientHello ch;
  EXPECT_EQ(ParseClientHello(View(stream), ch), ParseStatus::kInvalid);
  Bytes tiny = {22, 3, 1, 0, 4, 1, 0, 0, 40};  // below the fixed part of any ClientHello
  EXPECT_EQ(ParseClientHello(View(tiny), ch), ParseStatus::kInvalid);
}

TEST(ClientHelloTest, RandomIsKeptForTheKeyLog) {
  HelloSpec spec;
  Bytes stream = Records(BuildClientHello(spec).handshake, 7);  // the random spans records
  ClientHello hello;
  ASSERT_EQ(ParseClientHello(View(stream), hello), ParseStatus::kComplete);
  for (size_t i = 0; i < hello.random.size(); ++i) EXPECT_EQ(hello.random[i], 0xA0 + i);
}

}  // namespace
}  // namespace bw::tls
