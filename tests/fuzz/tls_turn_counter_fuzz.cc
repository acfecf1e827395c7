// libFuzzer target for TLS turn counting (issue 16): the input is a conversation, a list of
// flights `dir:1 | len:2 | bytes`, fed to TlsTurnCounter and the ServerHello scanner. Beyond
// memory safety it checks the contracts the detection engine relies on:
//  - turns never exceed the client's application-data records (each turn opens with one), and
//    application bytes never exceed what each direction's tracker saw declared;
//  - counts do not depend on how each flight is cut into Feed() calls (whole vs. two halves);
//  - the ServerHello scanner gives the same answer whatever the split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissectors/tls/server_hello.h"
#include "dissectors/tls/turn_counter.h"

namespace {

using bw::Direction;

void Run(bw::ByteView input, bool split, bw::tls::TlsTurnCounter& t) {
  size_t pos = 0;
  for (int flights = 0; flights < 256 && pos + 3 <= input.size(); ++flights) {
    Direction dir = (input[pos] & 1) ? Direction::kToClient : Direction::kToServer;
    bool gap = (input[pos] & 2) != 0;
    size_t len = static_cast<size_t>(input[pos + 1]) << 8 | input[pos + 2];
    pos += 3;
    if (gap) {
      t.Gap(dir, len);
      continue;
    }
    if (len > input.size() - pos) len = input.size() - pos;
    bw::ByteView flight = input.subspan(pos, len);
    pos += len;
    if (split && len > 1) {
      t.Feed(dir, flight.first(len / 2));
      t.Feed(dir, flight.subspan(len / 2));
    } else {
      t.Feed(dir, flight);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bw::ByteView input(data, size);
  bw::tls::TlsTurnCounter whole;
  Run(input, false, whole);
  bw::tls::TlsTurnCounter halves;
  Run(input, true, halves);
  const bw::tls::TurnCounts& a = whole.counts();
  const bw::tls::TurnCounts& b = halves.counts();
  if (a.turns != b.turns || a.application_bytes != b.application_bytes ||
      a.handshake_records != b.handshake_records || whole.version() != halves.version()) {
    std::abort();
  }
  int client = bw::Index(Direction::kToServer);
  if (a.turns > a.application_records[client]) std::abort();
  for (Direction d : {Direction::kToServer, Direction::kToClient}) {
    if (a.application_bytes[bw::Index(d)] > whole.tracker(d).application_data_bytes()) {
      std::abort();
    }
  }

  bw::tls::ServerHelloScanner once;
  once.Feed(input);
  for (size_t cut : {size_t{1}, size / 3, size / 2}) {
    if (cut >= size) continue;
    bw::tls::ServerHelloScanner parts;
    parts.Feed(input.first(cut));
    parts.Feed(input.subspan(cut));
    if (parts.status() != once.status() ||
        (once.status() == bw::tls::ServerHelloScanner::Status::kComplete &&
         (parts.facts().selected_version != once.facts().selected_version ||
          parts.facts().cipher_suite != once.facts().cipher_suite))) {
      std::abort();
    }
  }
  return 0;
}
