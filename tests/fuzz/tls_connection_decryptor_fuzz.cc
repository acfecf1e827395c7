// libFuzzer target for the per-connection TLS decryptor (issue 19): a whole connection driven
// the way a sensor drives it, over the live fixtures of tests/unit/dissectors/tls/data (real
// openssl sessions whose plaintext tshark agreed on), so that coverage reaches the decrypting
// paths and the plaintext can be checked.
//
// Input: a 5-byte header, then operations.
//   [0] fixture (index into the sorted *.tlsfix files)
//   [1] flags: bits 0-1 keys: 0 before the first byte, 1 never, 2 late (before operation [2]),
//              3 in two steps (TLS 1.3: handshake secrets first, traffic secrets before operation
//              [2]; TLS 1.2: as late);
//              bit 2 one secret corrupted (which: [3]);
//              bit 3 the bytes are the fuzzer's own (inline after each operation) instead of the
//              fixture's streams;
//              bit 4 a small wait buffer ([4] x 64 bytes) instead of the default 256 KiB;
//              bit 5 the ClientHello offers 0-RTT (no fixture does: this reaches the early-data
//              paths), bit 6 with a CLIENT_EARLY_TRAFFIC_SECRET logged (the client handshake
//              secret's value: its records then authenticate as early data)
//   [2] the operation before which late keys arrive   [3] which secret to corrupt
//   [4] wait buffer size
//   operations, 2 bytes each: dir (bit 0: 0 client, 1 server), gap (bit 1), mutate (bit 2),
//   length (bits 3-7 of the first byte, all of the second: 0..8191).
//     fixture bytes: the next `length` bytes of that direction's stream; with mutate, 2 more
//       input bytes (offset within the chunk, XOR value) change one byte of it; with gap, the
//       `length` bytes are skipped (never fed) and Gap() is called.
//     own bytes: the next `length` input bytes are fed; with gap, Gap() (nothing consumed).
//   At the end the caller gives up waiting, as the sensor does when a connection ends.
//
// Beyond memory safety it checks what a sensor relies on:
//  - plaintext comes only from records that authenticated: each direction's delivered bytes are
//    a prefix of what the fixture's peer really sent (whatever the chunking, mutations, gaps or
//    key timing), and nothing is delivered from a direction whose secret was corrupted;
//  - it is written into the caller's scratch span and nowhere past it (the bytes after the span
//    are poisoned under ASan and checked against a pattern), one record at a time;
//  - a stopped direction delivers nothing more; counts() matches what was delivered;
//  - what waits for keys stays within its bound, plus what one Feed can leave behind;
//  - after GiveUpWaiting nothing waits.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dissectors/tls/connection_decryptor.h"
#include "tests/unit/dissectors/tls/tls_test_util.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define BW_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BW_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef BW_POISON
#define BW_POISON(p, n) ((void)(p), (void)(n))
#define BW_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace {

using bw::ByteView;
using bw::Direction;
using bw::tls::KeyLogLabel;
namespace t = bw::tls::testing;

constexpr size_t kHeader = 5;
constexpr size_t kMaxChunk = 8191;
constexpr size_t kGuard = 256;  // bytes after the scratch span that must stay untouched
constexpr uint8_t kGuardByte = 0xA5;

struct LoadedFixture {
  t::Fixture f;
  std::vector<bw::tls::KeyLogEntry> keys;  // the parsed key log lines
};

const std::vector<LoadedFixture>& Fixtures() {
  static const std::vector<LoadedFixture> all = [] {
    std::vector<LoadedFixture> out;
    for (const std::string& path : t::FixturePaths()) {
      LoadedFixture l;
      l.f = t::LoadFixture(path);
      for (const std::string& line : l.f.keylog) {
        bw::tls::KeyLogEntry e;
        if (bw::tls::ParseKeyLogLine(line, e).status == bw::tls::KeyLogLineStatus::kEntry) {
          l.keys.push_back(e);
        }
      }
      out.push_back(std::move(l));
    }
    return out;
  }();
  return all;
}

// The direction whose records a secret protects; both for the TLS 1.2 master secret.
int DirectionOf(KeyLogLabel label) {
  switch (label) {
    case KeyLogLabel::kClientHandshakeTrafficSecret:
    case KeyLogLabel::kClientTrafficSecret0:
    case KeyLogLabel::kClientEarlyTrafficSecret:
      return 0;
    case KeyLogLabel::kServerHandshakeTrafficSecret:
    case KeyLogLabel::kServerTrafficSecret0:
      return 1;
    case KeyLogLabel::kClientRandom:
      return 2;
    default:
      return -1;  // not used to read records (EXPORTER_SECRET)
  }
}

bool IsHandshakeSecret(KeyLogLabel label) {
  return label == KeyLogLabel::kClientHandshakeTrafficSecret ||
         label == KeyLogLabel::kServerHandshakeTrafficSecret;
}

class Checker final : public bw::tls::PlaintextSink {
 public:
  Checker(const t::Fixture& f, std::span<const uint8_t> scratch, bool early_possible)
      : f_(f), scratch_(scratch), early_possible_(early_possible) {}

  void OnPlaintext(Direction dir, ByteView data, bw::TimestampNs ts) override {
    if (data.empty() || data.size() > bw::tls::kMaxPlaintextBuffer) std::abort();
    // Stamped with the time of bytes already fed (operation i is fed at i + 1), never later.
    if (ts < 1 || ts > now) std::abort();
    // One record's plaintext, in the scratch span (0-RTT data held for the server's answer is
    // the one thing delivered from the decryptor's own buffer, when the ClientHello offers it).
    bool in_scratch = data.data() >= scratch_.data() &&
                      data.data() + data.size() <= scratch_.data() + scratch_.size();
    if (!in_scratch && !(early_possible_ && dir == Direction::kToServer)) std::abort();
    const t::Bytes& want = dir == Direction::kToServer ? f_.plain_c2s : f_.plain_s2c;
    t::Bytes& got = delivered[bw::Index(dir)];
    if (got.size() + data.size() > want.size() ||
        !std::equal(data.begin(), data.end(), want.begin() + static_cast<ptrdiff_t>(got.size()))) {
      std::abort();  // plaintext that the peer never sent
    }
    got.insert(got.end(), data.begin(), data.end());
  }

  std::array<t::Bytes, 2> delivered;
  bw::TimestampNs now = 0;  // the latest time fed

 private:
  const t::Fixture& f_;
  std::span<const uint8_t> scratch_;
  bool early_possible_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<LoadedFixture>& fixtures = Fixtures();
  if (fixtures.empty()) std::abort();  // the fixtures must be found, or nothing is fuzzed
  if (size < kHeader) return 0;
  const LoadedFixture& fx = fixtures[data[0] % fixtures.size()];
  const t::Fixture& f = fx.f;
  const uint8_t flags = data[1];
  const int key_mode = flags & 3;
  const bool corrupt = flags & 4;
  const bool own_bytes = flags & 8;
  const size_t keys_at = data[2];
  bw::tls::ConnectionDecryptorLimits limits;
  if (flags & 16) limits.wait_buffer_bytes = size_t{data[4]} * 64;

  // Operations, with the fixture's streams mutated as they say (before the ClientHello is read
  // from the client's, as a sensor would read it).
  struct Op {
    Direction dir;
    bool gap;
    size_t offset;  // into the (mutated) fixture stream, or into `data`
    size_t length;
  };
  std::vector<Op> ops;
  std::array<t::Bytes, 2> streams = {f.c2s, f.s2c};
  std::array<size_t, 2> cursor{};
  size_t pos = kHeader;
  while (pos + 2 <= size && ops.size() < 512) {
    const uint8_t b0 = data[pos];
    const size_t length = (size_t{b0} >> 3) << 8 | data[pos + 1];
    pos += 2;
    Op op{b0 & 1 ? Direction::kToClient : Direction::kToServer, (b0 & 2) != 0, 0, 0};
    const size_t d = bw::Index(op.dir);
    uint8_t mutate_at = 0;
    uint8_t mutate_xor = 0;
    if (b0 & 4) {
      if (pos + 2 > size) break;
      mutate_at = data[pos];
      mutate_xor = data[pos + 1] == 0 ? 1 : data[pos + 1];
      pos += 2;
    }
    if (own_bytes) {
      op.offset = pos;
      op.length = op.gap ? 0 : std::min(length, size - pos);
      pos += op.length;
    } else {
      op.offset = cursor[d];
      op.length = std::min(length, streams[d].size() - cursor[d]);
      if ((b0 & 4) && op.length > 0) streams[d][op.offset + mutate_at % op.length] ^= mutate_xor;
      cursor[d] += op.length;
    }
    ops.push_back(op);
  }

  // The real ClientHello keys the fixture's secrets; the decryptor gets the one read from the
  // client bytes fed (mutated, it may carry another random: the keys then fail to authenticate).
  bw::tls::ClientHello real_hello;
  if (bw::tls::ParseClientHello(ByteView(f.c2s.data(), f.c2s.size()), real_hello) !=
      bw::tls::ParseStatus::kComplete) {
    std::abort();
  }
  bw::tls::ClientHello hello;
  if (bw::tls::ParseClientHello(ByteView(streams[0].data(), streams[0].size()), hello) !=
      bw::tls::ParseStatus::kComplete) {
    hello = real_hello;
  }
  if (flags & 32) hello.offers_early_data = true;

  // Keys: the fixture's, all at once or in two steps, one of them corrupted on request.
  bw::tls::KeyLogStore first, second;
  std::array<bool, 2> corrupted{};
  const size_t corrupt_index = data[3] % std::max<size_t>(fx.keys.size(), 1);
  for (size_t i = 0; i < fx.keys.size(); ++i) {
    bw::tls::KeyLogEntry e = fx.keys[i];
    const int dir = DirectionOf(e.label);
    if (corrupt && i == corrupt_index && dir >= 0) {
      std::array<uint8_t, bw::tls::kMaxSecretLength> bytes{};
      std::copy(e.secret.view().begin(), e.secret.view().end(), bytes.begin());
      bytes[data[3] / 16 % e.secret.size()] ^= 0x5A;
      if (!e.secret.Assign(ByteView(bytes.data(), e.secret.size()))) std::abort();
      if (dir == 2) {
        corrupted = {true, true};
      } else {
        corrupted[static_cast<size_t>(dir)] = true;
      }
    }
    const bool first_step = key_mode != 3 || (f.version == 13 && IsHandshakeSecret(e.label));
    (first_step ? first : second).Insert(e);
    if ((flags & 64) && e.label == KeyLogLabel::kClientHandshakeTrafficSecret) {
      e.label = KeyLogLabel::kClientEarlyTrafficSecret;
      first.Insert(e);
    }
  }

  std::vector<uint8_t> buffer(bw::tls::kMaxPlaintextBuffer + kGuard, kGuardByte);
  std::span<uint8_t> scratch(buffer.data(), bw::tls::kMaxPlaintextBuffer);
  BW_POISON(buffer.data() + scratch.size(), kGuard);
  Checker sink(f, scratch, hello.offers_early_data);
  {
    bw::tls::ConnectionDecryptor d(hello, limits, scratch, sink);
    auto set_keys = [&](const bw::tls::KeyLogStore& store) {
      if (const bw::tls::ConnectionKeys* k = store.Find(real_hello.random)) d.SetKeys(*k);
    };
    if (key_mode == 0 || key_mode == 3) set_keys(first);

    const size_t bound =
        limits.wait_buffer_bytes * 2 + kMaxChunk + 2 * (5 + bw::tls::kMaxRecordLength);
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i == keys_at) {
        if (key_mode == 2) set_keys(first);
        if (key_mode == 3) set_keys(second);
      }
      const Op& op = ops[i];
      std::array<size_t, 2> before = {sink.delivered[0].size(), sink.delivered[1].size()};
      std::array<bool, 2> stopped = {d.stopped(Direction::kToServer),
                                     d.stopped(Direction::kToClient)};
      if (op.gap) {
        d.Gap(op.dir);
      } else {
        const uint8_t* p =
            own_bytes ? data + op.offset : streams[bw::Index(op.dir)].data() + op.offset;
        sink.now = static_cast<bw::TimestampNs>(i + 1);
        d.Feed(op.dir, ByteView(p, op.length), sink.now);
      }
      for (size_t k = 0; k < 2; ++k) {
        if (stopped[k] && sink.delivered[k].size() != before[k]) std::abort();
      }
      if (d.buffered_bytes() > bound) std::abort();
      (void)d.MemoryBytes();
    }
    if (key_mode == 2 && keys_at >= ops.size()) set_keys(first);
    if (key_mode == 3 && keys_at >= ops.size()) set_keys(second);
    d.GiveUpWaiting();
    if (d.waiting()) std::abort();
    for (size_t k = 0; k < 2; ++k) {
      if (corrupted[k] && !sink.delivered[k].empty()) std::abort();
      if (d.counts().plaintext_bytes[k] != sink.delivered[k].size()) std::abort();
    }
    if (d.version() != 0 && d.version() != 0x0303 && d.version() != 0x0304) std::abort();
    (void)d.key_updates();
  }
  BW_UNPOISON(buffer.data() + scratch.size(), kGuard);
  for (size_t i = scratch.size(); i < buffer.size(); ++i) {
    if (buffer[i] != kGuardByte) std::abort();
  }
  return 0;
}
