#include "sensor/pipeline/worker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <variant>
#include <vector>

#include "sensor/config/config.h"
#include "sensor/decode/decoder.h"
#include "tests/unit/dissectors/tls/tls_test_util.h"
#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::pipeline {
namespace {

namespace dt = decode::testing;
namespace tt = tls::testing;

constexpr TimestampNs kStart = 1700000000 * kNsPerSecond;
constexpr TimestampNs kMs = kNsPerSecond / 1000;

// A key source that never has the keys: the key log holds other connections' only.
class NoKeys final : public app::TlsKeySource {
 public:
  uint64_t generation() const override { return 0; }
  bool Lookup(const tls::ClientRandom&, tls::ConnectionKeys&) const override { return false; }
  void Forget(const tls::ClientRandom&) override {}
};

// A TLS 1.3 connection to an S3 name: a ClientHello with SNI bucket.s3.amazonaws.com, then the
// live TLS 1.3 fixture's bytes after its own ClientHello (ServerHello, encrypted records each
// way: the request lines and their answers), closed by both FINs. Ethernet frames, 1 ms apart.
struct TlsConnection {
  TlsConnection() {
    tt::Fixture f = tt::LoadFixture(
        tt::SourcePath("tests/unit/dissectors/tls/data/tls13_aes128_gcm_sha256.tlsfix"));
    tls::ClientHello real;
    EXPECT_EQ(tls::ParseClientHello(ByteView(f.c2s.data(), f.c2s.size()), real),
              tls::ParseStatus::kComplete);
    tt::HelloSpec spec;
    spec.sni = "bucket.s3.amazonaws.com";
    spec.alpn = {"http/1.1"};
    client_hello = tt::Records(tt::BuildClientHello(spec).handshake, 16384);
    client_rest.assign(f.c2s.begin() + static_cast<std::ptrdiff_t>(real.records_end), f.c2s.end());
    server = f.s2c;
  }

  dt::Bytes Frame(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                  const dt::Bytes& payload) const {
    dt::Ipv4Spec ip;
    ip.src = from_client ? dt::V4Addr{10, 20, 0, 5} : dt::V4Addr{52, 216, 8, 21};
    ip.dst = from_client ? dt::V4Addr{52, 216, 8, 21} : dt::V4Addr{10, 20, 0, 5};
    dt::TcpSpec tcp;
    tcp.src_port = from_client ? 41443 : 443;
    tcp.dst_port = from_client ? 443 : 41443;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    tcp.window = 65535;
    return dt::Cat({dt::Eth(0x0800), dt::Ipv4Tcp(ip, tcp, payload)});
  }

  std::vector<dt::Bytes> Frames() const {
    std::vector<dt::Bytes> out;
    uint32_t c = 1000;
    uint32_t s = 5000;
    constexpr uint8_t kAck = decode::kTcpAck;
    constexpr uint8_t kData = decode::kTcpAck | decode::kTcpPsh;
    out.push_back(Frame(true, c++, 0, decode::kTcpSyn, {}));
    out.push_back(Frame(false, s++, c, decode::kTcpSyn | kAck, {}));
    out.push_back(Frame(true, c, s, kAck, {}));
    auto send = [&](bool from_client, const dt::Bytes& bytes) {
      for (size_t off = 0; off < bytes.size(); off += 1400) {
        dt::Bytes piece(
            bytes.begin() + static_cast<std::ptrdiff_t>(off),
            bytes.begin() + static_cast<std::ptrdiff_t>(std::min(off + 1400, bytes.size())));
        uint32_t& seq = from_client ? c : s;
        out.push_back(Frame(from_client, seq, from_client ? s : c, kData, piece));
        seq += static_cast<uint32_t>(piece.size());
      }
    };
    send(true, client_hello);
    send(false, server);
    send(true, client_rest);
    out.push_back(Frame(true, c++, s, decode::kTcpFin | kAck, {}));
    out.push_back(Frame(false, s++, c, decode::kTcpFin | kAck, {}));
    out.push_back(Frame(true, c, s, kAck, {}));
    return out;
  }

  dt::Bytes client_hello, client_rest, server;
};

struct Replayed {
  std::vector<event::EncryptedFlowSummary> summaries;
  uint64_t parked = 0;
  uint64_t no_keys = 0;
};

// Feeds the connection to a worker (with `keys` as its key source, or none), lets packet time
// pass `after` beyond the last frame (Tick), optionally drains, and collects the summaries.
Replayed Replay(app::TlsKeySource* keys, TimestampNs after, bool drain) {
  config::LoadResult loaded = config::LoadConfig("", {});
  EXPECT_TRUE(loaded.ok) << loaded.error;
  app::AppConfig app;
  app.tls_keys = keys;
  app.tls_key_wait = 10 * kNsPerSecond;
  Doorbell doorbell;
  OutputQueue queue(4096, OutputQueue::WhenFull::kDrop, doorbell);
  MemoryBudget budget;
  Worker worker(0, loaded.config, app, WorkerOutputs{&queue}, budget);

  decode::DropCounters drops;
  decode::DecoderLimits limits;
  limits.tcp_checksum = decode::TcpChecksumMode::kIgnore;
  decode::Decoder decoder(limits, drops);
  TimestampNs ts = kStart;
  for (const dt::Bytes& frame : TlsConnection().Frames()) {
    ts += kMs;
    decode::PacketMeta meta;
    EXPECT_EQ(decoder.Decode(decode::LinkType::kEthernet, ByteView(frame.data(), frame.size()),
                             static_cast<uint32_t>(frame.size()), ts, meta),
              decode::DecodeStatus::kOk);
    worker.Process(meta);
  }
  // The closed flow ends after its linger (flows.closed_linger); its wait goes on from there.
  for (TimestampNs t = ts; t <= ts + after; t += kNsPerSecond) worker.Tick(t);
  if (drain) worker.Drain(ts + after);

  Replayed run;
  while (OutputRecord* r = queue.Front()) {
    if (auto* s = std::get_if<event::EncryptedFlowSummary>(&r->body)) run.summaries.push_back(*s);
    queue.Pop();
  }
  const app::AppCounters& c = worker.app_counters();
  run.parked = c.tls_parked.load();
  run.no_keys = c.tls_decrypt_failures[static_cast<size_t>(tls::SessionFailure::kNoKeys)].load();
  return run;
}

// Without a key log the connection is summarised by its SNI, turns and bytes once it ends.
TEST(WorkerTest, EncryptedFlowWithoutKeyLogIsSummarised) {
  Replayed run = Replay(nullptr, 20 * kNsPerSecond, false);
  ASSERT_FALSE(run.summaries.empty());
  const event::EncryptedFlowSummary& last = run.summaries.back();
  EXPECT_TRUE(last.final);
  EXPECT_EQ(last.server_name, "bucket.s3.amazonaws.com");
  EXPECT_GT(last.turns, 0u);
  EXPECT_GT(last.bytes_to_client, 0u);
  EXPECT_EQ(run.parked, 0u);
}

// With a key log that never gets this connection's keys, the session is parked when the
// connection closes, and given up after tls.key_wait: from then on it is a connection without
// keys, and owes the same final summary. (It used to be dropped: the summary was skipped at the
// end of the flow because decryption was still under way, and nothing sent it after the wait.)
TEST(WorkerTest, ParkedSessionWhoseKeysNeverCameIsSummarisedAsWithoutKeys) {
  Replayed without = Replay(nullptr, 20 * kNsPerSecond, false);
  ASSERT_FALSE(without.summaries.empty());
  for (bool drain : {false, true}) {
    SCOPED_TRACE(drain ? "end of input while parked" : "wait ran out while parked");
    NoKeys keys;
    // Draining right after the linger: the wait has not run out, the end of input ends it.
    Replayed run = Replay(&keys, drain ? 6 * kNsPerSecond : 30 * kNsPerSecond, drain);
    EXPECT_EQ(run.parked, 1u);
    EXPECT_EQ(run.no_keys, 1u);
    ASSERT_EQ(run.summaries.size(), 1u);
    const event::EncryptedFlowSummary& s = run.summaries.back();
    const event::EncryptedFlowSummary& want = without.summaries.back();
    EXPECT_TRUE(s.final);
    EXPECT_EQ(s.server_name, want.server_name);
    EXPECT_EQ(s.turns, want.turns);
    EXPECT_EQ(s.bytes_to_client, want.bytes_to_client);
    EXPECT_EQ(s.bytes_to_server, want.bytes_to_server);
    EXPECT_EQ(s.first_ts, want.first_ts);
    EXPECT_EQ(s.last_ts, want.last_ts);
    EXPECT_EQ(s.community_id, want.community_id);
  }
}

}  // namespace
}  // namespace bw::pipeline
