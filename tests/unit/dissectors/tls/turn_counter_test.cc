#include "dissectors/tls/turn_counter.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::Put;

constexpr Direction kC = Direction::kToServer;
constexpr Direction kS = Direction::kToClient;

struct Hello {
  bool tls13 = true;
  uint16_t suite = 0x1302;
  bool retry = false;
  size_t key_share = 36;  // X25519; X25519MLKEM768 answers with 1124
};

// A ServerHello (or HelloRetryRequest) handshake message as OpenSSL and others lay it out.
Bytes ServerHello(const Hello& h) {
  static const uint8_t kRetry[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                     0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                     0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                     0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  Bytes body;
  Put(body, 0x0303, 2);
  for (int i = 0; i < 32; ++i) body.push_back(h.retry ? kRetry[i] : static_cast<uint8_t>(0x40 + i));
  body.push_back(32);
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(i));
  Put(body, h.suite, 2);
  body.push_back(0);
  Bytes ext;
  if (h.tls13) {
    Put(ext, 51, 2);  // key_share before supported_versions: the order is the server's choice
    Put(ext, static_cast<uint32_t>(h.key_share), 2);
    ext.insert(ext.end(), h.key_share, 0x5A);
    Put(ext, 43, 2);
    Put(ext, 2, 2);
    Put(ext, 0x0304, 2);
  } else {
    Put(ext, 0xFF01, 2);  // renegotiation_info
    Put(ext, 1, 2);
    ext.push_back(0);
    Put(ext, 11, 2);  // ec_point_formats
    Put(ext, 2, 2);
    ext.push_back(1);
    ext.push_back(0);
  }
  Put(body, static_cast<uint32_t>(ext.size()), 2);
  body.insert(body.end(), ext.begin(), ext.end());
  Bytes msg{2};
  Put(msg, static_cast<uint32_t>(body.size()), 3);
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

Bytes Record(uint8_t type, const Bytes& body) {
  Bytes r{type};
  Put(r, 0x0303, 2);
  Put(r, static_cast<uint32_t>(body.size()), 2);
  r.insert(r.end(), body.begin(), body.end());
  return r;
}
Bytes Record(uint8_t type, size_t length) { return Record(type, Bytes(length, 0xE7)); }

// One flight: records one side writes before the other answers.
struct Flight {
  Direction dir;
  Bytes bytes;
};

class Conversation {
 public:
  Conversation& Add(Direction dir, const Bytes& record) {
    if (flights_.empty() || flights_.back().dir != dir) flights_.push_back({dir, {}});
    Bytes& b = flights_.back().bytes;
    b.insert(b.end(), record.begin(), record.end());
    return *this;
  }
  Conversation& App(Direction dir, std::vector<size_t> lengths) {
    for (size_t n : lengths) Add(dir, Record(23, n));
    return *this;
  }
  Conversation& Hs(Direction dir, size_t length) { return Add(dir, Record(22, length)); }
  Conversation& Ccs(Direction dir) { return Add(dir, Record(20, 1)); }
  Conversation& Alert12(Direction dir) { return Add(dir, Record(21, 26)); }
  Conversation& Hello(const struct Hello& h) { return Add(kS, Record(22, ServerHello(h))); }

  // Every flight whole, then every flight byte by byte (the per-direction order is what counts).
  TurnCounts Run(TlsTurnCounter& t, bool bytewise = false) const {
    for (const Flight& f : flights_) {
      ByteView v(f.bytes.data(), f.bytes.size());
      if (!bytewise) {
        t.Feed(f.dir, v);
      } else {
        for (size_t i = 0; i < v.size(); ++i) t.Feed(f.dir, v.subspan(i, 1));
      }
    }
    return t.counts();
  }

 private:
  std::vector<Flight> flights_;
};

// The TLS 1.3 handshake seen from stunnel 5.68 / OpenSSL 3.0 (AES-256-GCM-SHA384, middlebox
// compatibility mode) with curl 7.88 as the client: record lengths from a loopback capture.
Conversation Tls13Handshake(uint16_t suite = 0x1302, size_t finished = 69) {
  Conversation c;
  c.Hs(kC, 512);
  c.Hello({true, suite}).Ccs(kS).App(kS, {27, 907, 281, finished});
  c.Ccs(kC).App(kC, {finished});
  return c;
}

TurnCounts Count(const Conversation& c) {
  TlsTurnCounter whole;
  TurnCounts counts = c.Run(whole);
  TlsTurnCounter bytewise;
  TurnCounts again = c.Run(bytewise, true);
  EXPECT_EQ(again.turns, counts.turns);
  EXPECT_EQ(again.application_bytes, counts.application_bytes);
  EXPECT_EQ(again.handshake_records, counts.handshake_records);
  EXPECT_EQ(whole.version(), bytewise.version());
  return counts;
}

TEST(TlsTurnCounterTest, Tls13OneRequestTicketsAfterIt) {
  Conversation c = Tls13Handshake();
  c.App(kC, {118}).App(kS, {282, 282, 313}).App(kC, {19}).App(kS, {19});
  TlsTurnCounter t;
  TurnCounts n = c.Run(t);
  EXPECT_EQ(t.version(), TlsVersionSeen::kTls13);
  EXPECT_EQ(n.turns, 1u);  // was 2: the client Finished and the close_notify
  EXPECT_EQ(n.handshake_records, 5u);
  EXPECT_EQ(n.control_records, 2u);
  EXPECT_EQ(n.application_bytes[Index(kC)], 118u);
  EXPECT_EQ(n.application_bytes[Index(kS)], 282u + 282u + 313u);
  EXPECT_EQ(Count(c).turns, 1u);
}

TEST(TlsTurnCounterTest, Tls13TicketsBeforeTheRequest) {
  Conversation c = Tls13Handshake();
  c.App(kS, {282, 282}).App(kC, {118}).App(kS, {313}).App(kC, {19});
  EXPECT_EQ(Count(c).turns, 1u);  // was 3
}

TEST(TlsTurnCounterTest, Tls13WithoutTicketsKeepAlive) {
  Conversation c = Tls13Handshake(0x1301, 53);
  for (int i = 0; i < 65; ++i) c.App(kC, {118}).App(kS, {313});
  c.App(kC, {19});
  EXPECT_EQ(Count(c).turns, 65u);
}

TEST(TlsTurnCounterTest, Tls13KeepAliveWithTickets) {
  Conversation c = Tls13Handshake();
  c.App(kC, {118}).App(kS, {282, 282});
  for (int i = 0; i < 65; ++i) {
    if (i > 0) c.App(kC, {118});
    c.App(kS, {313});
  }
  c.App(kC, {19}).App(kS, {19});
  EXPECT_EQ(Count(c).turns, 65u);
}

TEST(TlsTurnCounterTest, Tls13KeyUpdatesAreNotRequests) {
  Conversation c = Tls13Handshake();
  for (int i = 0; i < 10; ++i) {
    c.App(kC, {118}).App(kS, {4000, 313});
    if (i % 3 == 2) c.App(kC, {22}).App(kS, {22});  // KeyUpdate(update_requested) and answer
  }
  c.App(kC, {19});
  TurnCounts n = Count(c);
  EXPECT_EQ(n.turns, 10u);
  EXPECT_EQ(n.control_records, 7u);
}

TEST(TlsTurnCounterTest, Tls13HelloRetryRequest) {
  Conversation c;
  c.Hs(kC, 250);
  c.Hello({true, 0x1301, true}).Ccs(kS);  // HelloRetryRequest
  c.Ccs(kC).Hs(kC, 280);                  // second ClientHello
  c.Hello({true, 0x1301}).App(kS, {27, 907, 281, 53});
  c.App(kC, {53, 118}).App(kS, {250, 313}).App(kC, {118}).App(kS, {313}).App(kC, {19});
  TlsTurnCounter t;
  EXPECT_EQ(c.Run(t).turns, 2u);
  EXPECT_TRUE(t.server_hello().facts().hello_retry_seen);
  EXPECT_EQ(t.version(), TlsVersionSeen::kTls13);
  EXPECT_EQ(Count(c).turns, 2u);
}

TEST(TlsTurnCounterTest, Tls13PostQuantumKeyShare) {
  Conversation c;
  c.Hs(kC, 1500);
  Hello h{true, 0x1301, false, 1124};
  c.Hello(h).Ccs(kS).App(kS, {27, 907, 281, 53}).App(kC, {53, 118}).App(kS, {313}).App(kC, {19});
  TlsTurnCounter t;
  EXPECT_EQ(c.Run(t).turns, 1u);
  EXPECT_EQ(t.version(), TlsVersionSeen::kTls13);
}

TEST(TlsTurnCounterTest, Tls13ClientCertificate) {
  Conversation c;
  c.Hs(kC, 512);
  c.Hello({true, 0x1302}).Ccs(kS).App(kS, {27, 60, 907, 281, 69});  // + CertificateRequest
  c.Ccs(kC).App(kC, {1200, 281, 69, 118}).App(kS, {282, 313}).App(kC, {118}).App(kS, {313});
  TurnCounts n = Count(c);
  EXPECT_EQ(n.turns, 2u);
  EXPECT_EQ(n.handshake_records, 5u + 3u);
}

TEST(TlsTurnCounterTest, Tls13EarlyDataAccepted) {
  // 0-RTT: the request goes with the ClientHello; the server answers it right after its
  // Finished (0.5-RTT); the client ends early data (EndOfEarlyData, 21 bytes) and finishes.
  Conversation c;
  c.Hs(kC, 600).Ccs(kC).App(kC, {118});
  c.Hello({true, 0x1301}).Ccs(kS).App(kS, {40, 53, 313});
  c.App(kC, {21, 53}).App(kS, {250}).App(kC, {118}).App(kS, {313}).App(kC, {19});
  TurnCounts n = Count(c);
  EXPECT_EQ(n.turns, 2u);
  EXPECT_EQ(n.early_data_records, 1u);
  EXPECT_EQ(n.early_data_rejected, 0u);
}

TEST(TlsTurnCounterTest, Tls13EarlyDataAcceptedAnsweredAfterTheHandshake) {
  Conversation c;
  c.Hs(kC, 600).App(kC, {118});
  c.Hello({true, 0x1301}).App(kS, {40, 53});
  c.App(kC, {21, 53}).App(kS, {250, 313}).App(kC, {19});
  EXPECT_EQ(Count(c).turns, 1u);
}

TEST(TlsTurnCounterTest, Tls13EarlyDataRejectedIsSentAgain) {
  Conversation c;
  c.Hs(kC, 600).App(kC, {118});
  c.Hello({true, 0x1301}).App(kS, {27, 907, 281, 53});
  c.App(kC, {53, 118}).App(kS, {250, 313}).App(kC, {19});
  TurnCounts n = Count(c);
  EXPECT_EQ(n.turns, 1u);
  EXPECT_EQ(n.early_data_rejected, 1u);
}

TEST(TlsTurnCounterTest, Tls13Ccm8Suite) {
  // TLS_AES_128_CCM_8_SHA256: 8-byte tags, so a Finished is 45 bytes and close_notify 11.
  Conversation c = Tls13Handshake(0x1305, 45);
  c.App(kC, {110}).App(kS, {274, 305}).App(kC, {110}).App(kS, {305}).App(kC, {11});
  EXPECT_EQ(Count(c).turns, 2u);
}

TEST(TlsTurnCounterTest, Tls12FullHandshakeWithTicket) {
  Conversation c;
  c.Hs(kC, 512);
  c.Hello({false, 0xC030}).Hs(kS, 1500);  // Certificate, ServerKeyExchange, HelloDone
  c.Hs(kC, 37).Ccs(kC).Hs(kC, 40);        // ClientKeyExchange, Finished
  c.Hs(kS, 202).Ccs(kS).Hs(kS, 40);       // NewSessionTicket, Finished
  for (int i = 0; i < 25; ++i) c.App(kC, {141}).App(kS, {336});
  c.Alert12(kC);
  TlsTurnCounter t;
  EXPECT_EQ(c.Run(t).turns, 25u);
  EXPECT_EQ(t.version(), TlsVersionSeen::kTls12OrOlder);
  EXPECT_EQ(Count(c).turns, 25u);
}

TEST(TlsTurnCounterTest, Tls12ResumptionAndFalseStart) {
  Conversation resumed;
  resumed.Hs(kC, 700).Hello({false, 0xC02F}).Ccs(kS).Hs(kS, 40);
  resumed.Ccs(kC).Hs(kC, 40).App(kC, {141}).App(kS, {336}).Alert12(kC);
  EXPECT_EQ(Count(resumed).turns, 1u);
  // False Start: the request leaves before the server's Finished.
  Conversation early;
  early.Hs(kC, 512).Hello({false, 0xC02F}).Hs(kS, 1500);
  early.Hs(kC, 37).Ccs(kC).Hs(kC, 40).App(kC, {141});
  early.Ccs(kS).Hs(kS, 40).App(kS, {336}).App(kC, {141}).App(kS, {336});
  EXPECT_EQ(Count(early).turns, 2u);
}

TEST(TlsTurnCounterTest, MidConnectionCaptureCountsDataOnly) {
  // No ServerHello (the capture began later): the version is unknown; short records are
  // still alerts or KeyUpdates.
  Conversation c;
  c.App(kC, {118}).App(kS, {313}).App(kC, {22}).App(kS, {22}).App(kC, {118}).App(kS, {313});
  c.App(kC, {19});
  TlsTurnCounter t;
  EXPECT_EQ(c.Run(t).turns, 2u);
  EXPECT_EQ(t.version(), TlsVersionSeen::kUnknown);
}

TEST(TlsTurnCounterTest, GapInTheServerHelloLeavesTheVersionUnknown) {
  TlsTurnCounter t;
  Bytes ch = Record(22, 512);
  t.Feed(kC, ByteView(ch.data(), ch.size()));
  Bytes sh = Record(22, ServerHello({true, 0x1302}));
  t.Feed(kS, ByteView(sh.data(), 20));
  t.Gap(kS, 30);
  t.Feed(kS, ByteView(sh.data() + 50, sh.size() - 50));
  EXPECT_EQ(t.version(), TlsVersionSeen::kUnknown);
  EXPECT_TRUE(t.tracker(kS).in_sync());
  Bytes fin = Record(23, 69);
  Bytes req = Record(23, 118);
  t.Feed(kC, ByteView(fin.data(), fin.size()));
  t.Feed(kC, ByteView(req.data(), req.size()));
  EXPECT_EQ(t.turns(), 1u);  // Finished and request: one burst
}

}  // namespace
}  // namespace bw::tls
